#include "geo/overlay.hpp"

#include "geo/detail/geos.hpp"
#include "geo/error.hpp"

namespace plotmap::geo {

multi_polygon intersection(const multi_polygon& a, const multi_polygon& b) {
    const detail::geos_ptr ga = detail::to_geos(a);
    const detail::geos_ptr gb = detail::to_geos(b);
    const detail::geos_ptr result(GEOSIntersection_r(detail::geos_context(), ga.get(), gb.get()));
    if (!result) throw error("GEOS could not intersect two polygons");
    return detail::polygons_of(result.get());
}

point interior_point(const multi_polygon& mp) {
    GEOSContextHandle_t ctx = detail::geos_context();
    const detail::geos_ptr g = detail::to_geos(mp);
    const detail::geos_ptr p(GEOSPointOnSurface_r(ctx, g.get()));
    point out;
    if (!p || GEOSGeomGetX_r(ctx, p.get(), &out.x) != 1 || GEOSGeomGetY_r(ctx, p.get(), &out.y) != 1) {
        throw error("GEOS could not find a point inside a polygon");
    }
    return out;
}

} // namespace plotmap::geo
