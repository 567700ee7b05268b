// The web pages: /embed (the read-only embeddable map) and /embed/builder (its snippets),
// /admin (accounts) and the files they load; /app/ (the field app) and /dashboard/, the files
// Vite builds into web/dist/.

#include "server/routes/routes.hpp"
#include "tiles/tile_cache.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>

namespace plotmap::server::routes {
namespace {

struct web_file {
    const char* url;
    const char* path;          ///< below the web root
    const char* content_type;
};

constexpr std::array files{
    web_file{"/embed", "embed.html", "text/html; charset=utf-8"},
    web_file{"/assets/embed.js", "embed.js", "text/javascript; charset=utf-8"},
    web_file{"/embed/builder", "embed-builder.html", "text/html; charset=utf-8"},
    web_file{"/assets/embed-builder.js", "embed-builder.js", "text/javascript; charset=utf-8"},
    web_file{"/admin", "admin.html", "text/html; charset=utf-8"},
    web_file{"/assets/admin.js", "admin.js", "text/javascript; charset=utf-8"},
    web_file{"/assets/maplibre-gl.js", "node_modules/maplibre-gl/dist/maplibre-gl.js", "text/javascript; charset=utf-8"},
    web_file{"/assets/maplibre-gl.css", "node_modules/maplibre-gl/dist/maplibre-gl.css", "text/css; charset=utf-8"},
    web_file{"/assets/pmtiles.js", "node_modules/pmtiles/dist/pmtiles.js", "text/javascript; charset=utf-8"},
};

struct loaded {
    std::string body;
    std::string etag;
    std::string gzipped;      ///< the body gzip-compressed, for text; empty for images
    std::string gzipped_etag; ///< its own strong ETag (another representation)
};

/// Text compresses (a MapLibre bundle to a quarter); images are compressed already.
bool compressible(const std::string& path) {
    for (const char* ext : {".png", ".jpg", ".woff2"}) {
        if (path.ends_with(ext)) return false;
    }
    return true;
}

/// Files are read once and kept: they only change with a new release.
class file_store {
public:
    explicit file_store(std::filesystem::path root) : root_(std::move(root)) {}

    /// The file at `path` below the root, or null if there is none (nothing is kept for it).
    std::shared_ptr<const loaded> find(const std::string& path) {
        const std::lock_guard lock(mutex_);
        if (const auto it = files_.find(path); it != files_.end()) return it->second;
        std::ifstream in(root_ / path, std::ios::binary);
        if (!in) return nullptr;
        auto l = std::make_shared<loaded>();
        l->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        l->etag = tiles::tile_etag(l->body);
        if (compressible(path)) {
            l->gzipped = tiles::gzip(l->body);
            l->gzipped_etag = tiles::tile_etag(l->gzipped);
        }
        return files_.emplace(path, std::move(l)).first->second;
    }

    /// The file at `path`. @throws not_found saying how to make it (`missing`) if it is not there.
    std::shared_ptr<const loaded> get(const std::string& path, const char* missing) {
        auto file = find(path);
        if (!file) throw not_found(path + " is missing under " + root_.string() + ": " + missing);
        return file;
    }

private:
    std::filesystem::path root_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const loaded>> files_;
};

/// The file, gzip-compressed when the client takes it (each encoding with its own ETag).
response file_response(const request& req, const loaded& file, const char* content_type, const char* cache_control) {
    const bool gzipped = !file.gzipped.empty() && accepts_gzip(req);
    const std::string& etag = gzipped ? file.gzipped_etag : file.etag;
    response res;
    res.set("ETag", etag);
    res.set("Cache-Control", cache_control);
    if (!file.gzipped.empty()) res.set("Vary", "Accept-Encoding");
    if (req.header("if-none-match") == etag) {
        res.status = 304;
        return res;
    }
    res.set("Content-Type", content_type);
    if (gzipped) res.set("Content-Encoding", "gzip");
    res.body = gzipped ? file.gzipped : file.body;
    return res;
}

constexpr const char* run_install = "run scripts/install-deps.sh (it installs the web pages' npm packages)";
constexpr const char* run_build = "build the web pages: npm --prefix web run build (scripts/run.sh does)";

/// The type of a file the app build makes, by its extension; nullptr for any other file.
const char* app_content_type(std::string_view name) {
    static constexpr std::array<std::pair<std::string_view, const char*>, 9> types{{
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".woff2", "font/woff2"},
        {".map", "application/json"},
    }};
    for (const auto& [ext, type] : types) {
        if (name.size() > ext.size() && name.ends_with(ext)) return type;
    }
    return nullptr;
}

/// A file name the app build can have made: letters, digits, '-', '_' and '.', not starting
/// with '.', of a known type. Anything else (a path, "..", a dotfile) is not found.
bool is_app_file_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.') return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return app_content_type(name) != nullptr;
}

} // namespace

void add_web(router& r, const context& ctx) {
    auto store = std::make_shared<file_store>(ctx.settings.web.root.empty() ? config::default_web_root()
                                                                            : std::filesystem::path(ctx.settings.web.root));
    for (const web_file& f : files) {
        r.add("GET", f.url, access::open, [store, &f](const request& req, const path_params&) {
            return file_response(req, *store->get(f.path, run_install), f.content_type, "public, max-age=300");
        });
    }

    // The pages Vite builds: the field app (/app/) and the dashboard (/dashboard/). Vite names
    // its bundles by their content: those are kept a year. The page, the service worker and
    // the manifest are checked every time (ETag), so a new release reaches phones at their
    // next start; signed-in data never comes from these files.
    for (const std::string build : {"app", "dashboard"}) {
        const auto built_file = [store, build](const request& req, const std::string& path, bool immutable) {
            const std::string_view name = std::string_view(path).substr(path.rfind('/') + 1);
            const auto file = is_app_file_name(name) ? store->find("dist/" + build + "/" + path) : nullptr;
            if (!file) {
                // Only a missing build is worth a hint; any other name is simply not there.
                if (!store->find("dist/" + build + "/index.html")) store->get("dist/" + build + "/index.html", run_build);
                throw not_found("no resource at /" + build + "/" + path);
            }
            return file_response(req, *file, app_content_type(name), immutable ? "public, max-age=31536000, immutable" : "no-cache");
        };
        r.add("GET", "/" + build, access::open, [build](const request&, const path_params&) {
            response res;
            res.status = 308;
            res.set("Location", "/" + build + "/");
            return res;
        });
        r.add("GET", "/" + build + "/", access::open,
              [built_file](const request& req, const path_params&) { return built_file(req, "index.html", false); });
        r.add("GET", "/" + build + "/{file}", access::open,
              [built_file](const request& req, const path_params& p) { return built_file(req, p.at("file"), false); });
        r.add("GET", "/" + build + "/assets/{file}", access::open,
              [built_file](const request& req, const path_params& p) { return built_file(req, "assets/" + p.at("file"), true); });
    }
}

} // namespace plotmap::server::routes
