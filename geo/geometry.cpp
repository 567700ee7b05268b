#include "geo/geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace plotmap::geo {

bbox envelope(const ring& r) noexcept {
    bbox b;
    for (const point& p : r) b.extend(p);
    return b;
}

bbox envelope(const polygon& p) noexcept {
    return p.rings.empty() ? bbox{} : envelope(p.rings.front());
}

bbox envelope(const multi_polygon& mp) noexcept {
    bbox b;
    for (const polygon& p : mp.polygons) b.extend(envelope(p));
    return b;
}

double signed_area(const ring& r) noexcept {
    double twice = 0.0;
    for (std::size_t i = 0; i + 1 < r.size(); ++i) {
        twice += r[i].x * r[i + 1].y - r[i + 1].x * r[i].y;
    }
    return twice / 2.0;
}

bool contains(const ring& r, point p) noexcept {
    bool inside = false;
    for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
        const point& a = r[i];
        const point& b = r[j];
        if ((a.y > p.y) != (b.y > p.y)) {
            const double x_cross = (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x;
            if (p.x < x_cross) inside = !inside;
        }
    }
    return inside;
}

bool contains(const polygon& poly, point p) noexcept {
    if (poly.rings.empty() || !contains(poly.rings.front(), p)) return false;
    for (std::size_t i = 1; i < poly.rings.size(); ++i) {
        if (contains(poly.rings[i], p)) return false;
    }
    return true;
}

bool covers(const multi_polygon& mp, point p, double tolerance) noexcept {
    if (contains(mp, p)) return true;
    for (const polygon& poly : mp.polygons) {
        for (const ring& r : poly.rings) {
            for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
                const point& a = r[j];
                const point& b = r[i];
                const double dx = b.x - a.x;
                const double dy = b.y - a.y;
                const double length2 = dx * dx + dy * dy;
                const double t = length2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / length2, 0.0, 1.0) : 0.0;
                if (std::hypot(a.x + t * dx - p.x, a.y + t * dy - p.y) <= tolerance) return true;
            }
        }
    }
    return false;
}

bool contains(const multi_polygon& mp, point p) noexcept {
    for (const polygon& poly : mp.polygons) {
        if (contains(poly, p)) return true;
    }
    return false;
}

point centroid(const ring& r) noexcept {
    const double a = signed_area(r);
    assert(a != 0.0);
    double cx = 0.0;
    double cy = 0.0;
    for (std::size_t i = 0; i + 1 < r.size(); ++i) {
        const double cross = r[i].x * r[i + 1].y - r[i + 1].x * r[i].y;
        cx += (r[i].x + r[i + 1].x) * cross;
        cy += (r[i].y + r[i + 1].y) * cross;
    }
    return {cx / (6.0 * a), cy / (6.0 * a)};
}

void orient_rfc7946(multi_polygon& mp) {
    for (polygon& poly : mp.polygons) {
        for (std::size_t i = 0; i < poly.rings.size(); ++i) {
            const bool want_ccw = (i == 0);
            const bool is_ccw = signed_area(poly.rings[i]) > 0.0;
            if (want_ccw != is_ccw) std::reverse(poly.rings[i].begin(), poly.rings[i].end());
        }
    }
}

} // namespace plotmap::geo
