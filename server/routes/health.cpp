#include "data/schema.hpp"
#include "geo/text.hpp"
#include "server/problem.hpp"
#include "server/routes/routes.hpp"

#include <nlohmann/json.hpp>

namespace plotmap::server::routes {

void add_health(router& r, const context& ctx) {
    r.add("GET", "/healthz", access::open, [](const request&, const path_params&) {
        response res = make_response(200, "application/json", R"({"status":"ok"})");
        res.set("Cache-Control", "no-store");
        return res;
    });

    r.add("GET", "/readyz", access::open, [&ctx](const request& req, const path_params&) {
        try {
            const int version = ctx.store.read([](data::connection& c) {
                data::require_current_schema(c);
                return data::schema_version(c);
            });
            response res = make_response(
                200, "application/json",
                geo::json_text(nlohmann::json{{"status", "ready"}, {"schema_version", version}}));
            res.set("Cache-Control", "no-store");
            return res;
        } catch (const std::exception& e) {
            response res = problem(503, std::string("database not ready: ") + e.what(), req.path);
            res.set("Retry-After", "5");
            return res;
        }
    });
}

} // namespace plotmap::server::routes
