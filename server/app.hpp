#pragma once
// The application: the route table over the store, and the one entry point that turns a
// request into a response (exceptions mapped to problem+json here and nowhere else).

#include "config/config.hpp"
#include "data/photos.hpp"
#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/http.hpp"
#include "server/idempotency.hpp"
#include "server/metrics.hpp"
#include "server/router.hpp"
#include "tiles/tile_service.hpp"

#include <string>

namespace plotmap::server {

/// What route handlers may use.
struct context {
    data::store& store;
    data::plot_registry& plots;
    data::photo_store& photos;
    plotmap::tiles::tile_service& tiles;
    server::metrics& metrics;
    const config::settings& settings;
    const gatekeeper& gate;
};

/// The registry's rules as configured.
[[nodiscard]] data::registry_rules registry_rules_from(const config::settings& s);

/// The photo store's settings as configured (the folder defaults to "<database>.photos").
[[nodiscard]] data::photo_settings photo_settings_from(const config::settings& s);

class app {
public:
    explicit app(context ctx);

    /// Decides what the request line and header alone decide, before any body is read:
    /// the target parses, the caller's address is under its request rate, a route exists for
    /// the method, and the credentials are good enough for it (with CSRF and Origin). On
    /// success sets req.admitted and names the route's body limit; otherwise the refusal.
    /// May read the database (credentials), so it runs on a worker. Never throws.
    [[nodiscard]] admission admit(request& req) const;

    /// Admits the request (unless admitted already), refuses a body over the route's limit,
    /// and runs the handler. Never throws: every exception, even from building the error
    /// answer, becomes a problem response.
    [[nodiscard]] response handle(request& req) const;

    /// The answer if it needs no blocking work (a cached tile), else nullopt; never throws,
    /// never blocks. The server calls it on the io thread before handing over to handle().
    [[nodiscard]] std::optional<response> try_fast(request& req) const;

    /// The largest body any route accepts: what the server lets the parser take before the
    /// route is known (the route's own limit is applied once it is).
    [[nodiscard]] std::size_t largest_body() const noexcept;

    [[nodiscard]] const context& ctx() const noexcept { return ctx_; }

private:
    [[nodiscard]] std::size_t body_limit_of(const router::match& m, const request& req) const noexcept;

    context ctx_;
    idempotency_settings idempotency_;
    router routes_;
    router fast_routes_; ///< handlers answer with status not_handled when they would block
};

} // namespace plotmap::server
