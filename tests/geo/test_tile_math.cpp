#include "geo/tile_math.hpp"

#include <gtest/gtest.h>

using namespace plotmap::geo;

TEST(tile_math, mercator_round_trips_and_has_known_values) {
    const point m = lonlat_to_mercator({100.5, 13.75}); // Bangkok
    EXPECT_NEAR(m.x, 11187608.825, 0.01); // cs2cs EPSG:4326 EPSG:3857
    EXPECT_NEAR(m.y, 1545550.201, 0.01);
    const point back = mercator_to_lonlat(m);
    EXPECT_NEAR(back.x, 100.5, 1e-9);
    EXPECT_NEAR(back.y, 13.75, 1e-9);
}

TEST(tile_math, tile_containing_matches_the_xyz_scheme) {
    EXPECT_EQ(tile_containing({100.5, 13.75}, 0), (tile_id{0, 0, 0}));
    EXPECT_EQ(tile_containing({100.5, 13.75}, 10), (tile_id{10, 797, 472}));
    EXPECT_EQ(tile_containing({180.0, -90.0}, 2), (tile_id{2, 3, 3})); // clamped into the grid
}

TEST(tile_math, bounds_tile_the_world) {
    const bbox world = tile_bounds_mercator({0, 0, 0});
    EXPECT_DOUBLE_EQ(world.min_x, -mercator_max);
    EXPECT_DOUBLE_EQ(world.max_y, mercator_max);
    const bbox t = tile_bounds_mercator({1, 1, 0});
    EXPECT_DOUBLE_EQ(t.min_x, 0.0);
    EXPECT_DOUBLE_EQ(t.min_y, 0.0);
    EXPECT_TRUE(valid(tile_id{3, 7, 7}));
    EXPECT_FALSE(valid(tile_id{3, 8, 0}));
    EXPECT_FALSE(valid(tile_id{25, 0, 0}));
}
