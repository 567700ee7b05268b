#include "mvt_reader.hpp"
#include "temp_dir.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_geometry.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::tiles;

TEST(mvt, gdal_reads_points_polygons_ids_and_typed_attributes) {
    layer_builder pins("pins", 4096);
    pins.add_point(42, {100, 200}, {{"code", std::string("640101-0001")}, {"area_rai", 3.25}, {"year", std::int64_t{2025}},
                                    {"cluster", false}, {"neg", std::int64_t{-7}}});
    pins.add_point(43, {4000, 4000}, {{"code", std::string("640101-0002")}});
    layer_builder plots("plots", 4096);
    // Exterior positive area in y-down tile coordinates, with a hole (negative area).
    tile_polygon poly{{{{0, 0}, {2048, 0}, {2048, 2048}, {0, 2048}, {0, 0}},
                       {{512, 512}, {512, 1024}, {1024, 1024}, {1024, 512}, {512, 512}}}};
    ASSERT_GT(twice_signed_area(poly.rings[0]), 0);
    ASSERT_LT(twice_signed_area(poly.rings[1]), 0);
    plots.add_polygons(7, {poly}, {{"stage", std::string("digging")}});
    plots.add_polygons(8, {poly, tile_polygon{{{{3000, 3000}, {3500, 3000}, {3500, 3500}, {3000, 3500}, {3000, 3000}}}}},
                       {{"stage", std::string("complete")}});
    layer_builder empty("nothing", 4096);
    const std::string bytes = encode_tile({pins, plots, empty});

    test::temp_dir dir;
    const auto layers = test::decode_with_gdal(bytes, 0, 0, 0, dir.path().string());
    ASSERT_EQ(layers.size(), 2u) << "empty layers are not written";
    const auto& p = layers.at("pins");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].id, 42);
    EXPECT_EQ(p[0].fields.at("code"), "640101-0001");
    EXPECT_EQ(p[0].fields.at("area_rai"), "3.25");
    EXPECT_EQ(p[0].fields.at("year"), "2025");
    EXPECT_EQ(p[0].fields.at("neg"), "-7");
    EXPECT_EQ(p[0].geometry_type, "POINT");
    const auto& polys = layers.at("plots");
    ASSERT_EQ(polys.size(), 2u);
    EXPECT_EQ(polys[0].id, 7);
    EXPECT_EQ(polys[0].geometry_type, "MULTIPOLYGON"); // GDAL's MVT layers are multi-polygon typed
    EXPECT_TRUE(polys[0].valid);
    EXPECT_NE(polys[0].geometry_wkt.find("),("), std::string::npos) << "the hole is kept: " << polys[0].geometry_wkt;
    EXPECT_NE(polys[1].geometry_wkt.find(")),(("), std::string::npos) << "two parts: " << polys[1].geometry_wkt;
    EXPECT_EQ(polys[1].fields.at("stage"), "complete");
}

TEST(mvt, geometry_commands_follow_the_spec) {
    // A single point at (25, 17): MoveTo(1) = 9, zigzag(25) = 50, zigzag(17) = 34 (spec §4.3 example).
    layer_builder l("p", 4096);
    l.add_point(1, {25, 17}, {});
    const std::string layer = l.serialize();
    EXPECT_NE(layer.find(std::string("\x22\x03\x09\x32\x22", 5)), std::string::npos);
}
