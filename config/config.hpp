#pragma once
// plotmap's configuration: one plain struct, parsed once from config/plotmap.toml (or the
// file given with --config), then overridden key by key by PLOTMAP_<SECTION>_<KEY>
// environment variables, then by command-line flags. Validated once; every error names the
// file (or variable) and key.

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::config {

struct server_settings {
    std::string listen = "0.0.0.0:8080"; ///< HOST:PORT to listen on; port 0 picks a free one
    int io_threads = 2;                  ///< threads running the HTTP io_context
    int worker_threads = 4;              ///< threads for blocking work (database, files)
    std::size_t body_limit_bytes = 1048576; ///< largest request body accepted (413 above)
    std::size_t upload_limit_bytes = 52428800; ///< largest import upload (POST /api/v1/imports)
    std::size_t header_limit_bytes = 16384; ///< largest request header block (431 above)
    int read_timeout_s = 30;             ///< a request must arrive in full within this time
    int keep_alive_timeout_s = 60;       ///< idle keep-alive connections are closed after this
    int shutdown_grace_s = 10;           ///< on SIGTERM, in-flight requests get this long to finish
    bool access_log = true;              ///< one line per request on standard output
    int max_connections = 1024;          ///< open connections at once; more get 503 and are closed
    int max_connections_per_address = 128; ///< open connections from one client address; 0 = no limit
    int reserved_connections = 16;       ///< the last of max_connections answer only /healthz, /readyz, /metrics
    int max_queued_requests = 512;       ///< requests waiting for a worker; more get 503 + Retry-After
    int requests_per_s = 100;            ///< per client address, beyond cached tiles; 0 = no limit
    int request_burst = 400;             ///< requests a client may send at once before the rate applies
    bool trust_proxy = false;            ///< believe Forwarded / X-Forwarded-* (only behind your own proxy)
    std::int64_t idempotency_ttl_s = 2592000; ///< how long the answer to an Idempotency-Key is kept (30 days)
    std::string public_url;              ///< base of every absolute link (OGC API, TileJSON, styles); empty = from the request
};

struct database_settings {
    std::string path = "plotmap.sqlite"; ///< the SpatiaLite file
    int readers = 4;                     ///< pooled read connections
    int busy_timeout_ms = 5000;          ///< SQLite busy timeout
    std::string admin_dir;               ///< folder with th_adm{1,2,3}.geojson; empty = the shipped copy
};

struct plot_settings {
    std::vector<std::string> programs{"HLM", "CLM"};  ///< allowed values of a plot's program
    std::vector<std::string> stages{"surveyed", "digging", "planting", "complete"}; ///< workflow, in order
    std::array<double, 4> region_bbox{97.3, 5.6, 105.7, 20.5}; ///< lon/lat box plots must lie in
    std::string region_name = "Thailand";            ///< the region's name in messages
    double area_mismatch_warn_share = 0.10;          ///< warn when |measured - declared| / declared exceeds this
    double overlap_warn_m2 = 1.0;                    ///< warn when a boundary overlaps another plot by more
    double max_area_m2 = 10000000.0;                 ///< larger boundaries are refused (10 km² = 6,250 rai)
    int list_limit_default = 100;                    ///< plots per page when the client does not say
    int list_limit_max = 1000;                       ///< the most plots per page (larger limits are clamped)
    int max_vertices = 20000;                        ///< positions allowed in one boundary (422 above)
};

struct tile_settings {
    int extent = 4096;                  ///< tile units per side (MVT)
    int buffer = 64;                    ///< tile units drawn beyond each edge
    int plots_min_zoom = 13;            ///< plot polygons appear from this zoom
    int cluster_below_zoom = 12;        ///< pins are clustered below this zoom, single from it
    int max_zoom = 18;                  ///< TileJSON maxzoom: clients overzoom beyond it
    std::size_t cache_bytes = 268435456; ///< memory for cached tiles; 0 turns the cache off
    std::size_t max_tile_bytes = 512000; ///< a tile above this is reduced (see docs/tiles.md)
    int max_age_s = 0;                  ///< Cache-Control max-age; 0 = revalidate every time (edits show at once)
    std::vector<std::string> fonts{"/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
                                   "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"}; ///< label fonts, first choice first
    std::vector<std::string> archives; ///< PMTiles/MBTiles files served as tilesets named by their file names
    std::string packs_dir;             ///< where district packs are kept; empty = "<database>.packs"
    int packs_max_zoom = 18;           ///< the deepest zoom of a district pack (the plots' maxzoom)
};

struct auth_settings {
    std::string anonymous = "public";   ///< "public": anyone reads without personal fields; "off": sign-in needed
    int session_idle_timeout_s = 604800; ///< a session unused this long ends (7 days)
    int session_lifetime_s = 2592000;    ///< a session ends this long after sign-in at the latest (30 days)
    int login_attempts_per_user = 5;     ///< failed sign-ins per username within login_window_s
    int login_attempts_per_address = 20; ///< sign-in attempts per client address within login_window_s
    int login_window_s = 900;            ///< the window the two limits above count in
};

struct web_settings {
    std::string root; ///< folder with the web pages and their npm packages; empty = the shipped web/
    std::string basemap_url;         ///< XYZ raster tiles ({z}/{x}/{y}) under the plots; empty = none
    std::string basemap_attribution; ///< the credit its licence asks for
    int basemap_max_zoom = 19;       ///< its deepest zoom
};

/// What the field app (/app/) is told at sign-in: how good a GPS pin must be before it is
/// taken by itself, and the worst fix a walked boundary keeps.
struct field_settings {
    double pin_accuracy_m = 10;      ///< a GPS pin is taken by itself at this accuracy (95 %) or better ...
    int pin_min_fixes = 5;           ///< ... averaged from at least this many fixes
    double walk_max_accuracy_m = 15; ///< fixes less accurate than this are dropped while walking a boundary
};

struct photo_settings {
    std::string dir;                    ///< the photos folder; empty = "<database path>.photos"
    std::size_t max_bytes = 26214400;   ///< largest photo upload (25 MiB); bigger ones get 413
    std::int64_t max_pixels = 60000000; ///< images decoding to more pixels get 422 (pixel bombs)
    int max_per_plot = 200;             ///< live photos per plot
    int display_px = 1600;              ///< longer side of the display size
    int thumbnail_px = 320;             ///< longer side of the thumbnail
    double far_warning_m = 300;         ///< warn when a photo was taken farther than this from its plot
    int processing_slots = 2;           ///< photos decoded at once (each holds one image's memory)
    int recent_days = 90;               ///< the dashboard lists plots without a photo in this many days
};

struct settings {
    server_settings server;
    database_settings database;
    plot_settings plots;
    tile_settings tiles;
    auth_settings auth;
    web_settings web;
    field_settings field;
    photo_settings photos;
    std::vector<std::string> warnings; ///< unknown keys and variables, to be logged
};

using environment = std::map<std::string, std::string>;

/// Reads `file` (if given) then applies `env` overrides.
/// @throws config_error naming the file or variable and the key.
[[nodiscard]] settings load(const std::optional<std::filesystem::path>& file, const environment& env);

/// The process environment as a map (only PLOTMAP_ variables are kept).
[[nodiscard]] environment process_environment();

/// Splits "HOST:PORT" or "[v6]:PORT". @throws config_error naming `key`.
struct listen_address {
    std::string host;
    unsigned short port = 0;
};
[[nodiscard]] listen_address parse_listen(const std::string& value, const std::string& key);

/// The shipped admin boundaries folder (from the build).
[[nodiscard]] std::filesystem::path default_admin_dir();

/// The shipped web/ folder (from the build).
[[nodiscard]] std::filesystem::path default_web_root();

} // namespace plotmap::config
