// The web pages: /embed (the read-only embeddable map) and the files it loads.

#include "server/routes/routes.hpp"
#include "tiles/tile_cache.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

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
    web_file{"/admin", "admin.html", "text/html; charset=utf-8"},
    web_file{"/assets/admin.js", "admin.js", "text/javascript; charset=utf-8"},
    web_file{"/assets/maplibre-gl.js", "node_modules/maplibre-gl/dist/maplibre-gl.js", "text/javascript; charset=utf-8"},
    web_file{"/assets/maplibre-gl.css", "node_modules/maplibre-gl/dist/maplibre-gl.css", "text/css; charset=utf-8"},
};

struct loaded {
    std::string body;
    std::string etag;
};

/// Files are read once and kept: they only change with a new release.
class file_store {
public:
    explicit file_store(std::filesystem::path root) : root_(std::move(root)) {}

    std::shared_ptr<const loaded> get(const web_file& f) {
        const std::lock_guard lock(mutex_);
        auto& slot = files_[f.url];
        if (slot) return slot;
        std::ifstream in(root_ / f.path, std::ios::binary);
        if (!in) {
            throw not_found(std::string(f.path) + " is missing under " + root_.string() +
                            ": run scripts/install-deps.sh (it installs the web pages' npm packages)");
        }
        auto l = std::make_shared<loaded>();
        l->body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        l->etag = tiles::tile_etag(l->body);
        slot = l;
        return slot;
    }

private:
    std::filesystem::path root_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const loaded>> files_;
};

} // namespace

void add_web(router& r, const context& ctx) {
    auto store = std::make_shared<file_store>(ctx.settings.web.root.empty() ? config::default_web_root()
                                                                            : std::filesystem::path(ctx.settings.web.root));
    for (const web_file& f : files) {
        r.add("GET", f.url, access::open, [store, &f](const request& req, const path_params&) {
            const auto file = store->get(f);
            response res;
            res.set("ETag", file->etag);
            res.set("Cache-Control", "public, max-age=300");
            if (req.header("if-none-match") == file->etag) {
                res.status = 304;
                return res;
            }
            res.set("Content-Type", f.content_type);
            res.body = file->body;
            return res;
        });
    }
}

} // namespace plotmap::server::routes
