#include "geo/geodesic.hpp"

#include <geodesic.h>

#include <cmath>

namespace plotmap::geo {
namespace {

const geod_geodesic& wgs84() {
    static const geod_geodesic g = [] {
        geod_geodesic init{};
        geod_init(&init, 6378137.0, 1.0 / 298.257223563);
        return init;
    }();
    return g;
}

struct ring_measure {
    double area = 0.0;
    double perimeter = 0.0;
};

ring_measure measure(const ring& r) {
    geod_polygon poly{};
    geod_polygon_init(&poly, 0);
    // The closing position repeats the first; geod_polygon closes the ring itself.
    for (std::size_t i = 0; i + 1 < r.size(); ++i) geod_polygon_addpoint(&wgs84(), &poly, r[i].y, r[i].x);
    ring_measure m;
    geod_polygon_compute(&wgs84(), &poly, 0, 1, &m.area, &m.perimeter);
    return m;
}

} // namespace

double geodesic_area_m2(const multi_polygon& mp) {
    double total = 0.0;
    for (const polygon& poly : mp.polygons) {
        for (std::size_t i = 0; i < poly.rings.size(); ++i) {
            const double a = std::abs(measure(poly.rings[i]).area);
            total += (i == 0) ? a : -a;
        }
    }
    return total;
}

double geodesic_perimeter_m(const multi_polygon& mp) {
    double total = 0.0;
    for (const polygon& poly : mp.polygons) {
        for (const ring& r : poly.rings) total += measure(r).perimeter;
    }
    return total;
}

double geodesic_distance_m(point a, point b) {
    double s12 = 0.0;
    geod_inverse(&wgs84(), a.y, a.x, b.y, b.x, &s12, nullptr, nullptr);
    return s12;
}

point geodesic_destination(point from, double azimuth_deg, double distance_m) {
    double lat = 0.0;
    double lon = 0.0;
    geod_direct(&wgs84(), from.y, from.x, azimuth_deg, distance_m, &lat, &lon, nullptr);
    return {lon, lat};
}

} // namespace plotmap::geo
