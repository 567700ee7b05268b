#include "geo/tile_math.hpp"
#include "tiles/tile_geometry.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace plotmap;
using namespace plotmap::tiles;

namespace {

/// A lon/lat square of `side` degrees at (lon, lat).
geo::multi_polygon square(double lon, double lat, double side) {
    return {{geo::polygon{{{{lon, lat}, {lon + side, lat}, {lon + side, lat + side}, {lon, lat + side}, {lon, lat}}}}}};
}

const tile_frame z14{geo::tile_containing({99.8232, 17.008}, 14), 4096, 64};

} // namespace

TEST(tile_geometry, projects_into_the_tile_with_exteriors_positive) {
    const geo::bbox b = frame_bounds_lonlat(z14);
    const double lon = (b.min_x + b.max_x) / 2;
    const double lat = (b.min_y + b.max_y) / 2;
    const auto polys = to_tile_polygons(z14, square(lon, lat, 0.001));
    ASSERT_EQ(polys.size(), 1u);
    EXPECT_GT(twice_signed_area(polys[0].rings[0]), 0);
    for (const tile_point& p : polys[0].rings[0]) {
        EXPECT_GE(p.x, 0);
        EXPECT_LE(p.x, 4096);
    }
    const auto pt = to_tile_point(z14, {lon, lat});
    ASSERT_TRUE(pt.has_value());
    EXPECT_NEAR(pt->x, 2048, 2);
    EXPECT_NEAR(pt->y, 2048, 2);
    EXPECT_FALSE(to_tile_point(z14, {lon + 1, lat}).has_value());
}

TEST(tile_geometry, clipping_keeps_the_buffer_and_nothing_beyond) {
    const geo::bbox b = frame_bounds_lonlat(z14);
    const auto polys = to_tile_polygons(z14, square(b.min_x - 0.05, b.min_y - 0.05, 0.2)); // covers the whole tile
    ASSERT_EQ(polys.size(), 1u);
    for (const tile_point& p : polys[0].rings[0]) {
        EXPECT_TRUE(p.x == -64 || p.x == 4160) << p.x;
        EXPECT_TRUE(p.y == -64 || p.y == 4160) << p.y;
    }
    EXPECT_EQ(polys[0].rings[0].size(), 5u);
}

TEST(tile_geometry, neighbours_sharing_an_edge_keep_exactly_the_same_edge) {
    // Two plots sharing an edge with a kink; snapped independently they still share it.
    const geo::bbox b = frame_bounds_lonlat(z14);
    const double x0 = b.min_x + 0.003;
    const double y0 = b.min_y + 0.003;
    const geo::point s0{x0 + 0.0011, y0};
    const geo::point s1{x0 + 0.00113, y0 + 0.0005};
    const geo::point s2{x0 + 0.00109, y0 + 0.001};
    const geo::multi_polygon left{{geo::polygon{{{{x0, y0}, s0, s1, s2, {x0, y0 + 0.001}, {x0, y0}}}}}};
    const geo::multi_polygon right{{geo::polygon{{{s0, {x0 + 0.002, y0}, {x0 + 0.002, y0 + 0.001}, s2, s1, s0}}}}};
    for (int z = 14; z <= 20; ++z) {
        const tile_frame f{geo::tile_containing(s1, z), 4096, 64};
        const auto a = to_tile_polygons(f, left);
        const auto c = to_tile_polygons(f, right);
        if (a.empty() || c.empty()) continue;
        const auto snapped = [&](geo::point p) { return *to_tile_point(f, p); };
        std::set<std::pair<int, int>> va;
        std::set<std::pair<int, int>> vc;
        for (const auto& p : a[0].rings[0]) va.insert({p.x, p.y});
        for (const auto& p : c[0].rings[0]) vc.insert({p.x, p.y});
        for (const geo::point s : {s0, s1, s2}) {
            const tile_point t = snapped(s);
            // A shared vertex is in both rings, or dropped from both as collinear.
            EXPECT_EQ(va.count({t.x, t.y}), vc.count({t.x, t.y})) << "zoom " << z;
        }
    }
}

TEST(tile_geometry, rings_that_collapse_or_fold_are_dropped) {
    const geo::bbox b = frame_bounds_lonlat(z14);
    // Far below a tile unit at zoom 14: collapses to nothing.
    EXPECT_TRUE(to_tile_polygons(z14, square(b.min_x + 0.01, b.min_y + 0.01, 1e-7)).empty());
    // A hole that collapses is dropped but the polygon stays.
    geo::multi_polygon holed = square(b.min_x + 0.01, b.min_y + 0.01, 0.005);
    holed.polygons[0].rings.push_back({{b.min_x + 0.012, b.min_y + 0.012}, {b.min_x + 0.012, b.min_y + 0.0120001},
                                       {b.min_x + 0.0120001, b.min_y + 0.0120001}, {b.min_x + 0.012, b.min_y + 0.012}});
    const auto polys = to_tile_polygons(z14, holed);
    ASSERT_EQ(polys.size(), 1u);
    EXPECT_EQ(polys[0].rings.size(), 1u);
}

TEST(tile_geometry, self_intersection_check) {
    EXPECT_TRUE(self_intersects({{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}));
    EXPECT_FALSE(self_intersects({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}));
    EXPECT_TRUE(self_intersects({{0, 0}, {10, 0}, {5, 0}, {5, 5}, {0, 0}})) << "an edge doubling back on itself";
}

TEST(tile_geometry, simplify_keeps_shape_within_tolerance) {
    std::vector<geo::point> ring;
    for (int i = 0; i <= 100; ++i) ring.push_back({i * 10.0, (i % 2) * 0.5});
    ring.push_back({1000, 500});
    ring.push_back({0, 500});
    ring.push_back({0, 0});
    const auto s = simplify_ring(ring, 1.0);
    EXPECT_LE(s.size(), 6u);
    EXPECT_GE(s.size(), 4u);
}
