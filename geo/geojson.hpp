#pragma once
// GeoJSON (RFC 7946) geometry objects to and from the value types. Structural checks only:
// what a position, ring or polygon must look like to be read at all. Geometric validity
// (self-intersection, area) is a separate step.

#include "geo/geometry.hpp"

#include <nlohmann/json_fwd.hpp>

namespace plotmap::geo {

/// Reads a GeoJSON Point. @throws invalid_geometry naming what is wrong.
[[nodiscard]] point point_from_geojson(const nlohmann::json& geometry);

/// Reads a GeoJSON Polygon or MultiPolygon. Rings must be closed and have at least four
/// positions; positions must be finite numbers.
/// @throws invalid_geometry naming the polygon, ring and position that broke the rule.
[[nodiscard]] multi_polygon multi_polygon_from_geojson(const nlohmann::json& geometry);

[[nodiscard]] nlohmann::json to_geojson(point p);
/// A Polygon when mp has one member, a MultiPolygon otherwise.
[[nodiscard]] nlohmann::json to_geojson(const multi_polygon& mp);

} // namespace plotmap::geo
