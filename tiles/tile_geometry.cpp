#include "tiles/tile_geometry.hpp"

#include <cmath>

namespace plotmap::tiles {
namespace {

/// Mercator metres per tile unit, and the tile's top-left corner in metres.
struct frame_math {
    double min_x;
    double max_y;
    double units_per_metre;
};

frame_math math_of(const tile_frame& f) {
    const geo::bbox b = geo::tile_bounds_mercator(f.tile);
    return {b.min_x, b.max_y, f.extent / (b.max_x - b.min_x)};
}

geo::point project(const frame_math& m, geo::point lonlat) {
    const geo::point merc = geo::lonlat_to_mercator(lonlat);
    return {(merc.x - m.min_x) * m.units_per_metre, (m.max_y - merc.y) * m.units_per_metre};
}

// Clip against one edge: keep points where inside(p) holds.
template <typename Inside, typename Cross>
std::vector<geo::point> clip_edge(const std::vector<geo::point>& in, Inside inside, Cross cross) {
    std::vector<geo::point> out;
    if (in.empty()) return out;
    out.reserve(in.size() + 4);
    geo::point prev = in.back();
    bool prev_in = inside(prev);
    for (const geo::point& cur : in) {
        const bool cur_in = inside(cur);
        if (cur_in != prev_in) out.push_back(cross(prev, cur));
        if (cur_in) out.push_back(cur);
        prev = cur;
        prev_in = cur_in;
    }
    return out;
}

double segment_distance(geo::point p, geo::point a, geo::point b) {
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

void douglas_peucker(const std::vector<geo::point>& pts, std::size_t first, std::size_t last, double tolerance,
                     std::vector<bool>& keep) {
    if (last <= first + 1) return;
    double worst = -1;
    std::size_t index = first;
    for (std::size_t i = first + 1; i < last; ++i) {
        const double d = segment_distance(pts[i], pts[first], pts[last]);
        if (d > worst) {
            worst = d;
            index = i;
        }
    }
    if (worst > tolerance) {
        keep[index] = true;
        douglas_peucker(pts, first, index, tolerance, keep);
        douglas_peucker(pts, index, last, tolerance, keep);
    }
}

/// Orientation of (a, b, c): >0 counter-clockwise in a y-up frame.
std::int64_t orient(tile_point a, tile_point b, tile_point c) {
    return (std::int64_t{b.x} - a.x) * (std::int64_t{c.y} - a.y) - (std::int64_t{b.y} - a.y) * (std::int64_t{c.x} - a.x);
}

bool on_segment(tile_point a, tile_point b, tile_point p) {
    return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y && p.y <= std::max(a.y, b.y);
}

bool segments_meet(tile_point a, tile_point b, tile_point c, tile_point d) {
    const std::int64_t o1 = orient(a, b, c);
    const std::int64_t o2 = orient(a, b, d);
    const std::int64_t o3 = orient(c, d, a);
    const std::int64_t o4 = orient(c, d, b);
    if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true;
    return (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) || (o3 == 0 && on_segment(c, d, a)) ||
           (o4 == 0 && on_segment(c, d, b));
}

/// Snaps to the integer grid, removing repeated and collinear points; closes the ring.
tile_ring snap(const std::vector<geo::point>& pts) {
    tile_ring out;
    out.reserve(pts.size() + 1);
    for (const geo::point& p : pts) {
        const tile_point q{static_cast<std::int32_t>(std::lround(p.x)), static_cast<std::int32_t>(std::lround(p.y))};
        if (!out.empty() && out.back() == q) continue;
        while (out.size() >= 2 && orient(out[out.size() - 2], out.back(), q) == 0) out.pop_back();
        out.push_back(q);
    }
    while (out.size() >= 2 && out.front() == out.back()) out.pop_back();
    // The closing corner may be collinear too.
    while (out.size() >= 3 && orient(out[out.size() - 2], out.back(), out.front()) == 0) out.pop_back();
    while (out.size() >= 3 && orient(out.back(), out.front(), out[1]) == 0) out.erase(out.begin());
    if (out.size() < 3) return {};
    out.push_back(out.front());
    return out;
}

} // namespace

geo::bbox frame_bounds_lonlat(const tile_frame& f) {
    const geo::bbox m = geo::tile_bounds_mercator(f.tile);
    const double pad = (m.max_x - m.min_x) * f.buffer / f.extent;
    const geo::point sw = geo::mercator_to_lonlat({m.min_x - pad, m.min_y - pad});
    const geo::point ne = geo::mercator_to_lonlat({m.max_x + pad, m.max_y + pad});
    return {sw.x, sw.y, ne.x, ne.y};
}

geo::point to_tile_units(const tile_frame& f, geo::point lonlat) { return project(math_of(f), lonlat); }

std::optional<tile_point> to_tile_point(const tile_frame& f, geo::point lonlat) {
    const geo::point p = to_tile_units(f, lonlat);
    const double lo = -static_cast<double>(f.buffer);
    const double hi = static_cast<double>(f.extent + f.buffer);
    if (p.x < lo || p.x > hi || p.y < lo || p.y > hi) return std::nullopt;
    return tile_point{static_cast<std::int32_t>(std::lround(p.x)), static_cast<std::int32_t>(std::lround(p.y))};
}

std::vector<geo::point> clip_ring(const std::vector<geo::point>& ring, double min, double max) {
    std::vector<geo::point> pts(ring.begin(), ring.end());
    if (pts.size() > 1 && pts.front() == pts.back()) pts.pop_back();
    const auto at_x = [](geo::point a, geo::point b, double x) {
        return geo::point{x, a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)};
    };
    const auto at_y = [](geo::point a, geo::point b, double y) {
        return geo::point{a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y};
    };
    pts = clip_edge(pts, [&](geo::point p) { return p.x >= min; }, [&](geo::point a, geo::point b) { return at_x(a, b, min); });
    pts = clip_edge(pts, [&](geo::point p) { return p.x <= max; }, [&](geo::point a, geo::point b) { return at_x(a, b, max); });
    pts = clip_edge(pts, [&](geo::point p) { return p.y >= min; }, [&](geo::point a, geo::point b) { return at_y(a, b, min); });
    pts = clip_edge(pts, [&](geo::point p) { return p.y <= max; }, [&](geo::point a, geo::point b) { return at_y(a, b, max); });
    return pts;
}

std::vector<geo::point> simplify_ring(const std::vector<geo::point>& ring, double tolerance) {
    if (tolerance <= 0 || ring.size() <= 4) return ring;
    std::vector<geo::point> pts(ring.begin(), ring.end());
    if (pts.front() == pts.back()) pts.pop_back();
    std::vector<bool> keep(pts.size() + 1, false);
    pts.push_back(pts.front()); // close for the recursion: first and last are the same point
    keep.front() = keep.back() = true;
    // Split at the point farthest from the start so a closed ring keeps its extent.
    std::size_t far = 0;
    double best = -1;
    for (std::size_t i = 1; i + 1 < pts.size(); ++i) {
        const double d = std::hypot(pts[i].x - pts[0].x, pts[i].y - pts[0].y);
        if (d > best) {
            best = d;
            far = i;
        }
    }
    keep[far] = true;
    douglas_peucker(pts, 0, far, tolerance, keep);
    douglas_peucker(pts, far, pts.size() - 1, tolerance, keep);
    std::vector<geo::point> out;
    for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
        if (keep[i]) out.push_back(pts[i]);
    }
    return out;
}

bool self_intersects(const tile_ring& ring) {
    const std::size_t n = ring.size() - 1; // edges
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (j == i + 1 || (i == 0 && j == n - 1)) continue; // adjacent edges share a point
            if (segments_meet(ring[i], ring[i + 1], ring[j], ring[j + 1])) return true;
        }
    }
    return false;
}

std::vector<tile_polygon> to_tile_polygons(const tile_frame& f, const geo::multi_polygon& lonlat, const polygon_options& options) {
    const frame_math m = math_of(f);
    const double lo = -static_cast<double>(f.buffer);
    const double hi = static_cast<double>(f.extent + f.buffer);
    std::vector<tile_polygon> out;
    for (const geo::polygon& poly : lonlat.polygons) {
        tile_polygon tp;
        for (std::size_t r = 0; r < poly.rings.size(); ++r) {
            std::vector<geo::point> pts;
            pts.reserve(poly.rings[r].size());
            for (const geo::point& p : poly.rings[r]) pts.push_back(project(m, p));
            pts = clip_ring(pts, lo, hi);
            if (pts.size() < 3) {
                if (r == 0) break;
                continue;
            }
            pts = simplify_ring(pts, options.simplify_tolerance);
            tile_ring ring = snap(pts);
            const std::int64_t area = ring.empty() ? 0 : twice_signed_area(ring);
            // Small rings are cheap to check exactly; large ones come from clean data and a
            // shape that snapping cannot fold at this size.
            const bool bad = ring.empty() || area == 0 || (ring.size() <= 256 && self_intersects(ring));
            if (bad) {
                if (r == 0) break; // no exterior, no polygon
                continue;
            }
            // Exteriors positive, holes negative in y-down tile coordinates (§4.3.4.4).
            if ((r == 0) != (area > 0)) std::reverse(ring.begin(), ring.end());
            tp.rings.push_back(std::move(ring));
        }
        if (!tp.rings.empty()) out.push_back(std::move(tp));
    }
    return out;
}

} // namespace plotmap::tiles
