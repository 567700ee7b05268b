#include "geo/geojson.hpp"

#include "geo/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace plotmap::geo {
namespace {

using nlohmann::json;

std::string where(std::size_t polygon, std::size_t ring, bool multi) {
    std::string s = multi ? "polygon " + std::to_string(polygon) + ", " : std::string{};
    return s + (ring == 0 ? "exterior ring" : "hole " + std::to_string(ring));
}

point position(const json& j, const std::string& context) {
    if (!j.is_array() || j.size() < 2 || !j[0].is_number() || !j[1].is_number()) {
        throw invalid_geometry(context + ": a position must be an array of two numbers [lon, lat]");
    }
    const point p{j[0].get<double>(), j[1].get<double>()};
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        throw invalid_geometry(context + ": coordinates must be finite numbers");
    }
    return p;
}

const json& coordinates_of(const json& geometry, const char* expected) {
    if (!geometry.is_object()) throw invalid_geometry("geometry must be a GeoJSON object");
    const auto type = geometry.find("type");
    if (type == geometry.end() || !type->is_string()) throw invalid_geometry("geometry has no \"type\"");
    const auto coords = geometry.find("coordinates");
    if (coords == geometry.end() || !coords->is_array()) {
        throw invalid_geometry(std::string("a ") + expected + " needs a \"coordinates\" array");
    }
    return *coords;
}

polygon read_polygon(const json& rings, std::size_t index, bool multi) {
    if (!rings.is_array() || rings.empty()) {
        throw invalid_geometry((multi ? "polygon " + std::to_string(index) + ": " : std::string{}) +
                               "a polygon needs at least one ring");
    }
    polygon poly;
    for (std::size_t r = 0; r < rings.size(); ++r) {
        const std::string context = where(index, r, multi);
        const json& positions = rings[r];
        if (!positions.is_array()) throw invalid_geometry(context + ": a ring must be an array of positions");
        if (positions.size() < 4) {
            throw invalid_geometry(context + ": a ring needs at least 4 positions, got " +
                                   std::to_string(positions.size()));
        }
        ring out;
        out.reserve(positions.size());
        for (std::size_t v = 0; v < positions.size(); ++v) {
            out.push_back(position(positions[v], context + ", position " + std::to_string(v)));
        }
        if (out.front() != out.back()) {
            throw invalid_geometry(context + ": ring is not closed (first and last positions differ)");
        }
        poly.rings.push_back(std::move(out));
    }
    return poly;
}

json ring_json(const ring& r) {
    json a = json::array();
    for (const point& p : r) a.push_back({p.x, p.y});
    return a;
}

json polygon_json(const polygon& poly) {
    json a = json::array();
    for (const ring& r : poly.rings) a.push_back(ring_json(r));
    return a;
}

} // namespace

point point_from_geojson(const json& geometry) {
    const json& coords = coordinates_of(geometry, "Point");
    if (geometry["type"] != "Point") {
        throw invalid_geometry("expected a Point, got " + geometry["type"].get<std::string>());
    }
    return position(coords, "Point");
}

multi_polygon multi_polygon_from_geojson(const json& geometry) {
    const json& coords = coordinates_of(geometry, "Polygon or MultiPolygon");
    const std::string type = geometry["type"].get<std::string>();
    multi_polygon mp;
    if (type == "Polygon") {
        mp.polygons.push_back(read_polygon(coords, 0, false));
    } else if (type == "MultiPolygon") {
        if (coords.empty()) throw invalid_geometry("a MultiPolygon needs at least one polygon");
        for (std::size_t i = 0; i < coords.size(); ++i) mp.polygons.push_back(read_polygon(coords[i], i, true));
    } else {
        throw invalid_geometry("expected a Polygon or MultiPolygon, got " + type);
    }
    return mp;
}

json to_geojson(point p) {
    return {{"type", "Point"}, {"coordinates", {p.x, p.y}}};
}

json to_geojson(const multi_polygon& mp) {
    if (mp.polygons.size() == 1) {
        return {{"type", "Polygon"}, {"coordinates", polygon_json(mp.polygons.front())}};
    }
    json polys = json::array();
    for (const polygon& poly : mp.polygons) polys.push_back(polygon_json(poly));
    return {{"type", "MultiPolygon"}, {"coordinates", std::move(polys)}};
}

} // namespace plotmap::geo
