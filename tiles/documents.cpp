#include "tiles/documents.hpp"

#include <array>

namespace plotmap::tiles {
namespace {

using nlohmann::json;

json stage_colour_expression(const std::vector<std::string>& stages) {
    json e = json::array({"match", json::array({"get", "stage"})});
    for (std::size_t i = 0; i < stages.size(); ++i) {
        e.push_back(stages[i]);
        e.push_back(stage_colour(i));
    }
    e.push_back("#888888");
    return e;
}

} // namespace

std::string stage_colour(std::size_t index) {
    static constexpr std::array<const char*, 8> palette{"#e4572e", "#f3a712", "#29a3c7", "#2e8b57",
                                                        "#8e5ea2", "#a0522d", "#d4458c", "#556b2f"};
    return palette[index % palette.size()];
}

json tilejson(const tileset& ts, const std::string& base_url, const std::string& query, const zoom_rules& zooms,
              const std::vector<std::string>& stages, const geo::bbox& bounds) {
    json layers = json::array();
    for (const tile_layer layer : ts.layers) {
        const layer_info info = describe(layer, zooms, stages);
        json fields = json::object();
        for (const auto& [name, type] : info.fields) fields[name] = type;
        layers.push_back({{"id", info.name},
                          {"description", info.description},
                          {"minzoom", info.min_zoom},
                          {"maxzoom", info.max_zoom},
                          {"fields", std::move(fields)}});
    }
    const geo::bbox b = bounds.empty() ? geo::bbox{-180, -85.0511, 180, 85.0511} : bounds;
    const int center_zoom = bounds.empty() ? 0 : 6;
    return {{"tilejson", "3.0.0"},
            {"name", ts.title},
            {"scheme", "xyz"},
            {"tiles", json::array({base_url + "/tiles/" + ts.name + "/{z}/{x}/{y}.mvt" + query})},
            {"minzoom", 0},
            {"maxzoom", zooms.max_zoom},
            {"bounds", {b.min_x, b.min_y, b.max_x, b.max_y}},
            {"center", {(b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2, center_zoom}},
            {"attribution", admin_attribution},
            {"vector_layers", std::move(layers)}};
}

json default_style(const std::string& base_url, const std::string& query, const zoom_rules& zooms,
                   const std::vector<std::string>& stages, const basemap* under) {
    const json font = json::array({label_font});
    const json not_cluster = json::array({"!", json::array({"has", "point_count"})});
    const json is_cluster = json::array({"has", "point_count"});
    json layers = json::array({
        {{"id", "background"}, {"type", "background"}, {"paint", {{"background-color", "#f4f1e8"}}}},
        {{"id", "adm3-line"}, {"type", "line"}, {"source", "admin"}, {"source-layer", "adm3"}, {"minzoom", admin_min_zoom[2]},
         {"paint", {{"line-color", "#b9b2a5"}, {"line-width", 0.6}, {"line-dasharray", {3, 2}}}}},
        {{"id", "adm2-line"}, {"type", "line"}, {"source", "admin"}, {"source-layer", "adm2"}, {"minzoom", admin_min_zoom[1]},
         {"paint", {{"line-color", "#988d7a"}, {"line-width", 1}}}},
        {{"id", "adm1-line"}, {"type", "line"}, {"source", "admin"}, {"source-layer", "adm1"},
         {"paint", {{"line-color", "#6d6457"}, {"line-width", json::array({"interpolate", json::array({"linear"}), json::array({"zoom"}), 4, 0.8, 10, 2})}}}},
        {{"id", "plots-fill"}, {"type", "fill"}, {"source", "plots"}, {"source-layer", "plots"}, {"minzoom", zooms.plots_min_zoom},
         {"paint", {{"fill-color", stage_colour_expression(stages)},
                    {"fill-opacity", json::array({"case", json::array({"boolean", json::array({"feature-state", "selected"}), false}), 0.85, 0.55})}}}},
        {{"id", "plots-outline"}, {"type", "line"}, {"source", "plots"}, {"source-layer", "plots"}, {"minzoom", zooms.plots_min_zoom},
         {"paint", {{"line-color", "#2f2f2f"}, {"line-width", json::array({"case", json::array({"boolean", json::array({"feature-state", "selected"}), false}), 3, 0.8})}}}},
        {{"id", "clusters"}, {"type", "circle"}, {"source", "plots"}, {"source-layer", "pins"}, {"filter", is_cluster},
         {"paint", {{"circle-color", "#2e6b30"}, {"circle-opacity", 0.85},
                    {"circle-radius", json::array({"step", json::array({"get", "point_count"}), 10, 10, 14, 100, 18, 1000, 24, 10000, 30})},
                    {"circle-stroke-color", "#ffffff"}, {"circle-stroke-width", 1.5}}}},
        {{"id", "cluster-count"}, {"type", "symbol"}, {"source", "plots"}, {"source-layer", "pins"}, {"filter", is_cluster},
         {"layout", {{"text-field", json::array({"get", "point_count_abbreviated"})}, {"text-font", font}, {"text-size", 12},
                     {"text-allow-overlap", true}}},
         {"paint", {{"text-color", "#ffffff"}}}},
        {{"id", "pins"}, {"type", "circle"}, {"source", "plots"}, {"source-layer", "pins"}, {"filter", not_cluster},
         {"paint", {{"circle-color", stage_colour_expression(stages)},
                    {"circle-radius", json::array({"interpolate", json::array({"linear"}), json::array({"zoom"}), 8, 3, 16, 6})},
                    {"circle-stroke-color", "#ffffff"}, {"circle-stroke-width", 1}}}},
        {{"id", "plot-codes"}, {"type", "symbol"}, {"source", "plots"}, {"source-layer", "pins"}, {"minzoom", 15},
         {"filter", not_cluster},
         {"layout", {{"text-field", json::array({"get", "code"})}, {"text-font", font}, {"text-size", 11},
                     {"text-offset", {0, 1.2}}, {"text-anchor", "top"}}},
         {"paint", {{"text-color", "#333333"}, {"text-halo-color", "#ffffff"}, {"text-halo-width", 1}}}},
        {{"id", "admin-labels"}, {"type", "symbol"}, {"source", "admin"}, {"source-layer", "admin_labels"},
         {"layout", {{"text-field", json::array({"get", "name_th"})}, {"text-font", font},
                     {"text-size", json::array({"match", json::array({"get", "level"}), 1, 15, 2, 13, 11})}}},
         {"paint", {{"text-color", "#4d463e"}, {"text-halo-color", "#ffffff"}, {"text-halo-width", 1.2}}}},
    });
    json sources = {{"plots", {{"type", "vector"}, {"url", base_url + "/tiles/plots.json" + query}}},
                    {"admin", {{"type", "vector"}, {"url", base_url + "/tiles/admin.json" + query}, {"attribution", admin_attribution}}}};
    if (under != nullptr) {
        sources["basemap"] = {{"type", "raster"}, {"tiles", {under->url}}, {"tileSize", 256}, {"maxzoom", under->max_zoom},
                              {"attribution", under->attribution}};
        layers.insert(layers.begin() + 1, json{{"id", "basemap"}, {"type", "raster"}, {"source", "basemap"}});
    }
    return {{"version", 8},
            {"name", "plotmap"},
            {"metadata", {{"plotmap:stages", stages}}},
            {"center", {100.5, 15.0}},
            {"zoom", 5},
            {"sources", std::move(sources)},
            {"glyphs", base_url + "/fonts/{fontstack}/{range}.pbf"},
            {"layers", std::move(layers)}};
}

} // namespace plotmap::tiles
