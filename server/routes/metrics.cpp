#include "server/routes/routes.hpp"

namespace plotmap::server::routes {

void add_metrics(router& r, const context& ctx) {
    r.add("GET", "/metrics", [&ctx](const request&, const path_params&) {
        response res = make_response(200, "text/plain; version=0.0.4; charset=utf-8",
                                     ctx.metrics.render(ctx.store.stats()));
        res.set("Cache-Control", "no-store");
        return res;
    });
}

} // namespace plotmap::server::routes
