#pragma once
// TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0) and the MapLibre
// style (https://maplibre.org/maplibre-style-spec/) for plotmap's tilesets, with absolute URLs.

#include "geo/geometry.hpp"
#include "tiles/tilesets.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace plotmap::tiles {

inline constexpr const char* admin_attribution = "Boundaries: OCHA / Royal Thai Survey Department (CC BY-IGO 3.0)";

/// TileJSON for an XYZ tileset. `base_url` has no trailing slash; `query` (e.g. "?token=…")
/// is appended to every URL; `bounds` may be empty (then the whole world).
[[nodiscard]] nlohmann::json tilejson(const tileset& ts, const std::string& base_url, const std::string& query,
                                      const zoom_rules& zooms, const std::vector<std::string>& stages, const geo::bbox& bounds);

/// An XYZ raster basemap (satellite imagery or a street map) drawn under everything else.
struct basemap {
    std::string url;          ///< tile URL template with {z}, {x} and {y}
    std::string attribution;  ///< shown on the map, as its licence asks
    int max_zoom = 19;        ///< the deepest zoom it has tiles for (MapLibre scales them past it)
};

/// The default style: admin boundaries and Thai labels, plots coloured by stage, pins and
/// clusters with counts; the basemap under them when one is given (the admin layers still
/// orient where its tiles do not load). The font stack it names is served under /fonts.
[[nodiscard]] nlohmann::json default_style(const std::string& base_url, const std::string& query, const zoom_rules& zooms,
                                           const std::vector<std::string>& stages, const basemap* under = nullptr);

/// The font stack the style uses for every label.
inline constexpr const char* label_font = "Noto Sans Thai Regular";

/// A colour per stage, in workflow order (reused in turn past the palette).
[[nodiscard]] std::string stage_colour(std::size_t index);

} // namespace plotmap::tiles
