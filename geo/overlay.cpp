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

} // namespace plotmap::geo
