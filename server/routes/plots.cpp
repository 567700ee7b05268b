// The app's plot API under /api/v1/plots (docs/api.md).

#include "data/review.hpp"
#include "data/store.hpp"
#include "geo/text.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/json_body.hpp"
#include "server/plot_json.hpp"
#include "server/query.hpp"
#include "server/routes/routes.hpp"

#include <charconv>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 2> json_types{"application/json", "application/geo+json"};
constexpr std::array<std::string_view, 2> patch_types{"application/merge-patch+json", "application/json"};

/// What the caller may see of a plot.
view view_of(const request& req, const data::plot& p) { return sees_personal(req, p) ? view::full : view::public_fields; }

response write_response(int status, const data::write_result& r, const data::plot_draft& d, const request& req) {
    response res = json_response(status, write_result_to_json(r, d, output_crs(req), view_of(req, r.record)), r.record.version);
    if (status == 201 || !r.created) res.set("Location", "/api/v1/plots/" + std::to_string(r.record.id));
    return res;
}

response list(const context& ctx, const request& req) {
    allow_only(req, {"bbox", "bbox-crs", "program", "stage", "adm1", "adm2", "adm3", "budget_year", "review_state", "q", "village_no", "limit",
                     "after", "deleted", "crs"});
    data::plot_query q = plot_filters(req, false);
    if (const auto v = req.query_value("q")) {
        q.text = std::string(*v);
        // Signed-in callers find plots by owner too, within the scope where they see owners.
        if (req.who) q.text_owner_scope = req.who->scope.value_or("");
    }
    if (const auto v = req.query_value("village_no")) q.village_no = query_int(*v, "village_no");
    q.limit = query_limit(req, ctx.settings.plots.list_limit_default, ctx.settings.plots.list_limit_max);
    if (const auto v = req.query_value("deleted")) {
        if (*v == "include") {
            q.deleted = data::plot_query::deleted_filter::include;
        } else if (*v == "only") {
            q.deleted = data::plot_query::deleted_filter::only;
        } else if (*v != "exclude") {
            throw bad_request("deleted must be exclude, include or only");
        }
    }
    const geo::crs& crs = output_crs(req);
    const data::plot_page page = ctx.plots.list(q);
    json plots = json::array();
    for (const auto& p : page.plots) plots.push_back(plot_to_json(p, crs, view_of(req, p)));
    json links = json::array();
    if (page.more) links.push_back({{"rel", "next"}, {"href", base_url(req, ctx) + next_link(req, "/api/v1/plots", page.plots.back().id)}});
    return json_response(200, {{"plots", std::move(plots)},
                               {"number_matched", page.number_matched},
                               {"number_returned", page.plots.size()},
                               {"limit", q.limit},
                               {"links", std::move(links)}});
}

/// PUT (replace every writable member) and PATCH (JSON merge patch over the stored record:
/// members absent from the patch keep their stored values exactly, no reprojection round trip).
response edit(const context& ctx, const request& req, const path_params& params, bool merge) {
    allow_only(req, {"repair", "crs"});
    const std::int64_t id = path_id(params);
    const std::int64_t expected = required_if_match(req);
    const json body = parse_json_object(req, merge ? patch_types : json_types);
    data::plot_draft draft = merge ? data::draft_of(ctx.plots.get(id)) : data::plot_draft{};
    apply_plot_members(draft, body, input_crs(req, body));
    draft.repair = query_flag(req, "repair");
    const data::write_result result = ctx.plots.replace(id, expected, draft, editor_of(req));
    refresh_tiles(ctx, result);
    return write_response(200, result, draft, req);
}

/// POST /api/v1/plots/{id}/review: one verification step (docs/review.md).
response review(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {"crs"});
    const std::int64_t id = path_id(params);
    const std::int64_t expected = required_if_match(req);
    const json body = parse_json_object(req, json_types);
    data::review_draft d;
    bool has_action = false;
    for (const auto& [key, value] : body.items()) {
        if (key == "action" && value.is_string()) {
            d.action = data::parse_review_action(value.get<std::string>());
            has_action = true;
        } else if (key == "reasons" && value.is_object()) {
            for (const auto& [item, why] : value.items()) {
                if (!why.is_string()) throw bad_request("reasons." + geo::utf8_prefix(item, 32) + " must say why, as text");
                d.reasons[item] = why.get<std::string>();
            }
        } else if (key == "note" && (value.is_string() || value.is_null())) {
            if (value.is_string()) d.note = value.get<std::string>();
        } else if (key == "checks" && value.is_object()) {
            for (const auto& [check, ticked] : value.items()) {
                if (!ticked.is_boolean()) throw bad_request("checks." + geo::utf8_prefix(check, 32) + " must be true or false");
                d.checks[check] = ticked.get<bool>();
            }
        } else {
            throw bad_request("member \"" + geo::utf8_prefix(key, 32) + "\" is unknown or of the wrong type: a review has action (text), "
                              "reasons (an object of texts), note (text) and checks (an object of true/false)");
        }
    }
    if (!has_action) throw bad_request("action is required: submit, approve or send_back");
    const data::write_result result = ctx.plots.review(id, expected, d, editor_of(req));
    refresh_tiles(ctx, result);
    return json_response(200, plot_to_json(result.record, output_crs(req), view::full), result.record.version);
}

/// GET /api/v1/plots/{id}/review: the state, the steps the caller may take, the checklist
/// as plotmap computes it now, and every step so far with who, when and why.
response review_status(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {});
    const data::plot p = ctx.plots.get(path_id(params));
    if (!sees_personal(req, p)) throw forbidden("a plot's verification is for users whose scope holds the plot");
    const data::editor who = editor_of(req);
    const bool own = p.submitted_by && who.username && *p.submitted_by == *who.username;
    const bool may_edit = caller(req).role >= data::role::staff && caller(req).can_write;
    const std::vector<data::checklist_item> items = ctx.store.read([&](data::connection& c) {
        return data::review_checklist(c, p, {ctx.settings.plots.area_mismatch_warn_share, ctx.settings.plots.overlap_warn_m2});
    });
    json checklist = json::array();
    for (const auto& item : items) {
        checklist.push_back({{"key", item.key}, {"ok", item.ok ? json(*item.ok) : json(nullptr)}, {"detail", item.detail}, {"manual", item.manual}});
    }
    json steps = json::array();
    for (const auto& h : ctx.plots.history(p.id)) {
        if (!h.details_json) continue;
        const json details = json::parse(*h.details_json);
        if (!details.contains("review")) continue;
        json step = details["review"];
        step["version"] = h.version;
        step["at"] = h.changed_at;
        step["by"] = h.changed_by ? json(*h.changed_by) : json(nullptr);
        steps.push_back(std::move(step));
    }
    return json_response(200, {{"plot_id", p.id},
                               {"code", p.code},
                               {"state", p.review_state},
                               {"changed_at", p.review_changed_at ? json(*p.review_changed_at) : json(nullptr)},
                               {"submitted_by", p.submitted_by ? json(*p.submitted_by) : json(nullptr)},
                               {"allowed", may_edit ? data::allowed_review_actions(p.review_state, who.can_review, own)
                                                    : std::vector<std::string>{}},
                               {"checklist", std::move(checklist)},
                               {"steps", std::move(steps)}},
                         p.version);
}

} // namespace

void refresh_tiles(const context& ctx, const data::write_result& r) {
    if (!r.created && !r.changed) return;
    ctx.tiles.plots_changed(r.previous_bounds);
    ctx.tiles.plots_changed(data::bounds_of(r.record));
}

void add_plots(router& r, const context& ctx) {
    r.add("POST", "/api/v1/plots/{id}/review", access::edit,
          [&ctx](const request& req, const path_params& params) { return review(ctx, req, params); });
    r.add("GET", "/api/v1/plots/{id}/review", access::signed_in,
          [&ctx](const request& req, const path_params& params) { return review_status(ctx, req, params); });
    r.add("POST", "/api/v1/plots", access::edit, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"repair", "crs"});
        const json body = parse_json_object(req, json_types);
        data::plot_draft draft;
        apply_plot_members(draft, body, input_crs(req, body));
        draft.repair = query_flag(req, "repair");
        const data::write_result result = ctx.plots.create(draft, editor_of(req));
        refresh_tiles(ctx, result);
        return write_response(result.created ? 201 : 200, result, draft, req);
    }, body_size::document);

    r.add("GET", "/api/v1/plots", access::read, [&ctx](const request& req, const path_params&) { return list(ctx, req); });

    r.add("GET", "/api/v1/plots/{id}", access::read, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {"crs", "deleted"});
        const data::plot p = ctx.plots.get(path_id(params), req.query_value("deleted") == "include");
        if (const auto inm = req.header("if-none-match"); inm && (*inm == version_etag(p.version) || *inm == "*")) {
            response not_modified;
            not_modified.status = 304;
            not_modified.set("ETag", version_etag(p.version));
            return not_modified;
        }
        return json_response(200, plot_to_json(p, output_crs(req), view_of(req, p)), p.version);
    });

    r.add("PUT", "/api/v1/plots/{id}", access::edit,
          [&ctx](const request& req, const path_params& params) { return edit(ctx, req, params, false); }, body_size::document);
    r.add("PATCH", "/api/v1/plots/{id}", access::edit,
          [&ctx](const request& req, const path_params& params) { return edit(ctx, req, params, true); }, body_size::document);

    r.add("DELETE", "/api/v1/plots/{id}", access::edit, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        require_role(req, data::role::supervisor);
        const data::write_result result = ctx.plots.remove(path_id(params), if_match(req), editor_of(req));
        refresh_tiles(ctx, result);
        return json_response(200, plot_to_json(result.record, geo::crs84(), view::full), result.record.version);
    });

    r.add("POST", "/api/v1/plots/{id}/restore", access::edit, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {"crs"});
        require_role(req, data::role::supervisor);
        const data::write_result result = ctx.plots.restore(path_id(params), if_match(req), editor_of(req));
        refresh_tiles(ctx, result);
        return json_response(200, plot_to_json(result.record, output_crs(req), view::full), result.record.version);
    });

    r.add("GET", "/api/v1/plots/{id}/history", access::signed_in, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        const std::int64_t id = path_id(params);
        const std::vector<data::history_entry> entries = ctx.plots.history(id);
        const view v = view_of(req, ctx.plots.get(id, true));
        json versions = json::array();
        for (const auto& e : entries) versions.push_back(history_to_json(e, v));
        return json_response(200, {{"plot_id", id}, {"versions", std::move(versions)}});
    });
}

} // namespace plotmap::server::routes
