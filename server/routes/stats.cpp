// The programme's numbers: GET /api/v1/stats (docs/dashboard.md), for the dashboard and
// anyone who wants them as data. Signed in; counted within the caller's scope only.

#include "data/clock.hpp"
#include "data/reporting.hpp"
#include "data/review.hpp"
#include "geo/text.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/query.hpp"
#include "server/routes/routes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

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
    json by_review = json::object();
    for (const auto& r : data::review_states) by_review[r] = 0;
    for (const auto& [r, n] : row.by_review) by_review[r] = n;
    return {{"plots", row.plots},
            {"area_m2", std::round(row.area_m2 * 10) / 10},
            {"with_boundary", row.with_boundary},
            {"by_stage", std::move(by_stage)},
            {"by_program", std::move(by_program)},
            {"by_review", std::move(by_review)}};
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
    const data::stats_result result = data::reporting(ctx.store).stats(q);

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

/// ?area, ?program and ?budget_year within the caller's scope (data::reporting checks the area).
data::area_filter area_filter(const context& ctx, const request& req) {
    data::area_filter f;
    if (const auto v = req.query_value("area")) f.area = std::string(*v);
    f.program = one_of(req, "program", ctx.settings.plots.programs);
    if (const auto v = req.query_value("budget_year")) f.budget_year = query_int(*v, "budget_year");
    f.scope = caller(req).scope;
    return f;
}

data::quality_rules quality_rules(const context& ctx) {
    data::quality_rules r;
    r.area_mismatch_share = ctx.settings.plots.area_mismatch_warn_share;
    r.overlap_m2 = ctx.settings.plots.overlap_warn_m2;
    std::string since = data::iso_utc(data::unix_now() - std::int64_t{ctx.settings.photos.recent_days} * 86400);
    since.insert(since.size() - 1, ".000");
    r.photo_since = since;
    return r;
}

response trend(const context& ctx, const request& req) {
    allow_only(req, {"area", "program", "budget_year", "from", "to"});
    const auto from = req.query_value("from");
    const auto to = req.query_value("to");
    const data::month_span last = to ? data::parse_month(*to) : data::thai_month(data::unix_now());
    const data::month_span first = from ? data::parse_month(*from) : data::thai_month(data::unix_now(), 11);
    const data::stage_trend t = data::reporting(ctx.store).trend(area_filter(ctx, req), first, last);
    json by_stage = json::object();
    for (const auto& s : ctx.settings.plots.stages) {
        const auto it = t.by_stage.find(s);
        by_stage[s] = it == t.by_stage.end() ? std::vector<std::int64_t>(t.months.size(), 0) : it->second;
    }
    return json_response(200, {{"months", t.months}, {"stages", ctx.settings.plots.stages}, {"by_stage", std::move(by_stage)}});
}

json plot_json(const data::report_plot& p) {
    json j{{"id", p.id},           {"code", p.code},         {"name", p.name},       {"program", p.program},
           {"stage", p.stage},     {"adm3", p.adm3},         {"adm3_name", p.adm3_name}, {"adm2_name", p.adm2_name},
           {"area_m2", p.area_m2 ? json(std::round(*p.area_m2 * 10) / 10) : json(nullptr)},
           {"declared_area_m2", p.declared_area_m2 ? json(*p.declared_area_m2) : json(nullptr)}};
    j["review_state"] = p.review_state;
    if (p.to) {
        j["from"] = p.from ? json(*p.from) : json(nullptr);
        j["to"] = *p.to;
        j["at"] = p.at.value_or("");
        j["by"] = p.by ? json(*p.by) : json(nullptr);
    }
    if (p.review_json) j["review"] = json::parse(*p.review_json);
    if (p.detail) j["detail"] = *p.detail;
    return j;
}

json plots_json(const std::vector<data::report_plot>& plots) {
    json out = json::array();
    for (const auto& p : plots) out.push_back(plot_json(p));
    return out;
}

response quality(const context& ctx, const request& req) {
    allow_only(req, {"area", "program", "budget_year"});
    const data::quality_rules rules = quality_rules(ctx);
    const data::area_filter f = area_filter(ctx, req);
    const auto counts = data::reporting(ctx.store).quality(f, rules);
    json findings = json::object();
    for (const data::quality_issue i : data::quality_issues) {
        const auto it = counts.find(i);
        findings[std::string(data::quality_name(i))] = it == counts.end() ? json(nullptr) : json(it->second);
    }
    return json_response(200, {{"area", f.area ? json(*f.area) : json(nullptr)},
                               {"findings", std::move(findings)},
                               {"rules",
                                {{"area_mismatch_share", rules.area_mismatch_share},
                                 {"overlap_m2", rules.overlap_m2},
                                 {"photo_recent_days", ctx.settings.photos.recent_days}}}});
}

response quality_plots(const context& ctx, const request& req, const std::string& finding) {
    allow_only(req, {"area", "program", "budget_year", "limit"});
    const data::quality_issue issue = data::parse_quality_issue(finding);
    const std::int64_t limit = query_limit(req, ctx.settings.plots.list_limit_default, ctx.settings.plots.list_limit_max);
    const data::quality_rules rules = quality_rules(ctx);
    const data::area_filter f = area_filter(ctx, req);
    return json_response(200, {{"finding", finding},
                               {"area", f.area ? json(*f.area) : json(nullptr)},
                               {"plots", plots_json(data::reporting(ctx.store).quality_plots(f, rules, issue, limit))}});
}

response monthly_report(const context& ctx, const request& req) {
    allow_only(req, {"month", "area", "program", "budget_year", "format"});
    const auto month_text = req.query_value("month");
    if (!month_text) throw bad_request("month is required, like 2026-11 (or 2569-11)");
    const data::month_span month = data::parse_month(*month_text);
    const std::string format(req.query_value("format").value_or("json"));
    if (format != "json" && format != "csv" && format != "xlsx") {
        throw bad_request("format must be json, csv or xlsx, got \"" + geo::utf8_prefix(format, 16) + "\"");
    }
    const data::quality_rules rules = quality_rules(ctx);
    const data::monthly_report report = data::reporting(ctx.store).monthly(area_filter(ctx, req), month, rules);
    const std::string file = "plotmap-report-" + month.month + (report.area ? "-" + *report.area : std::string()) + "." + format;
    if (format == "csv") {
        response res;
        res.body = data::report_csv(report);
        res.set("Content-Type", "text/csv; charset=utf-8");
        res.set("Content-Disposition", "attachment; filename=\"" + file + "\"");
        res.set("Cache-Control", "no-cache");
        return res;
    }
    if (format == "xlsx") {
        return attachment("report", file, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          [&](const std::filesystem::path& out) { data::write_report_xlsx(report, out); });
    }
    const auto counts = [](const std::vector<std::string>& keys, const std::map<std::string, std::int64_t>& found) {
        json out = json::object();
        for (const auto& k : keys) {
            const auto it = found.find(k);
            out[k] = it == found.end() ? 0 : it->second;
        }
        return out;
    };
    return json_response(200, {{"month", report.month.month},
                               {"area", {{"code", report.area ? json(*report.area) : json(nullptr)},
                                         {"name_th", report.area_name_th},
                                         {"name_en", report.area_name_en}}},
                               {"generated_at", data::now_utc()},
                               {"summary",
                                {{"plots", report.plots},
                                 {"with_boundary", report.with_boundary},
                                 {"by_stage", counts(ctx.settings.plots.stages, report.plots_by_stage)},
                                 {"by_review", counts(data::review_states, report.plots_by_review)},
                                 {"approved", report.approved.size()},
                                 {"sent_back", report.sent_back.size()},
                                 {"waiting", report.waiting.size()},
                                 {"stage_changes", report.stage_changes.size()},
                                 {"new_plots", report.new_plots.size()},
                                 {"without_boundary", report.without_boundary.size()},
                                 {"without_photos", report.without_photos.size()},
                                 {"area_mismatches", report.area_mismatches.size()}}},
                               {"stage_changes", plots_json(report.stage_changes)},
                               {"new_plots", plots_json(report.new_plots)},
                               {"without_boundary", plots_json(report.without_boundary)},
                               {"without_photos", plots_json(report.without_photos)},
                               {"area_mismatches", plots_json(report.area_mismatches)},
                               {"approved", plots_json(report.approved)},
                               {"sent_back", plots_json(report.sent_back)},
                               {"waiting", plots_json(report.waiting)}});
}

} // namespace

void add_stats(router& r, const context& ctx) {
    r.add("GET", "/api/v1/stats", access::signed_in, [&ctx](const request& req, const path_params&) { return stats(ctx, req); });
    r.add("GET", "/api/v1/stats/trend", access::signed_in, [&ctx](const request& req, const path_params&) { return trend(ctx, req); });
    r.add("GET", "/api/v1/stats/quality", access::signed_in,
          [&ctx](const request& req, const path_params&) { return quality(ctx, req); });
    r.add("GET", "/api/v1/stats/quality/{finding}", access::signed_in,
          [&ctx](const request& req, const path_params& p) { return quality_plots(ctx, req, p.at("finding")); });
    r.add("GET", "/api/v1/reviews", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"state", "area", "program", "budget_year", "limit"});
        const std::string state(req.query_value("state").value_or("submitted"));
        const std::int64_t limit = query_limit(req, ctx.settings.plots.list_limit_default, ctx.settings.plots.list_limit_max);
        return json_response(200, {{"state", state}, {"plots", plots_json(data::reporting(ctx.store).review_queue(area_filter(ctx, req), state, limit))}});
    });
    r.add("GET", "/api/v1/reports/monthly", access::signed_in,
          [&ctx](const request& req, const path_params&) { return monthly_report(ctx, req); });
}

} // namespace plotmap::server::routes
