#include "server/app.hpp"

#include "server/problem.hpp"
#include "server/routes/routes.hpp"

#include <cstdlib>

namespace plotmap::server {

namespace routes {

std::string base_url(const request& req, const context& ctx) {
    if (!ctx.settings.tiles.public_url.empty()) {
        std::string u = ctx.settings.tiles.public_url;
        while (!u.empty() && u.back() == '/') u.pop_back();
        return u;
    }
    const std::string host(req.header("host").value_or("localhost"));
    if (host.empty() || host.size() > 255 ||
        host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != std::string::npos) {
        throw bad_request("the Host header is not a valid host name");
    }
    return "http://" + host;
}

std::filesystem::path scratch_dir(const std::string& what) {
    std::string pattern = (std::filesystem::temp_directory_path() / ("plotmap-" + what + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw error("cannot create a temporary folder for the " + what);
    return pattern;
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

app::app(context ctx) : ctx_(ctx) {
    routes::add_landing(routes_, ctx_);
    routes::add_health(routes_, ctx_);
    routes::add_metrics(routes_, ctx_);
    routes::add_plots(routes_, ctx_);
    routes::add_tiles(routes_, ctx_);
    routes::add_cached_tiles(fast_routes_, ctx_);
    routes::add_web(routes_, ctx_);
    routes::add_accounts(routes_, ctx_);
    routes::add_features(routes_, ctx_);
    routes::add_exports(routes_, ctx_);
    routes::add_imports(routes_, ctx_);
}

std::size_t app::body_limit(std::string_view method, std::string_view target) const {
    constexpr std::size_t small = 16384;
    if (method == "GET" || method == "HEAD" || method == "DELETE" || method == "OPTIONS") return small;
    if (target.starts_with("/api/v1/session") || target.starts_with("/api/v1/users") || target.starts_with("/api/v1/tokens")) {
        return small;
    }
    if (target.starts_with("/api/v1/imports")) return ctx_.settings.server.upload_limit_bytes;
    return ctx_.settings.server.body_limit_bytes;
}

response app::handle(request& req) const {
    std::string pattern;
    try {
        parse_target(req);
        ctx_.gate.limit_rate(req);
        router::match m = routes_.find(req.method, req.path);
        pattern = m.pattern;
        ctx_.gate.admit(req, m.who);
        response res = (*m.target)(req, m.params);
        res.route = pattern;
        return res;
    } catch (...) {
        response res = problem_for(std::current_exception(), req);
        res.route = pattern;
        return res;
    }
}

std::optional<response> app::try_fast(request& req) const {
    try {
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
