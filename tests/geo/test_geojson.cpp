#include "geo/error.hpp"
#include "geo/geojson.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::geo;
using nlohmann::json;

namespace {

std::string error_of(const json& j) {
    try {
        (void)multi_polygon_from_geojson(j);
    } catch (const invalid_geometry& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(geojson, polygon_and_multipolygon_round_trip) {
    const json poly = json::parse(R"({"type":"Polygon","coordinates":[[[100,15],[101,15],[101,16],[100,15]]]})");
    const multi_polygon mp = multi_polygon_from_geojson(poly);
    ASSERT_EQ(mp.polygons.size(), 1u);
    EXPECT_EQ(to_geojson(mp), poly);

    const json multi = json::parse(
        R"({"type":"MultiPolygon","coordinates":[[[[100,15],[101,15],[101,16],[100,15]]],[[[102,15],[103,15],[103,16],[102,15]]]]})");
    EXPECT_EQ(to_geojson(multi_polygon_from_geojson(multi)), multi);
}

TEST(geojson, point_round_trips) {
    const json p = json::parse(R"({"type":"Point","coordinates":[100.5,16.25]})");
    EXPECT_EQ(point_from_geojson(p), (point{100.5, 16.25}));
    EXPECT_EQ(to_geojson(point_from_geojson(p)), p);
}

TEST(geojson, structural_errors_say_what_and_where) {
    EXPECT_EQ(error_of(json::parse(R"({"type":"Polygon","coordinates":[[[100,15],[101,15],[101,16],[100,16]]]})")),
              "exterior ring: ring is not closed (first and last positions differ)");
    EXPECT_EQ(error_of(json::parse(R"({"type":"Polygon","coordinates":[[[100,15],[101,15],[100,15]]]})")),
              "exterior ring: a ring needs at least 4 positions, got 3");
    EXPECT_EQ(error_of(json::parse(
                  R"({"type":"MultiPolygon","coordinates":[[[[100,15],[101,15],[101,16],[100,15]]],[[[0,0],[1,0],[1,1],[0,0]],[[0,0],["x",0],[1,1],[0,0]]]]})")),
              "polygon 1, hole 1, position 1: a position must be an array of two numbers [lon, lat]");
    EXPECT_EQ(error_of(json::parse(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})")),
              "expected a Polygon or MultiPolygon, got LineString");
    EXPECT_EQ(error_of(json::parse(R"({"type":"Polygon"})")), "a Polygon or MultiPolygon needs a \"coordinates\" array");
    EXPECT_EQ(error_of(json::parse(R"([1,2])")), "geometry must be a GeoJSON object");
}
