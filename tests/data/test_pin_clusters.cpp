#include "data/pin_clusters.hpp"
#include "data/plot_registry.hpp"
#include "data/database.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/tile_math.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

namespace {

long long total_at(connection& c, int level) {
    return c.scalar_int("SELECT coalesce(sum(n), 0) FROM pin_clusters WHERE cz = " + std::to_string(level));
}

} // namespace

TEST(pin_clusters, demo_plots_are_counted_at_every_level_and_match_a_rebuild) {
    test::temp_dir dir;
    connection conn(test::demo_database(dir, 500).string(), connection::mode::read_write);
    for (const int level : cluster_cell_levels) EXPECT_EQ(total_at(conn, level), 500) << level;
    const auto before = conn.scalar_int("SELECT count(*) FROM pin_clusters");
    rebuild_clusters(conn);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM pin_clusters"), before);
    for (const int level : cluster_cell_levels) EXPECT_EQ(total_at(conn, level), 500) << level;
}

TEST(pin_clusters, reading_sums_finer_cells_and_keeps_counts_by_stage) {
    test::temp_dir dir;
    connection conn(test::demo_database(dir, 300).string(), connection::mode::read_write);
    // The whole world at cell zoom 3 (a z0 tile wants 8 x 8 cells): every plot, once.
    const auto cells = read_clusters(conn, 3, 0, 0, 7, 7);
    long long n = 0;
    long long by_stage = 0;
    for (const auto& c : cells) {
        n += c.count;
        for (const auto& [stage, k] : c.by_stage) by_stage += k;
        const geo::point mean = geo::mercator_to_lonlat(c.mean_mercator);
        EXPECT_EQ(geo::tile_containing(mean, 3), (geo::tile_id{3, c.x, c.y})) << "the mean lies in its cell";
    }
    EXPECT_EQ(n, 300);
    EXPECT_EQ(by_stage, 300);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plots WHERE stage = 'digging'"),
              [&] {
                  long long k = 0;
                  for (const auto& c : cells) k += c.by_stage.count("digging") ? c.by_stage.at("digging") : 0;
                  return k;
              }());
}

TEST(pin_clusters, registry_writes_keep_the_counts_in_step) {
    test::temp_dir dir;
    store db{{test::fresh_database(dir).string(), 1}};
    plot_registry registry{db, registry_rules{}};
    plot_draft d;
    d.program = "HLM";
    d.pin = geo::point{99.8232, 17.008};
    const plot p = registry.create(d, {}).record;
    const auto count = [&](const char* stage) {
        return db.read([&](connection& c) {
            return c.scalar_int(std::string("SELECT coalesce(sum(n), 0) FROM pin_clusters WHERE cz = 14 AND stage = '") + stage + "'");
        });
    };
    EXPECT_EQ(count("surveyed"), 1);
    plot_draft moved = draft_of(p);
    moved.stage = "digging";
    moved.pin = geo::point{100.9, 13.7}; // another province, another cell at every level
    const write_result r = registry.replace(p.id, 1, moved, {});
    EXPECT_TRUE(r.previous_bounds.contains({99.8232, 17.008}));
    EXPECT_EQ(count("surveyed"), 0);
    EXPECT_EQ(count("digging"), 1);
    EXPECT_EQ(db.read([](connection& c) { return c.scalar_int("SELECT count(*) FROM pin_clusters WHERE n <= 0"); }), 0);
    registry.remove(p.id, std::nullopt, {});
    EXPECT_EQ(count("digging"), 0);
    registry.restore(p.id, std::nullopt, {});
    EXPECT_EQ(count("digging"), 1);
}
