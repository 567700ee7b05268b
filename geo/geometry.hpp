#pragma once
// Geometry value types in lon/lat (EPSG:4326, x = longitude, y = latitude) and the pure
// planar predicates on them. No I/O.

#include <algorithm>
#include <limits>
#include <vector>

namespace plotmap::geo {

struct point {
    double x = 0.0; ///< longitude (or easting)
    double y = 0.0; ///< latitude (or northing)
    friend bool operator==(const point&, const point&) = default;
};

/// A closed ring: the first and last positions are equal (RFC 7946 §3.1.6).
using ring = std::vector<point>;

/// rings[0] is the exterior, the rest are holes.
struct polygon {
    std::vector<ring> rings;
    friend bool operator==(const polygon&, const polygon&) = default;
};

struct multi_polygon {
    std::vector<polygon> polygons;
    friend bool operator==(const multi_polygon&, const multi_polygon&) = default;
};

/// An axis-aligned box; empty() until something is added.
struct bbox {
    double min_x = std::numeric_limits<double>::infinity();
    double min_y = std::numeric_limits<double>::infinity();
    double max_x = -std::numeric_limits<double>::infinity();
    double max_y = -std::numeric_limits<double>::infinity();

    [[nodiscard]] bool empty() const noexcept { return min_x > max_x; }
    void extend(point p) noexcept {
        min_x = std::min(min_x, p.x);
        min_y = std::min(min_y, p.y);
        max_x = std::max(max_x, p.x);
        max_y = std::max(max_y, p.y);
    }
    void extend(const bbox& b) noexcept {
        if (b.empty()) return;
        extend(point{b.min_x, b.min_y});
        extend(point{b.max_x, b.max_y});
    }
    [[nodiscard]] bool contains(point p) const noexcept {
        return p.x >= min_x && p.x <= max_x && p.y >= min_y && p.y <= max_y;
    }
    [[nodiscard]] bool intersects(const bbox& b) const noexcept {
        return !(b.min_x > max_x || b.max_x < min_x || b.min_y > max_y || b.max_y < min_y);
    }
    friend bool operator==(const bbox&, const bbox&) = default;
};

[[nodiscard]] bbox envelope(const ring& r) noexcept;
[[nodiscard]] bbox envelope(const polygon& p) noexcept;
[[nodiscard]] bbox envelope(const multi_polygon& mp) noexcept;

/// Shoelace area in the units of the coordinates: positive for counter-clockwise rings.
/// @pre r is closed.
[[nodiscard]] double signed_area(const ring& r) noexcept;

/// Even-odd crossing test; points exactly on an edge may land either side.
[[nodiscard]] bool contains(const ring& r, point p) noexcept;
/// Inside the exterior ring and outside every hole.
[[nodiscard]] bool contains(const polygon& poly, point p) noexcept;
[[nodiscard]] bool contains(const multi_polygon& mp, point p) noexcept;
/// contains(), or `p` lies on one of its rings' edges (within `tolerance`, in coordinate
/// units): "intersects" for a point, as ST_Intersects counts a border shared by two areas.
[[nodiscard]] bool covers(const multi_polygon& mp, point p, double tolerance = 1e-9) noexcept;

/// Area-weighted centroid of a ring (planar). @pre r is closed and has non-zero area.
[[nodiscard]] point centroid(const ring& r) noexcept;

/// Reorders rings so exteriors are counter-clockwise and holes clockwise (RFC 7946 §3.1.6).
void orient_rfc7946(multi_polygon& mp);

} // namespace plotmap::geo
