#pragma once
// Parsing the z/x/y part of a tile URL into a tile_id, with the rules every tile route
// shares: malformed numbers are a bad request (400), well-formed but outside the grid is
// not found (404).

#include "geo/tile_math.hpp"

#include <string_view>

namespace plotmap::tiles {

/// Parses decimal z, x and y path segments.
/// @throws bad_request if a segment is not a plain decimal integer (no sign, no spaces,
///         at most 10 digits) or z is above geo::max_zoom.
/// @throws not_found if x or y is outside the 2^z grid.
[[nodiscard]] geo::tile_id parse_tile_address(std::string_view z, std::string_view x, std::string_view y);

} // namespace plotmap::tiles
