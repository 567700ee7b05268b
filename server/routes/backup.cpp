// GET /api/v1/backup: a consistent copy of the whole database for admins, taken while the
// server goes on writing (data/backup.hpp), verified, sent from disk and deleted.

#include "data/backup.hpp"
#include "data/clock.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/routes/routes.hpp"

#include <algorithm>
#include <filesystem>

namespace plotmap::server::routes {

void add_backup(router& r, const context& ctx) {
    r.add("GET", "/api/v1/backup", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        require_role(req, data::role::admin);
        std::string stamp = data::now_utc();
        stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == ':' || c == '-'; }), stamp.end());
        const std::string name = "plotmap-" + stamp + ".sqlite";
        const std::filesystem::path dir = scratch_dir("backup");
        const std::filesystem::path out = dir / name;
        data::backup_summary summary;
        try {
            summary = data::backup_database(ctx.store.options().path, out);
        } catch (...) {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
            throw;
        }
        response res;
        res.set("Content-Type", "application/vnd.sqlite3");
        res.set("Content-Disposition", "attachment; filename=\"" + name + "\"");
        res.set("Cache-Control", "no-store");
        res.set("X-Plotmap-Plots", std::to_string(summary.plots));
        res.set("X-Plotmap-Schema-Version", std::to_string(summary.schema_version));
        res.body_file = out.string();
        res.remove_after = dir.string();
        return res;
    });
}

} // namespace plotmap::server::routes
