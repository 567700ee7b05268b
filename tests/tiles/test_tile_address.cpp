#include "geo/error.hpp"
#include "tiles/tile_address.hpp"

#include <gtest/gtest.h>

using namespace plotmap;

TEST(tile_address, parses_valid_addresses) {
    EXPECT_EQ(tiles::parse_tile_address("0", "0", "0"), (geo::tile_id{0, 0, 0}));
    EXPECT_EQ(tiles::parse_tile_address("14", "12758", "7547"), (geo::tile_id{14, 12758, 7547}));
}

TEST(tile_address, malformed_numbers_are_bad_requests) {
    try {
        (void)tiles::parse_tile_address("1", "-1", "0");
        FAIL();
    } catch (const bad_request& e) {
        EXPECT_STREQ(e.what(), "tile x must be a non-negative integer, got \"-1\"");
    }
    EXPECT_THROW((void)tiles::parse_tile_address("a", "0", "0"), bad_request);
    EXPECT_THROW((void)tiles::parse_tile_address("1", "0", "0.5"), bad_request);
    EXPECT_THROW((void)tiles::parse_tile_address("1", "99999999999999999999", "0"), bad_request);
    EXPECT_THROW((void)tiles::parse_tile_address("", "0", "0"), bad_request);
    try {
        (void)tiles::parse_tile_address("25", "0", "0");
        FAIL();
    } catch (const bad_request& e) {
        EXPECT_STREQ(e.what(), "tile zoom 25 is above the maximum 24");
    }
}

TEST(tile_address, outside_the_grid_is_not_found) {
    try {
        (void)tiles::parse_tile_address("2", "4", "0");
        FAIL();
    } catch (const not_found& e) {
        EXPECT_STREQ(e.what(), "tile 2/4/0 is outside the grid (x and y must be below 4)");
    }
}
