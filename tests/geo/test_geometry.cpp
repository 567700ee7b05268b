#include "geo/geometry.hpp"

#include <gtest/gtest.h>

using namespace plotmap::geo;

namespace {

ring square(double x0, double y0, double size) {
    return {{x0, y0}, {x0 + size, y0}, {x0 + size, y0 + size}, {x0, y0 + size}, {x0, y0}};
}

} // namespace

TEST(geometry, signed_area_is_positive_for_counter_clockwise) {
    ring r = square(0, 0, 2);
    EXPECT_DOUBLE_EQ(signed_area(r), 4.0);
    std::reverse(r.begin(), r.end());
    EXPECT_DOUBLE_EQ(signed_area(r), -4.0);
}

TEST(geometry, contains_respects_holes) {
    polygon p{{square(0, 0, 10), square(4, 4, 2)}};
    EXPECT_TRUE(contains(p, {1, 1}));
    EXPECT_FALSE(contains(p, {5, 5}));   // in the hole
    EXPECT_FALSE(contains(p, {11, 5}));  // outside
    multi_polygon mp{{p, polygon{{square(20, 20, 1)}}}};
    EXPECT_TRUE(contains(mp, {20.5, 20.5}));
    EXPECT_FALSE(contains(mp, {15, 15}));
}

TEST(geometry, covers_counts_the_border_as_contains_does_not) {
    const multi_polygon mp{{polygon{{square(0, 0, 10), square(4, 4, 2)}}}};
    for (const point on : {point{0, 0}, point{10, 5}, point{5, 10}, point{4, 5}, point{6, 6}}) {
        EXPECT_TRUE(covers(mp, on)) << on.x << " " << on.y; // corners, edges, the hole's edge
    }
    EXPECT_TRUE(covers(mp, {1, 1}));
    EXPECT_FALSE(covers(mp, {5, 5}));       // inside the hole
    EXPECT_FALSE(covers(mp, {10.001, 5}));  // just outside
    EXPECT_TRUE(covers(mp, {10 + 1e-10, 5})); // within the tolerance
}

TEST(geometry, envelope_and_bbox_predicates) {
    multi_polygon mp{{polygon{{square(1, 2, 3)}}, polygon{{square(-5, -6, 1)}}}};
    const bbox b = envelope(mp);
    EXPECT_EQ(b, (bbox{-5, -6, 4, 5}));
    EXPECT_TRUE(b.contains({0, 0}));
    EXPECT_FALSE(b.contains({4.1, 0}));
    EXPECT_TRUE(b.intersects(bbox{4, 5, 9, 9}));
    EXPECT_FALSE(b.intersects(bbox{4.5, 5, 9, 9}));
    EXPECT_TRUE(bbox{}.empty());
}

TEST(geometry, centroid_of_square_is_its_middle) {
    const point c = centroid(square(2, 4, 2));
    EXPECT_DOUBLE_EQ(c.x, 3.0);
    EXPECT_DOUBLE_EQ(c.y, 5.0);
}

TEST(geometry, orient_rfc7946_makes_exteriors_ccw_and_holes_cw) {
    ring outer = square(0, 0, 10);
    std::reverse(outer.begin(), outer.end());
    multi_polygon mp{{polygon{{outer, square(4, 4, 2)}}}};
    orient_rfc7946(mp);
    EXPECT_GT(signed_area(mp.polygons[0].rings[0]), 0.0);
    EXPECT_LT(signed_area(mp.polygons[0].rings[1]), 0.0);
}
