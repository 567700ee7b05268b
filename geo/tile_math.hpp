#pragma once
// Web Mercator (EPSG:3857) and the XYZ / OGC WebMercatorQuad tile grid. Pure constexpr-
// friendly math; PROJ is not needed for this spherical projection.

#include "geo/geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace plotmap::geo {

inline constexpr double earth_radius_m = 6378137.0;
inline constexpr double mercator_max = std::numbers::pi * earth_radius_m; ///< half the world's width in m
inline constexpr double mercator_max_lat = 85.0511287798066;
inline constexpr int max_zoom = 24;

/// Tile address in the XYZ scheme (y = 0 at the north).
struct tile_id {
    int z = 0;
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    friend bool operator==(const tile_id&, const tile_id&) = default;
};

/// Number of tiles along one axis at zoom z. @pre 0 <= z <= max_zoom.
constexpr std::uint32_t tiles_per_axis(int z) noexcept {
    assert(z >= 0 && z <= max_zoom);
    return std::uint32_t{1} << z;
}

constexpr bool valid(const tile_id& t) noexcept {
    return t.z >= 0 && t.z <= max_zoom && t.x < tiles_per_axis(t.z) && t.y < tiles_per_axis(t.z);
}

/// lon/lat degrees to Web Mercator metres; latitude clamped to the Mercator limit.
inline point lonlat_to_mercator(point lonlat) noexcept {
    const double lat = std::clamp(lonlat.y, -mercator_max_lat, mercator_max_lat);
    return {lonlat.x * mercator_max / 180.0,
            std::log(std::tan(std::numbers::pi / 4.0 + lat * std::numbers::pi / 360.0)) * earth_radius_m};
}

inline point mercator_to_lonlat(point m) noexcept {
    return {m.x * 180.0 / mercator_max,
            (2.0 * std::atan(std::exp(m.y / earth_radius_m)) - std::numbers::pi / 2.0) * 180.0 / std::numbers::pi};
}

/// The tile's extent in Web Mercator metres. @pre valid(t).
inline bbox tile_bounds_mercator(const tile_id& t) noexcept {
    assert(valid(t));
    const double size = 2.0 * mercator_max / tiles_per_axis(t.z);
    bbox b;
    b.min_x = -mercator_max + t.x * size;
    b.max_x = b.min_x + size;
    b.max_y = mercator_max - t.y * size;
    b.min_y = b.max_y - size;
    return b;
}

/// The tile containing a lon/lat point at zoom z. @pre 0 <= z <= max_zoom.
inline tile_id tile_containing(point lonlat, int z) noexcept {
    const point m = lonlat_to_mercator(lonlat);
    const double n = tiles_per_axis(z);
    const auto clamp_index = [n](double v) {
        return static_cast<std::uint32_t>(std::clamp(std::floor(v), 0.0, n - 1.0));
    };
    return {z, clamp_index((m.x + mercator_max) / (2.0 * mercator_max) * n),
            clamp_index((mercator_max - m.y) / (2.0 * mercator_max) * n)};
}

} // namespace plotmap::geo
