// POST /api/v1/imports (docs/imports.md): the request body is the file (CSV, KML, KMZ,
// GeoJSON, zipped Shapefile, GeoPackage, GPX); ?dry_run=true (the default) reports what would
// happen, ?dry_run=false applies it all or nothing. Rows are written as the caller, inside
// their scope.

#include "geo/text.hpp"
#include "data/importer.hpp"
#include "server/access.hpp"
#include "server/routes/routes.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

/// The upload's format: ?format=, else the extension of ?filename=, else its Content-Type.
data::import_format format_of(const request& req) {
    if (const auto f = req.query_value("format")) return data::import_format_of(*f);
    if (const auto n = req.query_value("filename")) return data::import_format_of(*n);
    const std::string type = ascii_lower(req.header("content-type").value_or(""));
    for (const auto& [media, name] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"text/csv", "csv"}, {"application/vnd.google-earth.kml+xml", "kml"}, {"application/vnd.google-earth.kmz", "kmz"},
             {"application/geo+json", "geojson"}, {"application/json", "geojson"}, {"application/zip", "zip"},
             {"application/geopackage+sqlite3", "gpkg"}, {"application/gpx+xml", "gpx"}}) {
        if (type.starts_with(media)) return data::import_format_of(name);
    }
    throw bad_request("say what the file is: ?filename=plots.csv (or .kml, .kmz, .geojson, .zip, .gpkg, .gpx), ?format=, "
                      "or its Content-Type");
}

json problems(const std::vector<data::import_problem>& list) {
    json out = json::array();
    for (const auto& p : list) out.push_back({{"where", p.where}, {"reason", p.reason}});
    return out;
}

} // namespace

void add_imports(router& r, const context& ctx) {
    r.add("POST", "/api/v1/imports", access::edit, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"format", "filename", "dry_run", "program", "crs", "map", "allow_outside"});
        if (req.body.empty()) throw bad_request("the request body is the file to import; it is empty");
        data::import_options o;
        const auto dry = req.query_value("dry_run");
        if (dry && *dry != "true" && *dry != "false") throw bad_request("dry_run must be true or false");
        o.dry_run = !dry || *dry == "true";
        const auto outside = req.query_value("allow_outside");
        if (outside && *outside != "true" && *outside != "false") throw bad_request("allow_outside must be true or false");
        o.allow_outside = outside && *outside == "true";
        if (const auto p = req.query_value("program")) o.default_program = std::string(*p);
        if (const auto c = req.query_value("crs")) o.crs = &geo::find_crs(*c);
        for (const auto& [key, value] : req.query) {
            if (key != "map") continue;
            const auto eq = value.find('=');
            if (eq == std::string::npos || eq == 0) throw bad_request("map must be COLUMN=FIELD, got \"" + geo::utf8_prefix(value, 60) + "\"");
            o.mapping[value.substr(0, eq)] = value.substr(eq + 1);
        }
        const data::import_format format = format_of(req);
        // GDAL reads zipped Shapefiles and KMZ by their name.
        const char* name = format == data::import_format::shp_zip ? "upload.zip" : format == data::import_format::kmz ? "upload.kmz" : "upload";
        const scratch_file upload("import", name, req.body);
        const data::import_report rep = data::import_plots(ctx.plots, upload.path(), format, o, editor_of(req));
        for (const geo::bbox& b : rep.touched) ctx.tiles.plots_changed(b);
        const json body{{"format", rep.format},
                        {"dry_run", rep.dry_run},
                        {"applied", rep.applied},
                        {"rows", rep.rows},
                        {"created", rep.created},
                        {"updated", rep.updated},
                        {"unchanged", rep.unchanged},
                        {"rejected", problems(rep.rejected)},
                        {"warnings", problems(rep.warnings)},
                        {"matched_on", rep.matching},
                        {"columns_used", rep.columns_used},
                        {"columns_ignored", rep.columns_ignored}};
        // A real import with rejected rows changed nothing: 422 with the same report.
        response res = make_response(!rep.dry_run && !rep.applied ? 422 : 200, "application/json", geo::json_text(body));
        res.set("Cache-Control", "no-store");
        return res;
    }, body_size::upload);
}

} // namespace plotmap::server::routes
