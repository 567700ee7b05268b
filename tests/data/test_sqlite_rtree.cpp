// The R*Tree bulk load against SQLite's own R*Tree code: its integrity check (rtreecheck),
// window queries through the virtual table against a scan, and inserts and deletes through
// the virtual table afterwards.

#include "data/database.hpp"
#include "data/sqlite/driver.hpp"
#include "data/sqlite/rtree.hpp"
#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace plotmap;
using namespace plotmap::data;
using namespace plotmap::data::sqlite;

namespace {

std::string rtreecheck(connection& conn, const std::string& table) {
    statement st = conn.prepare("SELECT rtreecheck('" + table + "')");
    return st.step() ? std::string(st.text(0)) : std::string();
}

} // namespace

TEST(sqlite_rtree, boxes_round_outwards_to_floats) {
    const rtree_box b = rtree_box_of(7, 100.1, 15.3, 100.2, 15.4);
    EXPECT_EQ(b.id, 7);
    EXPECT_LE(static_cast<double>(b.min_x), 100.1);
    EXPECT_GE(static_cast<double>(b.max_x), 100.2);
    EXPECT_LE(static_cast<double>(b.min_y), 15.3);
    EXPECT_GE(static_cast<double>(b.max_y), 15.4);
    EXPECT_LT(100.1 - static_cast<double>(b.min_x), 1e-5); // one float step, not more
    const rtree_box exact = rtree_box_of(1, 0.5, 0.25, 0.5, 0.25); // floats hold these exactly
    EXPECT_EQ(exact.min_x, 0.5F);
    EXPECT_EQ(exact.max_x, 0.5F);
}

TEST(sqlite_rtree, a_bulk_loaded_tree_answers_as_a_scan_does_and_takes_writes_afterwards) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy);"
              "CREATE TABLE boxes (id INTEGER PRIMARY KEY, minx REAL, maxx REAL, miny REAL, maxy REAL)");
    std::mt19937_64 random(2566);
    std::uniform_real_distribution<double> x(97.0, 106.0), y(5.5, 20.5), size(0.0, 0.01);
    std::vector<rtree_box> boxes;
    {
        transaction tx(conn);
        for (std::int64_t id = 1; id <= 20000; ++id) { // 51 to a node: three levels
            const double x0 = x(random), y0 = y(random), w = size(random), h = size(random);
            boxes.push_back(rtree_box_of(id * 3, x0, y0, x0 + w, y0 + h));
            const rtree_box& b = boxes.back();
            conn.cached("INSERT INTO boxes VALUES (?, ?, ?, ?, ?)")
                .bind(1, b.id)
                .bind(2, static_cast<double>(b.min_x))
                .bind(3, static_cast<double>(b.max_x))
                .bind(4, static_cast<double>(b.min_y))
                .bind(5, static_cast<double>(b.max_y))
                .run();
        }
        bulk_load_rtree(sqlite::handle(conn), "r", boxes);
        tx.commit();
    }
    EXPECT_EQ(rtreecheck(conn, "r"), "ok");
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM r"), 20000);
    EXPECT_GE(conn.scalar_int("SELECT count(*) FROM r_node"), 20000 / 51 + 1);
    // Each row's box as stored is the box given.
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM r JOIN boxes b USING (id) WHERE r.minx = b.minx AND r.maxx = b.maxx "
                              "AND r.miny = b.miny AND r.maxy = b.maxy"),
              20000);
    const auto window_counts = [&](double x0, double y0, double x1, double y1) {
        const std::string where = " WHERE maxx >= ?1 AND minx <= ?3 AND maxy >= ?2 AND miny <= ?4";
        std::pair<std::int64_t, std::int64_t> out;
        for (auto [table, n] : {std::pair{"r", &out.first}, std::pair{"boxes", &out.second}}) {
            statement st = conn.prepare(std::string("SELECT count(*), total(id) FROM ") + table + where);
            st.bind(1, x0).bind(2, y0).bind(3, x1).bind(4, y1);
            st.step();
            *n = st.int64(0) * 1000003 + static_cast<std::int64_t>(st.real(1)); // the count and which ids
        }
        return out;
    };
    std::int64_t hits = 0;
    for (int i = 0; i < 200; ++i) {
        const double x0 = x(random), y0 = y(random), w = size(random) * 20, h = size(random) * 20;
        const auto [indexed, scanned] = window_counts(x0, y0, x0 + w, y0 + h);
        EXPECT_EQ(indexed, scanned) << x0 << " " << y0;
        hits += scanned / 1000003;
    }
    EXPECT_GT(hits, 100); // the windows found something

    // SQLite's own upkeep carries on from the loaded tree.
    conn.exec("DELETE FROM r WHERE id % 2 = 0; INSERT INTO r VALUES (1, 100, 100.5, 15, 15.5)");
    conn.exec("DELETE FROM boxes WHERE id % 2 = 0; INSERT INTO boxes VALUES (1, 100, 100.5, 15, 15.5)");
    EXPECT_EQ(rtreecheck(conn, "r"), "ok");
    const auto [indexed, scanned] = window_counts(100, 15, 100.5, 15.5);
    EXPECT_EQ(indexed, scanned);
}

TEST(sqlite_rtree, a_few_boxes_fit_the_root_and_a_tree_in_use_is_refused) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)");
    bulk_load_rtree(sqlite::handle(conn), "r", {}); // nothing to load: still an empty, working tree
    EXPECT_EQ(rtreecheck(conn, "r"), "ok");
    bulk_load_rtree(sqlite::handle(conn), "r", {rtree_box_of(5, 1, 2, 3, 4), rtree_box_of(6, 2, 3, 4, 5)});
    EXPECT_EQ(rtreecheck(conn, "r"), "ok");
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM r_node"), 1);
    EXPECT_EQ(conn.scalar_int("SELECT id FROM r WHERE minx <= 1.5 AND maxx >= 1.5"), 5);
    EXPECT_THROW(bulk_load_rtree(sqlite::handle(conn), "r", {rtree_box_of(7, 0, 0, 1, 1)}), error);
    EXPECT_THROW(bulk_load_rtree(sqlite::handle(conn), "missing", {}), error);
}
