#pragma once
// The application: the route table over the store, and the one entry point that turns a
// request into a response (exceptions mapped to problem+json here and nowhere else).

#include "config/config.hpp"
#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/http.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "server/tile_service.hpp"

#include <string>

namespace plotmap::server {

/// What route handlers may use.
struct context {
    data::store& store;
    data::plot_registry& plots;
    tile_service& tiles;
    server::metrics& metrics;
    const config::settings& settings;
    const gatekeeper& gate;
};

/// The registry's rules as configured.
[[nodiscard]] data::registry_rules registry_rules_from(const config::settings& s);

class app {
public:
    explicit app(context ctx);

    /// Parses the target, routes and runs the handler; never throws.
    [[nodiscard]] response handle(request& req) const;

    /// The answer if it needs no blocking work (a cached tile), else nullopt; never throws,
    /// never blocks. The server calls it on the io thread before handing over to handle().
    [[nodiscard]] std::optional<response> try_fast(request& req) const;

    /// The largest body the route for (method, target) accepts: small for sign-in, account
    /// and read requests, server.body_limit_bytes for plot writes. The server applies it
    /// once the header is in, so an oversized body is refused without being read.
    [[nodiscard]] std::size_t body_limit(std::string_view method, std::string_view target) const;

    [[nodiscard]] const context& ctx() const noexcept { return ctx_; }

private:
    context ctx_;
    router routes_;
    router fast_routes_; ///< handlers answer with status not_handled when they would block
};

} // namespace plotmap::server
