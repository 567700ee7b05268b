#include "tiles/tile_address.hpp"

#include "geo/error.hpp"

#include <charconv>
#include <cstdint>
#include <string>

namespace plotmap::tiles {
namespace {

std::uint64_t parse_segment(std::string_view text, const char* name) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.size() > 10 || ec != std::errc{} || end != text.data() + text.size()) {
        throw bad_request(std::string("tile ") + name + " must be a non-negative integer, got \"" +
                          std::string(text.substr(0, 32)) + "\"");
    }
    return value;
}

} // namespace

geo::tile_id parse_tile_address(std::string_view z, std::string_view x, std::string_view y) {
    const std::uint64_t zoom = parse_segment(z, "zoom");
    const std::uint64_t col = parse_segment(x, "x");
    const std::uint64_t row = parse_segment(y, "y");
    if (zoom > static_cast<std::uint64_t>(geo::max_zoom)) {
        throw bad_request("tile zoom " + std::to_string(zoom) + " is above the maximum " +
                          std::to_string(geo::max_zoom));
    }
    const geo::tile_id t{static_cast<int>(zoom), static_cast<std::uint32_t>(col), static_cast<std::uint32_t>(row)};
    const std::uint64_t n = geo::tiles_per_axis(t.z);
    if (col >= n || row >= n) {
        throw not_found("tile " + std::to_string(zoom) + "/" + std::to_string(col) + "/" + std::to_string(row) +
                        " is outside the grid (x and y must be below " + std::to_string(n) + ")");
    }
    return t;
}

} // namespace plotmap::tiles
