#pragma once
// Areas and lengths on the WGS 84 ellipsoid (Karney's algorithm, as shipped in PROJ's
// geodesic.h), never planar degrees.

#include "geo/geometry.hpp"

namespace plotmap::geo {

/// Area in m² of a lon/lat multipolygon: exteriors minus holes, whatever the winding.
[[nodiscard]] double geodesic_area_m2(const multi_polygon& mp);

/// Perimeter in metres: the length of every ring, holes included (as PostGIS ST_Perimeter).
[[nodiscard]] double geodesic_perimeter_m(const multi_polygon& mp);

/// Distance in metres between two lon/lat points along the ellipsoid.
[[nodiscard]] double geodesic_distance_m(point a, point b);

/// The point reached from `from` after `distance_m` metres on bearing `azimuth_deg`
/// (clockwise from north).
[[nodiscard]] point geodesic_destination(point from, double azimuth_deg, double distance_m);

} // namespace plotmap::geo
