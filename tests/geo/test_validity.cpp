#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/overlay.hpp"
#include "geo/validity.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::geo;

namespace {

multi_polygon poly(std::vector<point> ring) { return {{polygon{{std::move(ring)}}}}; }

std::string error_of(const multi_polygon& mp, bool repair = false) {
    try {
        (void)check_boundary(mp, service_region{}, repair);
    } catch (const invalid_geometry& e) {
        return e.what();
    }
    return "no error";
}

const multi_polygon square = poly({{100.0, 16.0}, {100.001, 16.0}, {100.001, 16.001}, {100.0, 16.001}, {100.0, 16.0}});
// A bow tie: edges cross at (100.0005, 16.0005).
const multi_polygon bow_tie = poly({{100.0, 16.0}, {100.001, 16.001}, {100.001, 16.0}, {100.0, 16.001}, {100.0, 16.0}});

} // namespace

TEST(validity, a_good_boundary_passes_and_is_wound_counter_clockwise) {
    multi_polygon cw = square;
    std::reverse(cw.polygons[0].rings[0].begin(), cw.polygons[0].rings[0].end());
    const checked_boundary ok = check_boundary(cw, service_region{}, false);
    EXPECT_TRUE(ok.repairs.empty());
    EXPECT_GT(signed_area(ok.geometry.polygons[0].rings[0]), 0.0);
}

TEST(validity, ranges_and_region_name_the_position) {
    EXPECT_EQ(error_of(poly({{200.0, 16.0}, {100.001, 16.0}, {100.001, 16.001}, {200.0, 16.0}})),
              "boundary exterior ring, position 0: longitude 200.000000 is out of range (-180 to 180)");
    EXPECT_EQ(error_of(poly({{100.0, 16.0}, {100.001, 95.0}, {100.001, 16.001}, {100.0, 16.0}})),
              "boundary exterior ring, position 1: latitude 95.000000 is out of range (-90 to 90)");
    // Lat/lon swapped, a common spreadsheet mistake: (16, 100) is far outside Thailand.
    EXPECT_EQ(error_of(poly({{16.0, 100.0}, {16.001, 100.0}, {16.001, 100.001}, {16.0, 100.0}})),
              "boundary exterior ring, position 0: latitude 100.000000 is out of range (-90 to 90)");
    EXPECT_EQ(error_of(poly({{2.35, 48.85}, {2.36, 48.85}, {2.36, 48.86}, {2.35, 48.85}})),
              "boundary exterior ring, position 0 (2.350000, 48.850000) is outside the service region Thailand "
              "(97.3,5.6,105.7,20.5)");
    EXPECT_THROW(check_pin({100.5, 25.0}, service_region{}), invalid_geometry);
    EXPECT_NO_THROW(check_pin({100.5, 15.0}, service_region{}));
}

TEST(validity, self_intersection_is_reported_with_its_location) {
    EXPECT_EQ(error_of(bow_tie), "boundary is not valid: self-intersection near 100.000500, 16.000500; fix it, or send "
                                 "repair=true to let plotmap repair it");
}

TEST(validity, repair_only_on_request_and_says_what_changed) {
    const checked_boundary fixed = check_boundary(bow_tie, service_region{}, true);
    ASSERT_EQ(fixed.repairs.size(), 1u);
    EXPECT_EQ(fixed.repairs[0].rfind("repaired self-intersection near 100.000500, 16.000500: now 2 polygon(s); area ", 0), 0u)
        << fixed.repairs[0];
    EXPECT_EQ(fixed.geometry.polygons.size(), 2u);
    EXPECT_NEAR(geodesic_area_m2(fixed.geometry), geodesic_area_m2(square) / 2.0, 1.0);
}

TEST(validity, zero_area_is_refused) {
    EXPECT_EQ(error_of(poly({{100.0, 16.0}, {100.001, 16.0}, {100.002, 16.0}, {100.0, 16.0}})),
              "boundary is not valid: self-intersection near 100.001000, 16.000000; fix it, or send repair=true to let "
              "plotmap repair it");
    EXPECT_EQ(error_of(poly({{100.0, 16.0}, {100.0000001, 16.0}, {100.0000001, 16.0000001}, {100.0, 16.0000001}, {100.0, 16.0}})),
              "boundary has zero area");
}

TEST(validity, hole_outside_shell_is_invalid) {
    multi_polygon mp = square;
    mp.polygons[0].rings.push_back({{100.01, 16.01}, {100.011, 16.01}, {100.011, 16.011}, {100.01, 16.01}});
    EXPECT_EQ(error_of(mp).rfind("boundary is not valid: hole lies outside shell near ", 0), 0u) << error_of(mp);
}

TEST(overlay, intersection_of_overlapping_squares) {
    const multi_polygon shifted =
        poly({{100.0005, 16.0}, {100.0015, 16.0}, {100.0015, 16.001}, {100.0005, 16.001}, {100.0005, 16.0}});
    EXPECT_NEAR(geodesic_area_m2(intersection(square, shifted)), geodesic_area_m2(square) / 2.0, 0.5);
    const multi_polygon far = poly({{101.0, 16.0}, {101.001, 16.0}, {101.001, 16.001}, {101.0, 16.0}});
    EXPECT_TRUE(intersection(square, far).polygons.empty());
}
