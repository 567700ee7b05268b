#pragma once
// Geometric rules a pin or boundary must meet before it is stored (DESIGN §1, plot
// registry issue): coordinates in range and inside the service region, a valid polygon
// (OGC simple features: no self-intersection, holes inside shells...), non-zero area,
// RFC 7946 winding. Invalid polygons are repaired only on request, and the repair is reported.

#include "geo/geometry.hpp"

#include <string>
#include <vector>

namespace plotmap::geo {

/// Where plots may be: a lon/lat box and its name for messages.
struct service_region {
    bbox box{97.3, 5.6, 105.7, 20.5};
    std::string name = "Thailand";
};

/// @throws invalid_geometry if the pin is outside lon/lat ranges or the region.
void check_pin(point pin, const service_region& region);

struct checked_boundary {
    multi_polygon geometry;            ///< valid, wound per RFC 7946
    std::vector<std::string> repairs;  ///< what repair changed; empty if nothing
};

/// Validates (and with `repair`, mends) a lon/lat boundary.
/// @throws invalid_geometry naming the rule and where it broke: the ring and position for
///         ranges and region, the location for self-intersections ("self-intersection near
///         100.12345, 16.45678"), or "zero area".
[[nodiscard]] checked_boundary check_boundary(multi_polygon boundary, const service_region& region, bool repair);

} // namespace plotmap::geo
