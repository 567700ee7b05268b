// libFuzzer target: geometry from outside. The input as GeoJSON (points and (multi)polygons,
// then checked and repaired as a plot boundary would be) and as WKB.

#include "geo/error.hpp"
#include "geo/geojson.hpp"
#include "geo/validity.hpp"
#include "geo/wkb.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>

using namespace plotmap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const geo::service_region region{{97.3, 5.6, 105.7, 20.5}, "Thailand"};
    const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_discarded()) {
        try {
            (void)geo::check_pin(geo::point_from_geojson(doc), region);
        } catch (const plotmap::error&) {
        }
        try {
            geo::multi_polygon mp = geo::multi_polygon_from_geojson(doc);
            // What the parser accepted must survive WKB and GeoJSON unchanged.
            if (geo::multi_polygon_from_wkb(geo::to_wkb(mp)) != mp) std::abort();
            if (geo::multi_polygon_from_geojson(geo::to_geojson(mp)) != mp) std::abort();
            for (const bool repair : {false, true}) {
                try {
                    (void)geo::check_boundary(mp, region, repair);
                } catch (const plotmap::error&) {
                }
            }
        } catch (const plotmap::error&) {
        }
    }
    try {
        (void)geo::point_from_wkb(in);
    } catch (const plotmap::error&) {
    }
    try {
        (void)geo::multi_polygon_from_wkb(in);
    } catch (const plotmap::error&) {
    }
    return 0;
}
