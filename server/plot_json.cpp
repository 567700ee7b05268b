#include "server/plot_json.hpp"

#include "data/plot_fields.hpp"
#include "geo/error.hpp"
#include "geo/geojson.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

namespace plotmap::server {
namespace {

using nlohmann::json;

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

std::optional<std::string> string_member(const json& v, const std::string& key) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) throw bad_request("member \"" + key + "\" must be a string or null");
    return v.get<std::string>();
}

std::optional<std::int64_t> integer_member(const json& v, const std::string& key) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number_integer()) throw bad_request("member \"" + key + "\" must be a whole number or null");
    return v.get<std::int64_t>();
}

std::optional<double> number_member(const json& v, const std::string& key) {
    if (v.is_null()) return std::nullopt;
    if (!v.is_number()) throw bad_request("member \"" + key + "\" must be a number or null");
    return v.get<double>();
}

constexpr std::size_t max_track_fixes = 10000; // over two hours at one fix a second
constexpr std::size_t max_track_gaps = 500;

double track_number(const json& v, const std::string& where, double min, double max) {
    if (!v.is_number() || !(v.get<double>() >= min && v.get<double>() <= max)) {
        const auto text = [](double x) {
            std::array<char, 32> buf{};
            std::snprintf(buf.data(), buf.size(), "%g", x);
            return std::string(buf.data());
        };
        throw bad_request("track: " + where + " must be a number between " + text(min) + " and " + text(max));
    }
    return v.get<double>();
}

/// The walked track as the field app sends it: {"mode": "walk"|"corners", "fixes": [{lon,
/// lat, accuracy, time, kept, reason?}], "gaps": [{after, seconds, metres, accepted}]},
/// checked member by member and kept with only those members (WGS 84 lon/lat, as the
/// browser gave them, whatever the request's CRS).
std::string checked_track(const json& v) {
    if (!v.is_object()) throw bad_request("track must be an object with mode, fixes and gaps");
    for (const auto& [key, value] : v.items()) {
        if (key != "mode" && key != "fixes" && key != "gaps") throw bad_request("track: unknown member \"" + geo::utf8_prefix(key, 32) + "\"");
    }
    const auto mode = v.find("mode");
    if (mode == v.end() || !mode->is_string() || (*mode != "walk" && *mode != "corners")) {
        throw bad_request("track: mode must be \"walk\" or \"corners\"");
    }
    const auto fixes = v.find("fixes");
    if (fixes == v.end() || !fixes->is_array()) throw bad_request("track: fixes must be an array");
    if (fixes->size() > max_track_fixes) {
        throw bad_request("track: " + std::to_string(fixes->size()) + " fixes, more than the " + std::to_string(max_track_fixes) + " a track may have");
    }
    json out{{"mode", *mode}, {"fixes", json::array()}, {"gaps", json::array()}};
    for (std::size_t i = 0; i < fixes->size(); ++i) {
        const json& f = (*fixes)[i];
        const std::string where = "fixes[" + std::to_string(i) + "]";
        if (!f.is_object()) throw bad_request("track: " + where + " must be an object");
        json fix{{"lon", track_number(f.value("lon", json()), where + ".lon", -180, 180)},
                 {"lat", track_number(f.value("lat", json()), where + ".lat", -90, 90)},
                 {"accuracy", track_number(f.value("accuracy", json()), where + ".accuracy", 0, 100000)},
                 {"time", track_number(f.value("time", json()), where + ".time", 0, 1e14)}};
        const json kept = f.value("kept", json());
        if (!kept.is_boolean()) throw bad_request("track: " + where + ".kept must be true or false");
        fix["kept"] = kept;
        if (const auto reason = f.find("reason"); reason != f.end()) {
            if (!reason->is_string() || reason->get<std::string>().size() > 32) throw bad_request("track: " + where + ".reason must be a short text");
            fix["reason"] = *reason;
        }
        out["fixes"].push_back(std::move(fix));
    }
    if (const auto gaps = v.find("gaps"); gaps != v.end()) {
        if (!gaps->is_array() || gaps->size() > max_track_gaps) throw bad_request("track: gaps must be an array of at most 500");
        for (std::size_t i = 0; i < gaps->size(); ++i) {
            const json& g = (*gaps)[i];
            const std::string where = "gaps[" + std::to_string(i) + "]";
            if (!g.is_object() || !g.value("accepted", json()).is_boolean()) throw bad_request("track: " + where + " must be {after, seconds, metres, accepted}");
            out["gaps"].push_back({{"after", track_number(g.value("after", json()), where + ".after", 0, 1e6)},
                                   {"seconds", track_number(g.value("seconds", json()), where + ".seconds", 0, 1e7)},
                                   {"metres", track_number(g.value("metres", json()), where + ".metres", 0, 1e7)},
                                   {"accepted", g["accepted"]}});
        }
    }
    return geo::json_text(out);
}

using member_setter = std::function<void(data::plot_draft&, const json&, const std::string&)>;

template <typename Field>
member_setter text(Field data::plot_draft::*field) {
    return [field](data::plot_draft& d, const json& v, const std::string& key) { d.*field = string_member(v, key); };
}

const std::map<std::string, member_setter>& writable_members() {
    using D = data::plot_draft;
    static const std::map<std::string, member_setter> members{
        {"uid", text(&D::uid)},
        {"code", text(&D::code)},
        {"program", text(&D::program)},
        {"name", text(&D::name)},
        {"owner_name", text(&D::owner_name)},
        {"owner_phone", text(&D::owner_phone)},
        {"notes", text(&D::notes)},
        {"deed_type", text(&D::deed_type)},
        {"deed_no", text(&D::deed_no)},
        {"pin_source", text(&D::pin_source)},
        {"adm1", text(&D::adm1)},
        {"adm2", text(&D::adm2)},
        {"adm3", text(&D::adm3)},
        {"stage", text(&D::stage)},
        {"village_no", [](D& d, const json& v, const std::string& k) { d.village_no = integer_member(v, k); }},
        {"budget_year", [](D& d, const json& v, const std::string& k) { d.budget_year = integer_member(v, k); }},
        {"declared_area_m2", [](D& d, const json& v, const std::string& k) { d.declared_area_m2 = number_member(v, k); }},
        {"declared_area_rai",
         [](D& d, const json& v, const std::string& k) {
             const auto t = string_member(v, k);
             d.declared_area_m2 = t ? std::optional(geo::parse_rai_ngan_wa(*t).to_m2()) : std::nullopt;
         }},
        {"pin_accuracy_m", [](D& d, const json& v, const std::string& k) { d.pin_accuracy_m = number_member(v, k); }},
        {"track", [](D& d, const json& v, const std::string&) { d.track = v.is_null() ? std::nullopt : std::optional(checked_track(v)); }},
    };
    return members;
}

/// Members a client may send back unchanged; they are computed or kept by the server.
const std::vector<std::string> read_only_members{
    "id", "version", "area_m2", "area_rai", "perimeter_m", "stage_changed_at", "created_at", "created_by",
    "updated_at", "updated_by", "deleted_at", "adm1_name", "adm2_name", "adm3_name", "budget_year_be", "crs",
    "warnings", "overlaps", "admin_suggestion", "transformation", "links", "photos", "review_state", "review_changed_at",
    "submitted_by"};

json rounded(const std::optional<double>& v, double unit) { return v ? json(round_to(*v, unit)) : json(nullptr); }

template <typename T>
json opt(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}

std::string rai_text(double m2) { return geo::format_rai_ngan_wa(geo::to_rai_ngan_wa(m2)); }

} // namespace

const geo::crs& input_crs(const request& req, const json& body) {
    const geo::crs* from_body = nullptr;
    if (const auto it = body.find("crs"); it != body.end() && !it->is_null()) {
        if (!it->is_string()) throw bad_request("member \"crs\" must be a string such as \"EPSG:32647\"");
        from_body = &geo::find_crs(it->get<std::string>());
    }
    const auto header = req.header("content-crs");
    const geo::crs* from_header = header ? &geo::find_crs(*header) : nullptr;
    if (from_body && from_header && !(*from_body == *from_header)) {
        throw bad_request("the body's \"crs\" (" + from_body->id + ") and the Content-Crs header (" + from_header->id +
                          ") disagree");
    }
    if (from_body) return *from_body;
    if (from_header) return *from_header;
    return geo::crs84();
}

const geo::crs& output_crs(const request& req) {
    const auto q = req.query_value("crs");
    return q ? geo::find_crs(*q) : geo::crs84();
}

void apply_plot_members(data::plot_draft& draft, const json& body, const geo::crs& crs) {
    geo::transformer& to_lonlat = geo::transformer_for(crs, geo::crs84());
    bool transformed = false;
    for (const auto& [key, value] : body.items()) {
        if (const auto it = writable_members().find(key); it != writable_members().end()) {
            it->second(draft, value, key);
        } else if (key == "pin") {
            draft.pin.reset();
            if (!value.is_null()) {
                try {
                    draft.pin = to_lonlat.apply(geo::point_from_geojson(value));
                } catch (const invalid_geometry& e) {
                    throw invalid_geometry(std::string("pin: ") + e.what());
                }
                transformed = true;
            }
        } else if (key == "boundary") {
            draft.boundary.reset();
            if (!value.is_null()) {
                geo::multi_polygon mp;
                try {
                    mp = geo::multi_polygon_from_geojson(value);
                } catch (const invalid_geometry& e) {
                    throw invalid_geometry(std::string("boundary ") + e.what());
                }
                to_lonlat.apply(mp);
                draft.boundary = std::move(mp);
                transformed = true;
            }
        } else if (std::find(read_only_members.begin(), read_only_members.end(), key) == read_only_members.end()) {
            throw bad_request("unknown member \"" + geo::utf8_prefix(key, 64) + "\"");
        }
    }
    if (transformed) {
        draft.input_crs = crs.id;
        if (!to_lonlat.identity()) draft.transformation = to_lonlat.last_operation();
    }
}

json plot_to_json(const data::plot& p, const geo::crs& crs, view v) {
    json out = data::stored_fields(p);
    geo::transformer& to_crs = geo::transformer_for(geo::crs84(), crs);
    if (p.pin) out["pin"] = geo::to_geojson(to_crs.apply(*p.pin));
    if (p.boundary) {
        geo::multi_polygon mp = *p.boundary;
        to_crs.apply(mp);
        out["boundary"] = geo::to_geojson(mp);
    }
    out["id"] = p.id;
    out["declared_area_m2"] = rounded(p.declared_area_m2, 0.01);
    out["declared_area_rai"] = p.declared_area_m2 ? json(rai_text(*p.declared_area_m2)) : json(nullptr);
    out["pin_accuracy_m"] = rounded(p.pin_accuracy_m, 0.1);
    out["area_m2"] = rounded(p.area_m2, 0.01);
    out["area_rai"] = p.area_m2 ? json(rai_text(*p.area_m2)) : json(nullptr);
    out["perimeter_m"] = rounded(p.perimeter_m, 0.01);
    out["adm1_name"] = opt(p.adm1_name);
    out["adm2_name"] = opt(p.adm2_name);
    out["adm3_name"] = opt(p.adm3_name);
    out["stage_changed_at"] = opt(p.stage_changed_at);
    out["budget_year_be"] = p.budget_year ? json(*p.budget_year + 543) : json(nullptr);
    out["version"] = p.version;
    out["created_at"] = p.created_at;
    out["created_by"] = opt(p.created_by);
    out["updated_at"] = p.updated_at;
    out["updated_by"] = opt(p.updated_by);
    out["review_changed_at"] = opt(p.review_changed_at);
    out["submitted_by"] = opt(p.submitted_by);
    out["crs"] = crs.id;
    // Photos are personal data: a public view names only the latest photo an admin made public.
    const std::optional<std::string>& latest = v == view::full ? p.latest_photo : p.latest_public_photo;
    out["photos"] = {{"count", p.photo_count},
                     {"latest", latest ? json{{"thumbnail", *latest + "/thumbnail"}, {"display", *latest + "/display"}} : json(nullptr)},
                     {"list", "/api/v1/plots/" + std::to_string(p.id) + "/photos"}};
    if (v == view::public_fields) {
        for (const std::string& field : data::personal_fields()) out.erase(field);
    }
    return out;
}

json write_result_to_json(const data::write_result& r, const data::plot_draft& draft, const geo::crs& crs, view v) {
    json out = plot_to_json(r.record, crs, v);
    json warnings = json::array();
    for (const auto& w : r.warnings) warnings.push_back({{"code", w.code}, {"message", w.message}});
    out["warnings"] = std::move(warnings);
    json overlaps = json::array();
    for (const auto& o : r.overlaps) {
        overlaps.push_back({{"id", o.id}, {"code", o.code}, {"overlap_m2", round_to(o.area_m2, 0.01)}});
    }
    out["overlaps"] = std::move(overlaps);
    out["admin_suggestion"] = nullptr;
    if (r.suggested_admin) {
        const auto& a = *r.suggested_admin;
        out["admin_suggestion"] = {{"adm1", a.adm1}, {"adm1_name", a.adm1_name}, {"adm2", a.adm2},
                                   {"adm2_name", a.adm2_name}, {"adm3", a.adm3}, {"adm3_name", a.adm3_name}};
    }
    if (r.created || r.changed) {
        if (draft.transformation) {
            out["transformation"] = {{"from", draft.input_crs.value_or("")},
                                     {"operation", draft.transformation->name},
                                     {"accuracy_m", draft.transformation->accuracy_m}};
        }
    }
    return out;
}

json history_to_json(const data::history_entry& e, view v) {
    json out{{"version", e.version},
             {"action", e.action},
             {"changed_at", e.changed_at},
             {"changed_by", opt(e.changed_by)},
             {"changes", json::parse(e.changes_json)},
             {"details", e.details_json ? json::parse(*e.details_json) : json(nullptr)}};
    if (v == view::public_fields) {
        out.erase("changed_by");
        for (const std::string& field : data::personal_fields()) out["changes"].erase(field);
        // A review step's reasons and note are the supervisor's words about a person's deed.
        if (out["details"].is_object() && out["details"].contains("review")) {
            out["details"]["review"] = {{"action", out["details"]["review"].value("action", "")}};
        }
    }
    return out;
}

} // namespace plotmap::server
