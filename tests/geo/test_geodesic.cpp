#include "geo/geodesic.hpp"
#include "geo/rai_ngan_wa.hpp"

#include "process.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

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

TEST(geodesic, plot_areas_agree_with_geographiclib_planimeter) {
    // Plots of 1 to 50 rai, as rotated rectangles and irregular pentagons, from the far
    // south (6°N) to the far north (20.4°N): area and perimeter against GeographicLib's
    // independent Planimeter tool.
    for (const double lat : {6.2, 13.75, 17.0, 20.4}) {
        for (const double rai : {1.0, 3.5, 12.0, 25.0, 50.0}) {
            const double side = std::sqrt(rai * m2_per_rai);
            const point a{100.1, lat};
            const point b = geodesic_destination(a, 23.0, side * 1.5);
            const point c = geodesic_destination(b, 113.0, side / 1.5);
            const point d = geodesic_destination(a, 113.0, side / 1.5 * 1.1);
            const point e = geodesic_destination(a, 60.0, side * 0.3);
            const multi_polygon plot{{polygon{{{a, d, c, b, e, a}}}}};
            std::string input;
            for (std::size_t i = 0; i + 1 < plot.polygons[0].rings[0].size(); ++i) {
                char line[64];
                std::snprintf(line, sizeof line, "%.10f %.10f\n", plot.polygons[0].rings[0][i].y, plot.polygons[0].rings[0][i].x);
                input += line;
            }
            const auto r = plotmap::test::run_command({"/bin/sh", "-c", "printf '" + input + "' | Planimeter -p 7"});
            std::istringstream out(r.output);
            int count = 0;
            double perimeter = 0;
            double area = 0;
            out >> count >> perimeter >> area;
            ASSERT_EQ(count, 5) << r.output;
            EXPECT_NEAR(geodesic_area_m2(plot), std::abs(area), 0.01) << rai << " rai at " << lat;
            EXPECT_NEAR(geodesic_perimeter_m(plot), perimeter, 0.001) << rai << " rai at " << lat;
        }
    }
}
