#include "geo/geodesic.hpp"
#include "geo/rai_ngan_wa.hpp"

#include <gtest/gtest.h>

using namespace plotmap::geo;

namespace {

/// A square of `side` metres with its south-west corner at `sw`, built along the ellipsoid.
multi_polygon square_m(point sw, double side) {
    const point se = geodesic_destination(sw, 90.0, side);
    const point nw = geodesic_destination(sw, 0.0, side);
    const point ne = geodesic_destination(se, 0.0, side);
    return {{polygon{{{sw, se, ne, nw, sw}}}}};
}

} // namespace

TEST(geodesic, one_degree_cell_at_the_equator_matches_the_ellipsoid) {
    // Reference: GeographicLib Planimeter for (0,0),(0,1),(1,1),(1,0) on WGS 84:
    // 12308778361 m^2, perimeter 443770.917 m (`Planimeter -p 3`).
    const multi_polygon cell{{polygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}}};
    EXPECT_NEAR(geodesic_area_m2(cell), 12308778361.0, 1.0);
    EXPECT_NEAR(geodesic_perimeter_m(cell), 443770.917, 0.01);
}

TEST(geodesic, area_ignores_winding_and_subtracts_holes) {
    multi_polygon sq = square_m({100.5, 16.0}, 100.0);
    const double a = geodesic_area_m2(sq);
    EXPECT_NEAR(a, 10000.0, 5.0);
    std::reverse(sq.polygons[0].rings[0].begin(), sq.polygons[0].rings[0].end());
    EXPECT_DOUBLE_EQ(geodesic_area_m2(sq), a);
    multi_polygon holed = square_m({100.5, 16.0}, 100.0);
    holed.polygons[0].rings.push_back(square_m(geodesic_destination({100.5, 16.0}, 45.0, 30.0), 20.0).polygons[0].rings[0]);
    EXPECT_NEAR(geodesic_area_m2(holed), 10000.0 - 400.0, 5.0);
    EXPECT_NEAR(geodesic_perimeter_m(holed), 400.0 + 80.0, 0.5);
}

TEST(geodesic, one_rai_plot_measures_one_rai_at_several_latitudes) {
    for (const double lat : {6.0, 13.75, 20.4}) {
        const multi_polygon plot = square_m({100.0, lat}, 40.0); // 40 m x 40 m = 1 rai
        EXPECT_NEAR(geodesic_area_m2(plot) / m2_per_rai, 1.0, 0.001) << "latitude " << lat;
    }
}

TEST(geodesic, distance_and_destination_agree) {
    const point a{100.0, 15.0};
    const point b = geodesic_destination(a, 37.0, 1234.5);
    EXPECT_NEAR(geodesic_distance_m(a, b), 1234.5, 1e-6);
}
