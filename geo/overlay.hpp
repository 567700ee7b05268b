#pragma once
// Polygon overlay (through GEOS).

#include "geo/geometry.hpp"

namespace plotmap::geo {

/// The area two multipolygons share (empty if they only touch).
/// @pre both are valid.
[[nodiscard]] multi_polygon intersection(const multi_polygon& a, const multi_polygon& b);

} // namespace plotmap::geo
