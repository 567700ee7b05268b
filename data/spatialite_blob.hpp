#pragma once
// Reading SpatiaLite's own geometry BLOBs directly (https://www.gaia-gis.it/gaia-sins/BLOB-Geometry.html),
// skipping an AsBinary() call per row on the hot tile paths.

#include "geo/geometry.hpp"

#include <string_view>

namespace plotmap::data {

/// @throws store_error if the BLOB is not an uncompressed XY POINT.
[[nodiscard]] geo::point point_from_spatialite(std::string_view blob);

/// @throws store_error if the BLOB is not an uncompressed XY POLYGON or MULTIPOLYGON.
[[nodiscard]] geo::multi_polygon multi_polygon_from_spatialite(std::string_view blob);

} // namespace plotmap::data
