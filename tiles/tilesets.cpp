#include "tiles/tilesets.hpp"

#include "geo/error.hpp"

namespace plotmap::tiles {
namespace {

const std::vector<tileset> all_tilesets{
    {"plots", "Khok Nong Na plots", {tile_layer::plots, tile_layer::pins}, true},
    {"admin", "Thai provinces, districts and subdistricts",
     {tile_layer::adm1, tile_layer::adm2, tile_layer::adm3, tile_layer::admin_labels}, false},
    {"collection:plots", "Plot boundaries", {tile_layer::plots}, true},
    {"collection:pins", "Plot locations", {tile_layer::pins}, true},
    {"collection:adm1", "Provinces", {tile_layer::adm1}, false},
    {"collection:adm2", "Districts", {tile_layer::adm2}, false},
    {"collection:adm3", "Subdistricts", {tile_layer::adm3}, false},
};

} // namespace

const std::vector<tileset>& tilesets() { return all_tilesets; }

const tileset& find_tileset(const std::string& name) {
    for (const tileset& t : all_tilesets) {
        if (t.name == name) return t;
    }
    throw not_found("unknown tileset \"" + name.substr(0, 40) + "\"; there are plots and admin");
}

layer_info describe(tile_layer layer, const zoom_rules& z, const std::vector<std::string>& stages) {
    const std::vector<std::pair<std::string, std::string>> plot_fields{
        {"stage", "String"},     {"code", "String"}, {"program", "String"}, {"area_m2", "Number"},
        {"area_rai", "Number"},  {"adm1", "String"}, {"adm2", "String"},    {"adm3", "String"},
        {"adm3_name", "String"}, {"budget_year", "Number"}, {"review_state", "String"}};
    const std::vector<std::pair<std::string, std::string>> admin_fields{
        {"code", "String"}, {"name_th", "String"}, {"name_en", "String"}};
    switch (layer) {
    case tile_layer::plots:
        return {"plots", "Plot boundaries; the feature id is the plot id", z.plots_min_zoom, z.max_zoom, plot_fields};
    case tile_layer::pins: {
        auto fields = plot_fields;
        fields.emplace_back("cluster", "Boolean");
        fields.emplace_back("point_count", "Number");
        fields.emplace_back("point_count_abbreviated", "String");
        for (const auto& stage : stages) fields.emplace_back(stage, "Number");
        return {"pins",
                "Plot locations (feature id = plot id); below zoom " + std::to_string(z.cluster_below_zoom) +
                    " clusters with point_count and a count per stage",
                0, z.max_zoom, fields};
    }
    case tile_layer::adm1: return {"adm1", "Province boundaries", admin_min_zoom[0], z.max_zoom, admin_fields};
    case tile_layer::adm2: return {"adm2", "District boundaries", admin_min_zoom[1], z.max_zoom, admin_fields};
    case tile_layer::adm3: return {"adm3", "Subdistrict boundaries", admin_min_zoom[2], z.max_zoom, admin_fields};
    case tile_layer::admin_labels: {
        auto fields = admin_fields;
        fields.emplace_back("level", "Number");
        return {"admin_labels", "Label points: provinces at zooms 5-8, districts 8-10, subdistricts from 11",
                label_ranges[0].min_zoom, z.max_zoom, fields};
    }
    }
    throw error("unknown tile layer");
}

} // namespace plotmap::tiles
