#pragma once
// What tiles show: public plot attributes (never owner name, phone or deed number) and
// geometry from the cell-clustered tile tables (tile_index.hpp), cluster cells, and admin
// areas through their R*Tree indexes, all in lon/lat.

#include "data/pin_clusters.hpp"
#include "geo/geometry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace plotmap::data {

class connection;

/// The public attributes of a plot, shared by the plots and pins layers.
struct plot_tile_attributes {
    std::int64_t id = 0;
    std::string code;
    std::string program;
    std::string stage;
    std::optional<double> area_m2;
    std::optional<std::string> adm1, adm2, adm3;
    std::optional<std::string> adm3_name; ///< not read by the queries below; see subdistrict_names
    std::optional<std::int64_t> budget_year;
    std::string review_state;
};

struct plot_shape {
    plot_tile_attributes attributes;
    geo::multi_polygon boundary;
};

struct plot_location {
    plot_tile_attributes attributes;
    geo::point location;
};

/// Live plots with a boundary whose box meets `box`, each once.
[[nodiscard]] std::vector<plot_shape> plot_shapes_in(connection& conn, const geo::bbox& box);
/// Live plots whose location lies in `box`.
[[nodiscard]] std::vector<plot_location> plot_locations_in(connection& conn, const geo::bbox& box);

struct admin_shape {
    std::string code;
    std::string name_th;
    std::string name_en;
    geo::multi_polygon geometry;
};

/// Admin areas of `level` (1..3) whose box meets `box`.
[[nodiscard]] std::vector<admin_shape> admin_shapes_in(connection& conn, int level, const geo::bbox& box);

/// Thai name of every subdistrict by code (they never change while serving).
[[nodiscard]] std::unordered_map<std::string, std::string> subdistrict_names(connection& conn);

/// The lon/lat box of every live plot (empty when there are none).
[[nodiscard]] geo::bbox plots_extent(connection& conn);

/// The id of the newest plot history entry (0 when there is none): where a baked archive
/// stands, so that an update can ask what changed after it.
[[nodiscard]] std::int64_t last_history_id(connection& conn);

/// What tiles an update must draw again: every plot with a history entry after `after`,
/// as the lon/lat boxes of its shapes before (the old boundary and pin the entries record)
/// and now (boundary, pin and location, deleted plots included).
struct plot_changes {
    std::int64_t last_history_id = 0; ///< the newest entry read (`after` if none)
    std::int64_t entries = 0;
    std::int64_t plots = 0;
    std::vector<geo::bbox> boxes;
};
[[nodiscard]] plot_changes plot_changes_since(connection& conn, std::int64_t after);

} // namespace plotmap::data
