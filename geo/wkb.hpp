#pragma once
// OGC Well-Known Binary (ISO, 2D) for the geometry types plotmap stores. SpatiaLite takes
// and gives these through GeomFromWKB()/AsBinary().

#include "geo/geometry.hpp"

#include <string>
#include <string_view>

namespace plotmap::geo {

/// Little-endian WKB of a Point.
[[nodiscard]] std::string to_wkb(point p);
/// Little-endian WKB of a MultiPolygon.
[[nodiscard]] std::string to_wkb(const multi_polygon& mp);

/// Reads a WKB Point. @throws invalid_geometry if the bytes are not a 2D Point.
[[nodiscard]] point point_from_wkb(std::string_view wkb);
/// Reads a WKB Polygon or MultiPolygon (either byte order).
/// @throws invalid_geometry if the bytes are truncated or of another type.
[[nodiscard]] multi_polygon multi_polygon_from_wkb(std::string_view wkb);

} // namespace plotmap::geo
