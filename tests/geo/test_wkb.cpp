#include "geo/error.hpp"
#include "geo/wkb.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace plotmap;
using namespace plotmap::geo;

TEST(wkb, point_round_trips_and_matches_the_standard_bytes) {
    const std::string bytes = to_wkb(point{1.0, 2.0});
    ASSERT_EQ(bytes.size(), 21u);
    EXPECT_EQ(bytes[0], '\x01');                  // little endian
    EXPECT_EQ(bytes.substr(1, 4), std::string("\x01\x00\x00\x00", 4)); // type 1
    EXPECT_EQ(point_from_wkb(bytes), (point{1.0, 2.0}));
}

TEST(wkb, multi_polygon_round_trips) {
    multi_polygon mp{{polygon{{{{100, 15}, {101, 15}, {101, 16}, {100, 15}}}},
                      polygon{{{{102, 15}, {103, 15}, {103, 16}, {102, 15}}, {{102.2, 15.1}, {102.8, 15.1}, {102.8, 15.5}, {102.2, 15.1}}}}}};
    EXPECT_EQ(multi_polygon_from_wkb(to_wkb(mp)), mp);
}

TEST(wkb, reads_big_endian_polygon_as_multi_polygon) {
    // Polygon, big endian, one ring of 4 points: (0 0, 1 0, 1 1, 0 0)
    std::string bytes("\x00\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x04", 13);
    const auto be = [](double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        bits = __builtin_bswap64(bits);
        return std::string(reinterpret_cast<const char*>(&bits), 8);
    };
    for (const auto& [x, y] : std::vector<std::pair<double, double>>{{0, 0}, {1, 0}, {1, 1}, {0, 0}}) bytes += be(x) + be(y);
    const multi_polygon mp = multi_polygon_from_wkb(bytes);
    ASSERT_EQ(mp.polygons.size(), 1u);
    EXPECT_EQ(mp.polygons[0].rings[0][2], (point{1, 1}));
}

TEST(wkb, truncated_and_wrong_types_are_rejected_with_a_message) {
    const std::string bytes = to_wkb(multi_polygon{{polygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}}});
    try {
        (void)multi_polygon_from_wkb(bytes.substr(0, bytes.size() - 3));
        FAIL() << "expected invalid_geometry";
    } catch (const invalid_geometry& e) {
        EXPECT_STREQ(e.what(), "WKB: truncated geometry");
    }
    try {
        (void)point_from_wkb(bytes);
        FAIL() << "expected invalid_geometry";
    } catch (const invalid_geometry& e) {
        EXPECT_STREQ(e.what(), "WKB: expected a Point");
    }
    // A ring count far beyond the bytes present must not allocate or read past the end.
    std::string huge("\x01\x03\x00\x00\x00\xff\xff\xff\x7f", 9);
    EXPECT_THROW((void)multi_polygon_from_wkb(huge), invalid_geometry);
}
