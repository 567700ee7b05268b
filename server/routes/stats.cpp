// The programme's numbers: GET /api/v1/stats (docs/dashboard.md), for the dashboard and
// anyone who wants them as data. Signed in; counted within the caller's scope only.

#include "data/stats.hpp"
#include "data/store.hpp"
#include "geo/text.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/query.hpp"
#include "server/routes/routes.hpp"

#include <algorithm>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

/// `value` when it is one of `allowed`; 400 naming the parameter otherwise.
std::optional<std::string> one_of(const request& req, const char* name, const std::vector<std::string>& allowed) {
    const auto v = req.query_value(name);
    if (!v) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw bad_request(std::string(name) + " must be one of " + list + ", got \"" + geo::utf8_prefix(*v, 32) + "\"");
    }
    return std::string(*v);
}

json row_json(const data::stats_row& row, const config::plot_settings& rules) {
    json by_stage = json::object();
    for (const auto& s : rules.stages) by_stage[s] = 0;
    for (const auto& [s, n] : row.by_stage) by_stage[s] = n;
    json by_program = json::object();
    for (const auto& p : rules.programs) by_program[p] = 0;
    for (const auto& [p, n] : row.by_program) by_program[p] = n;
    return {{"plots", row.plots},
            {"area_m2", std::round(row.area_m2 * 10) / 10},
            {"with_boundary", row.with_boundary},
            {"by_stage", std::move(by_stage)},
            {"by_program", std::move(by_program)}};
}

response stats(const context& ctx, const request& req) {
    allow_only(req, {"by", "parent", "program", "stage", "budget_year"});
    data::stats_query q;
    const auto by = req.query_value("by");
    if (!by || (*by != "adm1" && *by != "adm2" && *by != "adm3")) {
        throw bad_request("by must be adm1, adm2 or adm3");
    }
    q.level = (*by)[3] - '0';
    if (const auto v = req.query_value("parent")) q.parent = std::string(*v);
    q.program = one_of(req, "program", ctx.settings.plots.programs);
    q.stage = one_of(req, "stage", ctx.settings.plots.stages);
    if (const auto v = req.query_value("budget_year")) q.budget_year = query_int(*v, "budget_year");
    q.scope = caller(req).scope;
    const data::stats_result result = ctx.store.read([&](data::connection& c) { return data::plot_stats(c, q); });

    json rows = json::array();
    for (const auto& row : result.rows) {
        json r = row_json(row, ctx.settings.plots);
        r["code"] = row.code.empty() ? json(nullptr) : json(row.code);
        r["name_th"] = row.code.empty() ? json("ไม่ระบุพื้นที่") : json(row.name_th);
        r["name_en"] = row.code.empty() ? json("no area") : json(row.name_en);
        rows.push_back(std::move(r));
    }
    return json_response(200, {{"by", *by},
                               {"parent", q.parent ? json(*q.parent) : json(nullptr)},
                               {"scope", q.scope ? json(*q.scope) : json(nullptr)},
                               {"stages", ctx.settings.plots.stages},
                               {"rows", std::move(rows)},
                               {"total", row_json(result.total, ctx.settings.plots)}});
}

} // namespace

void add_stats(router& r, const context& ctx) {
    r.add("GET", "/api/v1/stats", access::signed_in, [&ctx](const request& req, const path_params&) { return stats(ctx, req); });
}

} // namespace plotmap::server::routes
