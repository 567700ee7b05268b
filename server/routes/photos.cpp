// Photos of plots, progress events and the plot timeline (docs/photos.md).

#include "data/clock.hpp"
#include "geo/text.hpp"
#include "server/access.hpp"
#include "server/api.hpp"
#include "server/json_body.hpp"
#include "server/multipart.hpp"
#include "server/plot_json.hpp"
#include "server/routes/routes.hpp"

#include <algorithm>
#include <optional>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 1> json_types{"application/json"};

const char* size_name(data::photo_size s) {
    switch (s) {
    case data::photo_size::original: return "original";
    case data::photo_size::display: return "display";
    case data::photo_size::thumbnail: return "thumbnail";
    }
    return "original";
}

json point_json(const std::optional<geo::point>& p) { return p ? json::array({p->x, p->y}) : json(nullptr); }

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

/// A photo as JSON; who uploaded it and what its EXIF said are personal.
json photo_json(const data::photo& p, const std::string& base, view v) {
    const std::string files = base + "/api/v1/photos/" + std::to_string(p.id) + "/" + p.sha256 + "/";
    json out{{"id", p.id},
             {"uid", p.uid},
             {"plot_id", p.plot_id},
             {"taken_at", opt(p.taken_at)},
             {"location", point_json(p.location)},
             {"accuracy_m", p.accuracy_m ? json(*p.accuracy_m) : json(nullptr)},
             {"caption", opt(p.caption)},
             {"stage", opt(p.stage)},
             {"progress_uid", opt(p.progress_uid)},
             {"sha256", p.sha256},
             {"width", p.width},
             {"height", p.height},
             {"media_type", p.media_type},
             {"bytes", p.bytes},
             {"public", p.is_public},
             {"uploaded_at", p.uploaded_at},
             {"deleted_at", opt(p.deleted_at)},
             {"links",
              {{"original", files + size_name(data::photo_size::original)},
               {"display", files + size_name(data::photo_size::display)},
               {"thumbnail", files + size_name(data::photo_size::thumbnail)}}}};
    if (v == view::full) {
        out["uploaded_by"] = opt(p.uploaded_by);
        out["exif"] = {{"location", point_json(p.exif_location)}, {"taken_at", opt(p.exif_taken_at)}};
    }
    return out;
}

/// May the caller see this photo: public, or the plot is in their scope. Otherwise 401 for
/// the anonymous, 403 for the signed-in.
void require_visible(const request& req, const data::photo& photo, const data::plot& plot) {
    if (photo.is_public && !photo.deleted_at && !plot.deleted_at) return;
    if (sees_personal(req, plot)) return;
    if (!req.who) throw unauthorized("photos are personal data: sign in to see them");
    throw forbidden("photo " + std::to_string(photo.id) + " belongs to a plot outside your scope");
}

data::photo_meta parse_meta(const std::string& text) {
    data::photo_meta m;
    if (text.empty()) return m;
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw bad_request(std::string("the meta part is not JSON: ") + e.what());
    }
    if (!j.is_object()) throw bad_request("the meta part must be a JSON object");
    const auto string_member = [&](const char* key) -> std::optional<std::string> {
        if (!j.contains(key) || j[key].is_null()) return std::nullopt;
        if (!j[key].is_string()) throw bad_request(std::string("meta.") + key + " must be a string");
        return j[key].get<std::string>();
    };
    for (const auto& [key, value] : j.items()) {
        static const std::array<std::string_view, 7> known{"uid", "taken_at", "location", "accuracy_m", "caption", "stage",
                                                           "progress_uid"};
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            throw bad_request("meta." + geo::utf8_prefix(key, 40) + " is not a photo member (" +
                              "uid, taken_at, location, accuracy_m, caption, stage, progress_uid)");
        }
        (void)value;
    }
    m.uid = string_member("uid");
    m.taken_at = string_member("taken_at");
    m.caption = string_member("caption");
    m.stage = string_member("stage");
    m.progress_uid = string_member("progress_uid");
    if (j.contains("location") && !j["location"].is_null()) {
        json loc = j["location"];
        if (loc.is_object() && loc.value("type", "") == "Point") loc = loc.value("coordinates", json());
        if (!loc.is_array() || loc.size() < 2 || !loc[0].is_number() || !loc[1].is_number()) {
            throw bad_request("meta.location must be [longitude, latitude] or a GeoJSON Point");
        }
        m.location = geo::point{loc[0].get<double>(), loc[1].get<double>()};
    }
    if (j.contains("accuracy_m") && !j["accuracy_m"].is_null()) {
        if (!j["accuracy_m"].is_number()) throw bad_request("meta.accuracy_m must be a number of metres");
        m.accuracy_m = j["accuracy_m"].get<double>();
    }
    return m;
}

json warnings_json(const std::vector<data::warning>& warnings) {
    json out = json::array();
    for (const auto& w : warnings) out.push_back({{"code", w.code}, {"message", w.message}});
    return out;
}

response upload(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {});
    const std::int64_t plot_id = path_id(params);
    const std::string boundary = multipart_boundary(req.header("content-type").value_or(""));
    // The server streamed the body to a file; a request made in process (tests) has it in memory.
    std::optional<scratch_file> copy;
    const std::filesystem::path body =
        req.body_file.empty() ? copy.emplace("photo", "body", req.body).path() : std::filesystem::path(req.body_file);
    const std::vector<multipart_part> parts = multipart_parts(body, boundary);
    const multipart_part* file = nullptr;
    const multipart_part* meta = nullptr;
    for (const auto& part : parts) {
        if (part.name == "file" && !file) file = &part;
        if (part.name == "meta" && !meta) meta = &part;
    }
    if (!file) throw bad_request("the upload has no part named \"file\" holding the photo");
    const data::photo_meta m = parse_meta(meta ? read_part(body, *meta, 16384) : std::string());
    const data::photo_added added = ctx.photos.add(plot_id, m, body, file->offset, file->length, editor_of(req));
    json out = photo_json(added.record, base_url(req, ctx), view::full);
    out["warnings"] = warnings_json(added.warnings);
    response res = json_response(added.created ? 201 : 200, out);
    res.set("Location", "/api/v1/photos/" + std::to_string(added.record.id));
    return res;
}

response list(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {"deleted"});
    const std::int64_t plot_id = path_id(params);
    const data::plot plot = ctx.plots.get(plot_id, true);
    const bool personal = sees_personal(req, plot);
    const bool with_deleted = req.query_value("deleted") == "include";
    if (with_deleted && !personal) throw forbidden("only users whose scope holds the plot see its deleted photos");
    json photos = json::array();
    const std::string base = base_url(req, ctx);
    for (const auto& p : ctx.photos.list(plot_id, with_deleted)) {
        if (personal || (p.is_public && !plot.deleted_at)) photos.push_back(photo_json(p, base, personal ? view::full : view::public_fields));
    }
    return json_response(200, {{"plot_id", plot_id}, {"photos", std::move(photos)}});
}

response photo_file(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {});
    const data::photo photo = ctx.photos.get(path_id(params, "id", "photo id"));
    const std::string& hash = params.at("hash");
    if (hash != photo.sha256) throw not_found("photo " + std::to_string(photo.id) + " has no file " + geo::utf8_prefix(hash, 64));
    const std::string& size = params.at("size");
    data::photo_size which = data::photo_size::original;
    if (size == "display") {
        which = data::photo_size::display;
    } else if (size == "thumbnail") {
        which = data::photo_size::thumbnail;
    } else if (size != "original") {
        throw not_found("photo sizes are original, display and thumbnail, not " + geo::utf8_prefix(size, 32));
    }
    const data::plot plot = ctx.plots.get(photo.plot_id, true);
    require_visible(req, photo, plot);
    if (photo.deleted_at && !sees_personal(req, plot)) throw not_found("photo " + std::to_string(photo.id) + " was deleted");
    const std::string tag = "\"" + photo.sha256.substr(0, 32) + "-" + size + "\"";
    // The URL names the content: it never changes, so caches may keep it for a year. A photo
    // that is not public is kept by the browser only (private).
    const std::string cache = std::string(photo.is_public ? "public" : "private") + ", max-age=31536000, immutable";
    if (const auto inm = req.header("if-none-match"); inm && (*inm == tag || *inm == "*")) {
        response not_modified;
        not_modified.status = 304;
        not_modified.set("ETag", tag);
        not_modified.set("Cache-Control", cache);
        return not_modified;
    }
    const std::filesystem::path path = ctx.photos.file_of(photo, which);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path, ec);
    if (ec) throw error("the file of photo " + std::to_string(photo.id) + " is missing: " + path.string());
    response res;
    res.status = 200;
    res.body_file = path.string();
    res.set("Content-Type", which == data::photo_size::original ? photo.media_type : "image/jpeg");
    res.set("ETag", tag);
    res.set("Cache-Control", cache);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Disposition", "inline; filename=\"photo-" + std::to_string(photo.id) + "-" + size +
                                       (which == data::photo_size::original && photo.media_type == "image/png" ? ".png\"" : ".jpg\""));
    apply_range(req, res, bytes);
    return res;
}

/// One timeline entry's sort key and body.
struct entry {
    std::string at;
    json body;
};

response timeline(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {});
    const std::int64_t plot_id = path_id(params);
    const data::plot plot = ctx.plots.get(plot_id, true);
    if (!sees_personal(req, plot)) throw forbidden("the timeline holds personal data: only users whose scope holds the plot see it");
    const std::string base = base_url(req, ctx);
    const std::vector<data::progress_event> events = ctx.plots.progress(plot_id);
    const std::vector<data::photo> photos = ctx.photos.list(plot_id, true);
    std::vector<entry> entries;
    // Progress events stand for the history version they made, with their photos.
    std::vector<std::int64_t> event_versions;
    for (const auto& e : events) {
        json with = json::array();
        for (const auto& p : photos) {
            if (p.progress_uid == e.uid && !p.deleted_at) with.push_back(photo_json(p, base, view::full));
        }
        if (e.stage_from != e.stage_to) event_versions.push_back(e.plot_version);
        entries.push_back({data::day_as_timestamp(e.happened_on),
                           {{"kind", "progress"},
                            {"at", data::day_as_timestamp(e.happened_on)},
                            {"date", e.happened_on},
                            {"by", opt(e.recorded_by)},
                            {"recorded_at", e.recorded_at},
                            {"uid", e.uid},
                            {"stage_from", opt(e.stage_from)},
                            {"stage_to", e.stage_to},
                            {"note", opt(e.note)},
                            {"version", e.plot_version},
                            {"photos", std::move(with)}}});
    }
    for (const auto& h : ctx.plots.history(plot_id)) {
        if (std::find(event_versions.begin(), event_versions.end(), h.version) != event_versions.end()) continue;
        json body = history_to_json(h, view::full);
        static const std::map<std::string, std::string> kinds{{"create", "created"}, {"update", "edited"}, {"delete", "deleted"},
                                                              {"restore", "restored"}};
        body["kind"] = kinds.count(h.action) ? kinds.at(h.action) : h.action;
        if (body["details"].is_object() && body["details"].contains("review")) body["kind"] = "review";
        body["at"] = h.changed_at;
        body["by"] = opt(h.changed_by);
        entries.push_back({h.changed_at, std::move(body)});
    }
    // A photo outside any event is its own entry, at the time it was taken; deleting and
    // restoring photos are entries too.
    const std::vector<std::string> event_uids = [&] {
        std::vector<std::string> out;
        for (const auto& e : events) out.push_back(e.uid);
        return out;
    }();
    for (const auto& p : photos) {
        const bool in_event = p.progress_uid && std::find(event_uids.begin(), event_uids.end(), *p.progress_uid) != event_uids.end();
        if (in_event && !p.deleted_at) continue;
        const std::string at = p.taken_at.value_or(p.uploaded_at);
        entries.push_back({at, {{"kind", "photo"}, {"at", at}, {"by", opt(p.uploaded_by)}, {"photo", photo_json(p, base, view::full)}}});
    }
    for (const auto& e : ctx.photos.events(plot_id)) {
        if (e.action == "add") continue; // the photo's own entry says it
        entries.push_back({e.at, {{"kind", "photo_" + e.action}, {"at", e.at}, {"by", opt(e.by)}, {"photo_id", e.photo_id}}});
    }
    std::stable_sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.at < b.at; });
    json out = json::array();
    for (auto& e : entries) out.push_back(std::move(e.body));
    return json_response(200, {{"plot_id", plot_id}, {"code", plot.code}, {"stage", plot.stage}, {"entries", std::move(out)}});
}

response progress(const context& ctx, const request& req, const path_params& params) {
    allow_only(req, {"crs"});
    const std::int64_t plot_id = path_id(params);
    const std::int64_t expected = required_if_match(req);
    const json body = parse_json_object(req, json_types);
    data::progress_draft d;
    std::vector<std::string> photo_uids;
    for (const auto& [key, value] : body.items()) {
        if (key == "uid" && value.is_string()) {
            d.uid = value.get<std::string>();
        } else if (key == "stage" && value.is_string()) {
            d.stage = value.get<std::string>();
        } else if (key == "date" && value.is_string()) {
            d.date = value.get<std::string>();
        } else if (key == "note" && (value.is_string() || value.is_null())) {
            if (value.is_string()) d.note = value.get<std::string>();
        } else if (key == "photos" && value.is_array()) {
            for (const auto& u : value) {
                if (!u.is_string()) throw bad_request("photos must be a list of photo uids");
                photo_uids.push_back(u.get<std::string>());
            }
        } else {
            throw bad_request("\"" + geo::utf8_prefix(key, 40) + "\" is not a progress member of that type (uid, stage, date: " +
                              "strings; note: string; photos: list of photo uids)");
        }
    }
    if (d.stage.empty()) throw bad_request("stage is required");
    if (d.date.empty()) throw bad_request("date is required (YYYY-MM-DD, the day the stage was reached)");
    const data::progress_result r = ctx.plots.record_progress(plot_id, expected, d, editor_of(req));
    ctx.photos.link_to_progress(plot_id, photo_uids, r.event.uid, editor_of(req));
    refresh_tiles(ctx, r.write);
    json event{{"uid", r.event.uid},       {"date", r.event.happened_on}, {"stage_from", opt(r.event.stage_from)},
               {"stage_to", r.event.stage_to}, {"note", opt(r.event.note)}, {"version", r.event.plot_version},
               {"recorded_at", r.event.recorded_at}, {"recorded_by", opt(r.event.recorded_by)}};
    return json_response(r.created ? 201 : 200, {{"event", event}, {"plot", plot_to_json(r.write.record, output_crs(req), view::full)}},
                         r.write.record.version);
}

} // namespace

void add_photos(router& r, const context& ctx) {
    r.add("POST", "/api/v1/plots/{id}/photos", access::edit,
          [&ctx](const request& req, const path_params& params) { return upload(ctx, req, params); }, body_size::photo);
    r.add("GET", "/api/v1/plots/{id}/photos", access::read,
          [&ctx](const request& req, const path_params& params) { return list(ctx, req, params); });
    r.add("GET", "/api/v1/photos/{id}", access::read, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        const data::photo photo = ctx.photos.get(path_id(params, "id", "photo id"));
        const data::plot plot = ctx.plots.get(photo.plot_id, true);
        require_visible(req, photo, plot);
        return json_response(200, photo_json(photo, base_url(req, ctx), sees_personal(req, plot) ? view::full : view::public_fields));
    });
    r.add("GET", "/api/v1/photos/{id}/{hash}/{size}", access::read,
          [&ctx](const request& req, const path_params& params) { return photo_file(ctx, req, params); });
    r.add("DELETE", "/api/v1/photos/{id}", access::edit, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        require_role(req, data::role::supervisor);
        const data::photo p = ctx.photos.set_deleted(path_id(params, "id", "photo id"), true, editor_of(req));
        return json_response(200, photo_json(p, base_url(req, ctx), view::full));
    });
    r.add("POST", "/api/v1/photos/{id}/restore", access::edit, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        require_role(req, data::role::supervisor);
        const data::photo p = ctx.photos.set_deleted(path_id(params, "id", "photo id"), false, editor_of(req));
        return json_response(200, photo_json(p, base_url(req, ctx), view::full));
    });
    r.add("PATCH", "/api/v1/photos/{id}", access::edit, [&ctx](const request& req, const path_params& params) {
        allow_only(req, {});
        require_role(req, data::role::admin);
        static constexpr std::array<std::string_view, 2> patch_types{"application/merge-patch+json", "application/json"};
        const json body = parse_json_object(req, patch_types);
        if (body.size() != 1 || !body.contains("public") || !body["public"].is_boolean()) {
            throw bad_request("a photo's only editable member is \"public\": true or false");
        }
        const data::photo p = ctx.photos.set_public(path_id(params, "id", "photo id"), body["public"].get<bool>(), editor_of(req));
        return json_response(200, photo_json(p, base_url(req, ctx), view::full));
    });
    r.add("POST", "/api/v1/plots/{id}/progress", access::edit,
          [&ctx](const request& req, const path_params& params) { return progress(ctx, req, params); }, body_size::document);
    r.add("GET", "/api/v1/plots/{id}/timeline", access::signed_in,
          [&ctx](const request& req, const path_params& params) { return timeline(ctx, req, params); });
}

} // namespace plotmap::server::routes
