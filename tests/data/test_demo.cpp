#include "data/admin_areas.hpp"
#include "data/demo.hpp"
#include "data/database.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/wkb.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace plotmap;
using namespace plotmap::data;

namespace {

/// Every plot as one line of its identifying fields and geometry, in id order.
std::vector<std::string> dump_plots(connection& conn) {
    statement st = conn.prepare(
        test::per_backend("SELECT id, uid, code, program, owner_name, stage, budget_year, hex(AsBinary(boundary)), hex(AsBinary(pin)) ",
                          "SELECT id, uid, code, program, owner_name, stage, budget_year, encode(ST_AsBinary(boundary), 'hex'), "
                          "encode(ST_AsBinary(pin), 'hex') ") +
        "FROM plots ORDER BY id");
    std::vector<std::string> rows;
    while (st.step()) {
        std::string row;
        for (int c = 0; c < 9; ++c) row += std::string(st.text(c)) + "|";
        rows.push_back(row);
    }
    return rows;
}

} // namespace

TEST(demo, plots_are_plausible_and_inside_their_subdistrict) {
    test::temp_dir dir;
    connection conn(test::demo_database(dir, 300).string(), connection::mode::read_write);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plots"), 300);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plot_history WHERE action = 'create' AND version = 1"), 300);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plots WHERE NOT ST_IsValid(boundary)"), 0);
    EXPECT_EQ(conn.scalar_int("SELECT count(DISTINCT code) FROM plots"), 300);

    std::map<std::string, subdistrict> by_code;
    for (auto& s : read_subdistricts(conn, {})) by_code.emplace(s.adm3, std::move(s));
    const std::set<std::string> report_provinces{"64", "23", "46", "40", "44", "45", "62", "60", "66", "61"};
    statement st = conn.prepare(
        "SELECT adm1, adm2, adm3, area_m2, AsBinary(boundary), AsBinary(pin), program, stage, code, budget_year FROM plots");
    while (st.step()) {
        const std::string adm3(st.text(2));
        EXPECT_TRUE(report_provinces.contains(std::string(st.text(0)))) << adm3;
        EXPECT_EQ(adm3.substr(0, 4), st.text(1));
        const subdistrict& s = by_code.at(adm3);
        const geo::multi_polygon boundary = geo::multi_polygon_from_wkb(st.blob(4));
        for (const geo::point& p : boundary.polygons.at(0).rings.at(0)) EXPECT_TRUE(geo::contains(s.geometry, p)) << adm3;
        EXPECT_TRUE(geo::contains(boundary, geo::point_from_wkb(st.blob(5))));
        EXPECT_GT(geo::signed_area(boundary.polygons[0].rings[0]), 0.0); // RFC 7946: exterior counter-clockwise
        const double rai = st.real(3) / geo::m2_per_rai;
        EXPECT_GE(rai, 0.8);
        EXPECT_LE(rai, 27.0);
        EXPECT_NEAR(st.real(3), geo::geodesic_area_m2(boundary), 1e-6);
        EXPECT_TRUE(st.text(6) == "HLM" || st.text(6) == "CLM");
        EXPECT_TRUE(std::set<std::string_view>({"surveyed", "digging", "planting", "complete"}).contains(st.text(7)));
        EXPECT_EQ(st.text(8).substr(0, 7), adm3 + "-");
        EXPECT_GE(st.int64(9), 2022);
        EXPECT_LE(st.int64(9), 2026);
    }
}

TEST(demo, same_seed_same_plots_and_batches_compose) {
    test::temp_dir dir;
    connection once(test::demo_database(dir, 400, "once.sqlite").string(), connection::mode::read_write);
    connection twice(test::fresh_database(dir, "twice.sqlite").string(), connection::mode::read_write);
    demo_options half;
    half.plots = 200;
    half.batch = 64;
    generate_demo_plots(twice, half);
    const demo_result r = generate_demo_plots(twice, half);
    EXPECT_EQ(r.created, 200);
    EXPECT_EQ(r.total, 400);
    EXPECT_EQ(dump_plots(once), dump_plots(twice));
}

TEST(demo, another_seed_gives_other_plots) {
    test::temp_dir dir;
    connection a(test::demo_database(dir, 20, "a.sqlite").string(), connection::mode::read_write);
    connection b(test::fresh_database(dir, "b.sqlite").string(), connection::mode::read_write);
    demo_options other;
    other.plots = 20;
    other.seed = 7;
    generate_demo_plots(b, other);
    EXPECT_NE(dump_plots(a), dump_plots(b));
}

TEST(demo, large_counts_spread_over_every_province) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    demo_options options;
    options.plots = 3000;
    options.report_provinces_up_to = 0; // behave as a national-scale run from the first plot
    int batches = 0;
    generate_demo_plots(conn, options, [&](long long, long long) { ++batches; });
    EXPECT_EQ(batches, 1);
    EXPECT_EQ(conn.scalar_int("SELECT count(DISTINCT adm1) FROM plots"), 77);
}

TEST(demo, needs_admin_areas) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    conn.exec("DELETE FROM adm3");
    EXPECT_THROW(generate_demo_plots(conn, {}), store_error);
}
