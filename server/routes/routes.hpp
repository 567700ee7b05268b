#pragma once
// One file per route family; each registers its handlers on the router.

#include "server/app.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace plotmap::data {
struct write_result;
}

namespace plotmap::server::routes {

/// Evicts the cached tiles showing a written plot where it was and where it is now (nothing
/// when the write changed nothing).
void refresh_tiles(const context& ctx, const data::write_result& r);

/// The base of every absolute link the server writes: server.public_url, else
/// <scheme>://<host> of the request: http and the Host header, or with server.trust_proxy
/// the proxy's Forwarded / X-Forwarded-Proto / X-Forwarded-Host.
/// @throws bad_request for a host that is not a plain host[:port] or a scheme other than http(s).
[[nodiscard]] std::string base_url(const request& req, const context& ctx);

/// GET / : the landing page (HTML for browsers, JSON with ?f=json or Accept: application/json).
void add_landing(router& r, const context& ctx);
/// GET /healthz (process alive) and GET /readyz (database answers, schema current).
void add_health(router& r, const context& ctx);
/// GET /metrics : Prometheus text format.
void add_metrics(router& r, const context& ctx);
/// /api/v1/plots: create, list, read, replace, patch, delete, restore, history.
void add_plots(router& r, const context& ctx);
/// GET /api/v1/stats: plots, area and stages per province, district or subdistrict, within the caller's scope.
void add_stats(router& r, const context& ctx);
/// /tiles (XYZ + TileJSON), /styles, /tileMatrixSets, /collections/{id}/tiles (OGC API Tiles).
void add_tiles(router& r, const context& ctx);
/// The same tile URLs answered from the tile cache only (status not_handled on a miss), for
/// the io-thread fast path.
void add_cached_tiles(router& r, const context& ctx);
/// A new private (0700) folder under the system's temporary directory, named plotmap-<what>-XXXXXX.
/// @throws error if it cannot be made.
[[nodiscard]] std::filesystem::path scratch_dir(const std::string& what);

/// `bytes` in a file `name` of a new private scratch folder, removed with this (request
/// bodies that a library reads by path: imports, photos sent in process).
/// @throws error if it cannot be written in full (a full disk).
class scratch_file {
public:
    scratch_file(const std::string& what, const std::string& name, std::string_view bytes);
    ~scratch_file();
    scratch_file(const scratch_file&) = delete;
    scratch_file& operator=(const scratch_file&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path dir_;
    std::filesystem::path path_;
};

/// A file written by `write` into a new private scratch folder and sent as a download
/// (`Content-Disposition: attachment`, no-store), from disk in pieces; the folder is
/// deleted once it has been sent, or at once if `write` throws (which is rethrown).
[[nodiscard]] response attachment(const std::string& what, const std::string& filename, const std::string& media_type,
                                  const std::function<void(const std::filesystem::path&)>& write);

/// OGC API Features: /conformance, /api, /collections[/{id}[/items[/{fid}]|/queryables]].
void add_features(router& r, const context& ctx);
/// /api/v1/exports/plots.{geojson,gpkg,shp.zip,kml,csv,fgb}.
void add_exports(router& r, const context& ctx);
/// POST /api/v1/imports: upload a file, dry run or all-or-nothing import.
void add_imports(router& r, const context& ctx);
/// /api/v1/session (sign in/out), /api/v1/users (user admin), /api/v1/tokens (API tokens).
void add_accounts(router& r, const context& ctx);
/// Photos (upload, list, files with ranges, delete/restore, public), progress events and
/// the plot timeline.
void add_photos(router& r, const context& ctx);
/// GET /api/v1/backup: the database as one verified SQLite file (admins only).
void add_backup(router& r, const context& ctx);
/// /embed and the static files web pages load (/assets/...).
void add_web(router& r, const context& ctx);

} // namespace plotmap::server::routes
