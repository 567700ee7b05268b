// Exports of the plots: /api/v1/exports/plots.{geojson,gpkg,shp.zip,kml,csv,fgb} with crs,
// bbox and the list filters (docs/exports.md). The file is written to a private temporary
// folder on a worker thread, then sent from disk in pieces and deleted.

#include "data/exporter.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/query.hpp"
#include "server/routes/routes.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>

namespace plotmap::server::routes {
namespace {

/// Exports at once; more get 503 (each holds a reader and a worker thread while it writes).
constexpr int max_running = 2;
std::atomic<int> running{0};

struct running_slot {
    running_slot() {
        if (++running > max_running) {
            --running;
            throw busy("two exports are already being written; try again in a minute", 30);
        }
    }
    ~running_slot() { --running; }
    running_slot(const running_slot&) = delete;
    running_slot& operator=(const running_slot&) = delete;
};

} // namespace

void add_exports(router& r, const context& ctx) {
    r.add("GET", "/api/v1/exports/{file}", access::read, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {"crs", "bbox", "bbox-crs", "program", "stage", "adm1", "adm2", "adm3", "budget_year", "review_state"});
        const std::string& file = p.at("file");
        if (!file.starts_with("plots.")) throw not_found("exports are at /api/v1/exports/plots.{geojson,gpkg,shp.zip,kml,csv,fgb}");
        data::export_options o;
        o.format = data::parse_export_format(file.substr(6));
        if (const auto c = req.query_value("crs")) o.crs = &geo::find_crs(*c);
        o.query = plot_filters(req, false);
        // Personal fields only for the plots in a signed-in caller's scope.
        if (req.who) o.personal_scope = req.who->scope;
        const running_slot slot;
        return attachment("export", file, std::string(data::export_media_type(o.format)), [&](const std::filesystem::path& out) {
            ctx.store.read([&](data::connection& c) { return data::export_plots(c, o, out); });
        });
    });
}

} // namespace plotmap::server::routes
