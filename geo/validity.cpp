#include "geo/validity.hpp"

#include "geo/detail/geos.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"

#include <cmath>
#include <cstdio>

namespace plotmap::geo {
namespace {

constexpr double min_area_m2 = 1.0;

std::string coords(point p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f, %.6f", p.x, p.y);
    return buf;
}

std::string region_text(const service_region& r) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%g,%g,%g,%g", r.box.min_x, r.box.min_y, r.box.max_x, r.box.max_y);
    return r.name + " (" + buf + ")";
}

/// Range and region rules for one position; `where` names it for the message.
void check_position(point p, const service_region& region, const std::string& where) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw invalid_geometry(where + ": coordinates must be finite numbers");
    if (p.x < -180.0 || p.x > 180.0) {
        throw invalid_geometry(where + ": longitude " + std::to_string(p.x) + " is out of range (-180 to 180)");
    }
    if (p.y < -90.0 || p.y > 90.0) {
        throw invalid_geometry(where + ": latitude " + std::to_string(p.y) + " is out of range (-90 to 90)");
    }
    if (!region.box.contains(p)) {
        throw invalid_geometry(where + " (" + coords(p) + ") is outside the service region " + region_text(region));
    }
}

std::string ring_name(std::size_t polygon, std::size_t ring, bool multi) {
    std::string s = multi ? "polygon " + std::to_string(polygon) + ", " : std::string{};
    return s + (ring == 0 ? "exterior ring" : "hole " + std::to_string(ring));
}

/// GEOS's reason ("Self-intersection") in lower case, with the location.
std::string invalid_reason(const GEOSGeometry* g) {
    GEOSContextHandle_t ctx = detail::geos_context();
    char* reason = nullptr;
    GEOSGeometry* location = nullptr;
    GEOSisValidDetail_r(ctx, g, 0, &reason, &location);
    std::string text = reason ? reason : "invalid geometry";
    GEOSFree_r(ctx, reason);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    if (location != nullptr) {
        double x = 0;
        double y = 0;
        GEOSGeomGetX_r(ctx, location, &x);
        GEOSGeomGetY_r(ctx, location, &y);
        GEOSGeom_destroy_r(ctx, location);
        text += " near " + coords({x, y});
    }
    return text;
}

} // namespace

void check_pin(point pin, const service_region& region) { check_position(pin, region, "pin"); }

checked_boundary check_boundary(multi_polygon boundary, const service_region& region, bool repair) {
    const bool multi = boundary.polygons.size() > 1;
    for (std::size_t p = 0; p < boundary.polygons.size(); ++p) {
        const auto& rings = boundary.polygons[p].rings;
        for (std::size_t r = 0; r < rings.size(); ++r) {
            for (std::size_t v = 0; v < rings[r].size(); ++v) {
                check_position(rings[r][v], region,
                               "boundary " + ring_name(p, r, multi) + ", position " + std::to_string(v));
            }
        }
    }
    checked_boundary out;
    const detail::geos_ptr g = detail::to_geos(boundary);
    GEOSContextHandle_t ctx = detail::geos_context();
    if (GEOSisValid_r(ctx, g.get()) != 1) {
        const std::string reason = invalid_reason(g.get());
        if (!repair) {
            throw invalid_geometry("boundary is not valid: " + reason +
                                   "; fix it, or send repair=true to let plotmap repair it");
        }
        const detail::geos_ptr fixed(GEOSMakeValid_r(ctx, g.get()));
        if (!fixed) throw invalid_geometry("boundary is not valid (" + reason + ") and could not be repaired");
        const double before = geodesic_area_m2(boundary);
        boundary = detail::polygons_of(fixed.get());
        if (boundary.polygons.empty()) {
            throw invalid_geometry("boundary is not valid (" + reason + ") and repairing it leaves no area");
        }
        char change[160];
        std::snprintf(change, sizeof change, "now %zu polygon(s); area %.1f m² before, %.1f m² after",
                      boundary.polygons.size(), before, geodesic_area_m2(boundary));
        out.repairs.push_back("repaired " + reason + ": " + change);
    }
    if (geodesic_area_m2(boundary) < min_area_m2) throw invalid_geometry("boundary has zero area");
    orient_rfc7946(boundary);
    out.geometry = std::move(boundary);
    return out;
}

} // namespace plotmap::geo
