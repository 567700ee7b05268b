#include "server/app.hpp"

#include "server/problem.hpp"
#include "server/routes/routes.hpp"

#include <algorithm>
#include <fstream>
#include <cstdlib>

namespace plotmap::server {

namespace routes {

namespace {

bool plain_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 &&
           host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == std::string_view::npos;
}

} // namespace

std::string base_url(const request& req, const context& ctx) {
    if (!ctx.settings.server.public_url.empty()) {
        std::string u = ctx.settings.server.public_url;
        while (!u.empty() && u.back() == '/') u.pop_back();
        return u;
    }
    std::string scheme = "http";
    std::string host(req.header("host").value_or("localhost"));
    if (ctx.settings.server.trust_proxy) {
        if (const auto proto = forwarded(req, "proto")) {
            scheme = ascii_lower(*proto);
            if (scheme != "http" && scheme != "https") throw bad_request("the forwarded protocol must be http or https");
        }
        if (auto h = forwarded(req, "host")) host = std::move(*h);
    }
    if (!plain_host(host)) throw bad_request("the Host header is not a valid host name");
    return scheme + "://" + host;
}

std::filesystem::path scratch_dir(const std::string& what) {
    std::string pattern = (std::filesystem::temp_directory_path() / ("plotmap-" + what + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw error("cannot create a temporary folder for the " + what);
    return pattern;
}

scratch_file::scratch_file(const std::string& what, const std::string& name, std::string_view bytes)
    : dir_(scratch_dir(what)), path_(dir_ / name) {
    std::ofstream out(path_, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        throw error("cannot write the " + what + " to " + path_.string());
    }
}

scratch_file::~scratch_file() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

response attachment(const std::string& what, const std::string& filename, const std::string& media_type,
                    const std::function<void(const std::filesystem::path&)>& write) {
    const std::filesystem::path dir = scratch_dir(what);
    const std::filesystem::path out = dir / filename;
    try {
        write(out);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
        throw;
    }
    response res;
    res.set("Content-Type", media_type);
    res.set("Content-Disposition", "attachment; filename=\"" + filename + "\"");
    res.set("Cache-Control", "no-store");
    res.body_file = out.string();
    res.remove_after = dir.string();
    return res;
}

} // namespace routes

data::registry_rules registry_rules_from(const config::settings& s) {
    data::registry_rules rules;
    rules.programs = s.plots.programs;
    rules.stages = s.plots.stages;
    const auto& b = s.plots.region_bbox;
    rules.region = {{b[0], b[1], b[2], b[3]}, s.plots.region_name};
    rules.area_mismatch_warn_share = s.plots.area_mismatch_warn_share;
    rules.overlap_warn_m2 = s.plots.overlap_warn_m2;
    rules.max_area_m2 = s.plots.max_area_m2;
    rules.max_vertices = static_cast<std::size_t>(s.plots.max_vertices);
    return rules;
}

data::photo_settings photo_settings_from(const config::settings& s) {
    data::photo_settings p;
    p.dir = s.photos.dir.empty() ? data::default_photo_dir(s.database.path) : std::filesystem::path(s.photos.dir);
    p.max_bytes = static_cast<std::int64_t>(s.photos.max_bytes);
    p.max_pixels = s.photos.max_pixels;
    p.max_per_plot = s.photos.max_per_plot;
    p.display_px = s.photos.display_px;
    p.thumbnail_px = s.photos.thumbnail_px;
    p.far_warning_m = s.photos.far_warning_m;
    p.processing_slots = s.photos.processing_slots;
    p.stages = s.plots.stages;
    return p;
}

app::app(context ctx) : ctx_(ctx) {
    idempotency_.ttl_s = ctx_.settings.server.idempotency_ttl_s;
    routes::add_landing(routes_, ctx_);
    routes::add_health(routes_, ctx_);
    routes::add_metrics(routes_, ctx_);
    routes::add_plots(routes_, ctx_);
    routes::add_stats(routes_, ctx_);
    routes::add_photos(routes_, ctx_);
    routes::add_tiles(routes_, ctx_);
    routes::add_cached_tiles(fast_routes_, ctx_);
    routes::add_web(routes_, ctx_);
    routes::add_accounts(routes_, ctx_);
    routes::add_features(routes_, ctx_);
    routes::add_exports(routes_, ctx_);
    routes::add_imports(routes_, ctx_);
    routes::add_backup(routes_, ctx_);
}

namespace {

/// The body limit of requests that carry no documents: sign-in, accounts, GET, DELETE.
constexpr std::size_t small_body_bytes = 16384;
/// Room in a photo upload for its multipart framing and `meta` part, beyond the photo.
constexpr std::size_t multipart_overhead_bytes = 65536;

} // namespace

std::size_t app::body_limit_of(const router::match& m, const request& req) const noexcept {
    if (req.method == "GET" || req.method == "HEAD" || req.method == "DELETE" || req.method == "OPTIONS") return small_body_bytes;
    switch (m.body) {
    case body_size::small: return small_body_bytes;
    case body_size::document: return ctx_.settings.server.body_limit_bytes;
    case body_size::upload: return ctx_.settings.server.upload_limit_bytes;
    case body_size::photo: return ctx_.settings.photos.max_bytes + multipart_overhead_bytes;
    }
    return small_body_bytes;
}

std::size_t app::largest_body() const noexcept {
    return std::max({small_body_bytes, ctx_.settings.server.body_limit_bytes, ctx_.settings.server.upload_limit_bytes,
                     ctx_.settings.photos.max_bytes + multipart_overhead_bytes});
}

namespace {

response refusal_for(std::exception_ptr e, const request& req, const std::string& pattern) noexcept {
    try {
        response res = problem_for(std::move(e), req);
        res.route = pattern;
        return res;
    } catch (...) {
        return internal_error(req);
    }
}

} // namespace

admission app::admit(request& req) const {
    std::string pattern;
    try {
        parse_target(req);
        ctx_.gate.limit_rate(req);
        const router::match m = routes_.find(req.method, req.path);
        pattern = m.pattern;
        ctx_.gate.admit(req, m.who);
        req.admitted = true;
        admission a{std::nullopt, body_limit_of(m, req), {}};
        if (m.body == body_size::photo) a.body_dir = (ctx_.photos.settings().dir / "tmp").string();
        return a;
    } catch (...) {
        return {refusal_for(std::current_exception(), req, pattern), 0, {}};
    }
}

response app::handle(request& req) const {
    std::string pattern;
    try {
        if (!req.admitted) {
            admission a = admit(req);
            if (a.refusal) return std::move(*a.refusal);
            if (req.body.size() > a.body_limit) {
                throw payload_too_large("the request body is larger than this route's limit of " + std::to_string(a.body_limit) +
                                        " bytes");
            }
        }
        router::match m = routes_.find(req.method, req.path);
        pattern = m.pattern;
        response res = m.who == access::edit ? with_idempotency(ctx_.store, idempotency_, req, [&] { return (*m.target)(req, m.params); })
                                              : (*m.target)(req, m.params);
        res.route = pattern;
        return res;
    } catch (...) {
        return refusal_for(std::current_exception(), req, pattern);
    }
}

std::optional<response> app::try_fast(request& req) const {
    try {
        // Credentials go the full way, so a forged or revoked token is refused whether or
        // not the tile it asks for happens to be cached.
        if (req.header("authorization") || req.target.find("token=") != std::string::npos) return std::nullopt;
        // Only tile URLs have a fast path; skip the rest without routing (or throwing).
        const std::string_view t = req.target;
        const bool tile = t.starts_with("/tiles/") || (t.starts_with("/collections/") && t.find("/tiles/") != std::string_view::npos);
        if (req.method != "GET" || !tile) return std::nullopt; // OGC API pages go straight to the workers
        // Cached tiles are the same for every audience (no personal fields in any tile), so
        // they skip the credential check only where anyone may read them.
        if (!ctx_.gate.anonymous_public()) return std::nullopt;
        parse_target(req);
        router::match m = fast_routes_.find(req.method, req.path);
        response res = (*m.target)(req, m.params);
        if (res.status == not_handled) return std::nullopt;
        res.route = m.pattern;
        return res;
    } catch (...) {
        return std::nullopt; // the full path will produce the right problem response
    }
}

} // namespace plotmap::server
