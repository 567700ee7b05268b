#pragma once
// GEOS glue shared by validity.cpp and overlay.cpp: a per-thread context and RAII owners.
// Geometries cross the boundary as WKB.

#include "geo/geometry.hpp"

#include <geos_c.h>

#include <memory>
#include <string>

namespace plotmap::geo::detail {

/// This thread's GEOS context (created on first use, finished at thread exit).
GEOSContextHandle_t geos_context();

struct geos_geometry_deleter {
    void operator()(GEOSGeometry* g) const noexcept { GEOSGeom_destroy_r(geos_context(), g); }
};
using geos_ptr = std::unique_ptr<GEOSGeometry, geos_geometry_deleter>;

/// @throws error if GEOS cannot read it.
geos_ptr to_geos(const multi_polygon& mp);

/// The polygonal parts of any GEOS geometry (lines and points of a collection are dropped).
multi_polygon polygons_of(const GEOSGeometry* g);

} // namespace plotmap::geo::detail
