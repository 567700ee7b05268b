#pragma once
// Polygon overlay (through GEOS).

#include "geo/geometry.hpp"

namespace plotmap::geo {

/// The area two multipolygons share (empty if they only touch).
/// @pre both are valid.
[[nodiscard]] multi_polygon intersection(const multi_polygon& a, const multi_polygon& b);

/// A point guaranteed to lie inside the multipolygon (GEOS PointOnSurface).
/// @pre mp is valid and not empty.
[[nodiscard]] point interior_point(const multi_polygon& mp);

} // namespace plotmap::geo
