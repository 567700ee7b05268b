// GET /api/v1/backup: a consistent copy of the whole database for admins, taken while the
// server goes on writing (data/backup.hpp), verified, sent from disk and deleted.

#include "data/backup.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/routes/routes.hpp"

#include <filesystem>

namespace plotmap::server::routes {

void add_backup(router& r, const context& ctx) {
    r.add("GET", "/api/v1/backup", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        require_role(req, data::role::admin);
        data::backup_summary summary;
        response res = attachment("backup", "plotmap-" + data::file_stamp() + ".sqlite", "application/vnd.sqlite3",
                                  [&](const std::filesystem::path& out) { summary = data::backup_database(ctx.store.options().path, out); });
        res.set("X-Plotmap-Plots", std::to_string(summary.plots));
        res.set("X-Plotmap-Schema-Version", std::to_string(summary.schema_version));
        return res;
    });
}

} // namespace plotmap::server::routes
