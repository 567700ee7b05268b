#include "server/app.hpp"

#include "server/problem.hpp"
#include "server/routes/routes.hpp"

namespace plotmap::server {

app::app(context ctx) : ctx_(ctx) {
    routes::add_landing(routes_, ctx_);
    routes::add_health(routes_, ctx_);
    routes::add_metrics(routes_, ctx_);
}

response app::handle(request& req) const {
    std::string pattern;
    try {
        parse_target(req);
        router::match m = routes_.find(req.method, req.path);
        pattern = m.pattern;
        response res = (*m.target)(req, m.params);
        res.route = pattern;
        return res;
    } catch (...) {
        response res = problem_for(std::current_exception(), req);
        res.route = pattern;
        return res;
    }
}

} // namespace plotmap::server
