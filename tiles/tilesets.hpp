#pragma once
// What plotmap's tilesets contain: their layers, the zooms each layer appears at, and the
// fields features carry. Pure description, shared by the renderer, TileJSON and the style.

#include <array>
#include <string>
#include <utility>
#include <vector>

namespace plotmap::tiles {

/// The layers tiles can carry.
enum class tile_layer { plots, pins, adm1, adm2, adm3, admin_labels };

struct tileset {
    std::string name;                ///< URL name: "plots", "admin", or "collection:<id>" for OGC API Tiles
    std::string title;
    std::vector<tile_layer> layers;
    bool plot_data;                  ///< changes when plots change
};

/// Zoom settings (from config [tiles]).
struct zoom_rules {
    int plots_min_zoom = 13;      ///< plot polygons from this zoom
    int cluster_below_zoom = 12;  ///< pins clustered below this zoom
    int max_zoom = 18;            ///< announced maxzoom
};

/// Admin boundaries of level 1..3 appear from these zooms.
inline constexpr std::array<int, 3> admin_min_zoom{0, 7, 10};

/// Labels per admin level appear in this zoom range (inclusive).
struct label_range {
    int level;
    int min_zoom;
    int max_zoom;
};
inline constexpr std::array<label_range, 3> label_ranges{{{1, 5, 8}, {2, 8, 10}, {3, 11, 24}}};

/// Every tileset: "plots" and "admin" (XYZ), then one per OGC collection.
[[nodiscard]] const std::vector<tileset>& tilesets();
/// @throws not_found naming the tilesets that exist.
[[nodiscard]] const tileset& find_tileset(const std::string& name);

struct layer_info {
    std::string name;
    std::string description;
    int min_zoom;
    int max_zoom;
    std::vector<std::pair<std::string, std::string>> fields; ///< name, TileJSON type (String, Number, Boolean)
};
[[nodiscard]] layer_info describe(tile_layer layer, const zoom_rules& zooms, const std::vector<std::string>& stages);

} // namespace plotmap::tiles
