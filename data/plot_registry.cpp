#include "data/plot_registry.hpp"

#include "data/admin_areas.hpp"
#include "data/clock.hpp"
#include "data/pin_clusters.hpp"
#include "data/plot_fields.hpp"
#include "data/review.hpp"
#include "data/database.hpp"
#include "data/store.hpp"
#include "data/tile_index.hpp"
#include "data/uuid.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/geojson.hpp"
#include "geo/overlay.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <random>
#include <thread>

namespace plotmap::data {

/// What a batch (an import) brings to each of its writes.
struct batch_write {
    cluster_batch* clusters = nullptr; ///< cluster count changes, written once at the batch's end
    /// The location's subdistrict (or none) when the batch's other thread has found it already.
    const std::optional<admin_match>* located = nullptr;
    /// Subdistricts by code, looked up once per batch (the admin areas do not change in one).
    std::map<std::string, std::optional<admin_match>, std::less<>>* subdistricts = nullptr;
};

namespace {

using nlohmann::json;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

void require_one_of(const std::string& value, const std::vector<std::string>& allowed, const char* field) {
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
        throw bad_request(std::string(field) + " \"" + geo::utf8_prefix(value, 64) + "\" is not one of " + join(allowed));
    }
}

std::optional<std::string> checked_text(const std::optional<std::string>& v, const char* field, std::size_t max_bytes) {
    if (!v) return std::nullopt;
    if (v->size() > max_bytes) {
        throw bad_request(std::string(field) + " is too long (" + std::to_string(v->size()) + " bytes; at most " +
                          std::to_string(max_bytes) + ")");
    }
    if (!geo::is_valid_utf8(*v)) throw bad_request(std::string(field) + " is not UTF-8 text");
    for (const char c : *v) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
            throw bad_request(std::string(field) + " contains a control character");
        }
    }
    return v;
}

void require_within(const std::optional<double>& v, const char* field, double max) {
    if (v && (!std::isfinite(*v) || *v < 0 || *v > max)) {
        char msg[160];
        std::snprintf(msg, sizeof msg, "%s must be a number from 0 to %.0f", field, max);
        throw bad_request(msg);
    }
}

/// A GPS fix worse than this is no location at all.
constexpr double max_pin_accuracy_m = 100000.0;

std::string area_text(double m2) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " (%.1f m²)", m2);
    return geo::format_rai_ngan_wa(geo::to_rai_ngan_wa(m2)) + buf;
}

/// Validates a draft and turns it into the plot's own fields (no id, version, times, codes
/// from the database). Pure: runs before the writer is taken.
plot prepare(const plot_draft& d, const registry_rules& rules, std::vector<std::string>& repairs) {
    plot p;
    if (d.uid) p.uid = canonical_uuid(*d.uid);
    if (d.code) {
        p.code = *checked_text(d.code, "code", 64);
        if (p.code.empty()) throw bad_request("code must not be empty");
    }
    if (!d.program) throw bad_request("program is required (one of " + join(rules.programs) + ")");
    require_one_of(*d.program, rules.programs, "program");
    p.program = *d.program;
    p.name = checked_text(d.name, "name", 200);
    p.owner_name = checked_text(d.owner_name, "owner_name", 200);
    p.owner_phone = checked_text(d.owner_phone, "owner_phone", 32);
    p.notes = checked_text(d.notes, "notes", 4000);
    p.deed_no = checked_text(d.deed_no, "deed_no", 64);
    if (d.village_no && (*d.village_no < 1 || *d.village_no > 999)) throw bad_request("village_no must be between 1 and 999");
    p.village_no = d.village_no;
    p.deed_type = d.deed_type.value_or("none");
    require_one_of(p.deed_type, deed_types, "deed_type");
    require_within(d.declared_area_m2, "declared_area_m2", rules.max_area_m2);
    p.declared_area_m2 = d.declared_area_m2;
    require_within(d.pin_accuracy_m, "pin_accuracy_m", max_pin_accuracy_m);
    p.pin_accuracy_m = d.pin_accuracy_m;
    if (d.pin_source) require_one_of(*d.pin_source, pin_sources, "pin_source");
    p.pin_source = d.pin_source;
    p.stage = d.stage.value_or(rules.stages.front());
    require_one_of(p.stage, rules.stages, "stage");
    if (d.budget_year) {
        const std::int64_t y = *d.budget_year;
        if (y >= 2400 && y <= 2800) {
            throw bad_request("budget_year " + std::to_string(y) + " looks like a Buddhist Era year; send the Common Era year " +
                              std::to_string(y - 543));
        }
        if (y < 1990 || y > 2200) throw bad_request("budget_year must be a Common Era year between 1990 and 2200");
    }
    p.budget_year = d.budget_year;
    for (const auto& [value, level] : {std::pair{&d.adm1, 1}, std::pair{&d.adm2, 2}, std::pair{&d.adm3, 3}}) {
        if (*value && (value->value().size() != static_cast<std::size_t>(2 * level) ||
                       value->value().find_first_not_of("0123456789") != std::string::npos)) {
            throw bad_request("adm" + std::to_string(level) + " must be a " + std::to_string(2 * level) +
                              "-digit code, got \"" + geo::utf8_prefix(value->value(), 16) + "\"");
        }
    }
    p.adm1 = d.adm1;
    p.adm2 = d.adm2;
    p.adm3 = d.adm3;

    if (!d.pin && !d.boundary) throw bad_request("a plot needs a pin or a boundary (or both)");
    if (d.pin) {
        geo::check_pin(*d.pin, rules.region);
        p.pin = d.pin;
    }
    if (d.boundary) {
        std::size_t vertices = 0;
        for (const auto& poly : d.boundary->polygons) {
            for (const auto& ring : poly.rings) vertices += ring.size();
        }
        if (vertices > rules.max_vertices) {
            throw invalid_geometry("boundary has " + std::to_string(vertices) + " positions, more than the " +
                                   std::to_string(rules.max_vertices) + " (plots.max_vertices) a plot may have");
        }
        geo::checked_boundary checked = geo::check_boundary(*d.boundary, rules.region, d.repair);
        repairs = std::move(checked.repairs);
        p.boundary = std::move(checked.geometry);
        p.area_m2 = geo::geodesic_area_m2(*p.boundary);
        p.perimeter_m = geo::geodesic_perimeter_m(*p.boundary);
        if (*p.area_m2 > rules.max_area_m2) {
            char msg[160];
            std::snprintf(msg, sizeof msg, "boundary covers %.0f m², more than the %.0f m² (plots.max_area_m2) a plot may",
                          *p.area_m2, rules.max_area_m2);
            throw invalid_geometry(msg);
        }
    }
    p.location = p.pin ? *p.pin : geo::interior_point(*p.boundary);
    return p;
}

} // namespace

namespace {

/// {field: [old, new]} for every field that differs.
json diff(const json& before, json after) {
    json out = json::object();
    const json none;
    for (auto& [key, value] : after.items()) {
        const auto found = before.is_object() ? before.find(key) : before.end();
        const json& old = found != before.end() ? *found : none;
        if (old != value) out[key] = json::array({old, std::move(value)});
    }
    return out;
}

std::string admin_label(const admin_match& a) {
    return "ต." + a.adm3_name + " อ." + a.adm2_name + " จ." + a.adm1_name + " (" + a.adm3 + ")";
}

/// Sets p.adm1..3 from the draft's codes and the location's subdistrict; records the
/// suggestion and any disagreement.
std::optional<admin_match> subdistrict(connection& c, const std::string& adm3, const batch_write* batch) {
    if (!batch || !batch->subdistricts) return admin_by_adm3(c, adm3);
    auto found = batch->subdistricts->find(adm3);
    if (found == batch->subdistricts->end()) found = batch->subdistricts->emplace(adm3, admin_by_adm3(c, adm3)).first;
    return found->second;
}

/// The admin areas' names on the record, as a read gives them.
void name_admin_areas(connection& c, plot& p, const batch_write* batch) {
    const std::optional<admin_match> a = p.adm3 ? subdistrict(c, *p.adm3, batch) : std::nullopt;
    if (!a || !batch) {
        fill_admin_names(c, p);
        return;
    }
    p.adm1_name = a->adm1_name;
    p.adm2_name = a->adm2_name;
    p.adm3_name = a->adm3_name;
}

void resolve_admin(connection& c, plot& p, write_result& result, const batch_write* batch) {
    if (batch && batch->located) {
        result.suggested_admin = *batch->located;
    } else {
        result.suggested_admin = locate_admin(c, p.pin ? *p.pin : geo::interior_point(*p.boundary));
    }
    const auto& suggested = result.suggested_admin;
    if (p.adm3) {
        const auto given = subdistrict(c, *p.adm3, batch);
        if (!given) throw bad_request("adm3 \"" + *p.adm3 + "\" is not a known subdistrict code");
        if ((p.adm2 && *p.adm2 != given->adm2) || (p.adm1 && *p.adm1 != given->adm1)) {
            throw bad_request("adm3 \"" + *p.adm3 + "\" lies in adm2 \"" + given->adm2 + "\" and adm1 \"" + given->adm1 +
                              "\", not in the adm1/adm2 given");
        }
        p.adm1 = given->adm1;
        p.adm2 = given->adm2;
        if (suggested && suggested->adm3 != given->adm3) {
            result.warnings.push_back({"admin_mismatch", "the location lies in " + admin_label(*suggested) +
                                                             " but the plot is recorded in " + admin_label(*given)});
        }
        return;
    }
    if (p.adm2 && !admin_code_exists(c, 2, *p.adm2)) throw bad_request("adm2 \"" + *p.adm2 + "\" is not a known district code");
    if (p.adm1 && !admin_code_exists(c, 1, *p.adm1)) throw bad_request("adm1 \"" + *p.adm1 + "\" is not a known province code");
    if (p.adm2 && p.adm1 && p.adm2->substr(0, 2) != *p.adm1) {
        throw bad_request("adm2 \"" + *p.adm2 + "\" does not lie in adm1 \"" + *p.adm1 + "\"");
    }
    const bool fits = suggested && (!p.adm2 || *p.adm2 == suggested->adm2) && (!p.adm1 || *p.adm1 == suggested->adm1);
    if (fits) {
        p.adm1 = suggested->adm1;
        p.adm2 = suggested->adm2;
        p.adm3 = suggested->adm3;
        return;
    }
    if (p.adm2) p.adm1 = p.adm2->substr(0, 2);
    if (suggested) {
        result.warnings.push_back({"admin_mismatch", "the location lies in " + admin_label(*suggested) +
                                                         ", outside the district/province given"});
    } else {
        result.warnings.push_back({"outside_admin", "the location is not inside any Thai subdistrict; set adm3"});
    }
}

void move_cluster(connection& c, const batch_write* batch, geo::point at, const std::string& stage, int delta) {
    if (batch && batch->clusters) {
        batch->clusters->add(at, stage, delta);
    } else {
        adjust_clusters(c, at, stage, delta);
    }
}

void assign_code(connection& c, plot& p, const std::optional<std::string>& current_code) {
    if (p.code.empty() && current_code) p.code = *current_code;
    if (p.code.empty()) {
        if (!p.adm3) throw bad_request("code is required when the plot has no subdistrict (adm3) to number it in");
        char seq[16];
        std::snprintf(seq, sizeof seq, "-%04d", next_code_sequence(c, *p.adm3));
        p.code = *p.adm3 + seq;
        return;
    }
    if (const auto holder = find_plot_id_by_code(c, p.code); holder && *holder != p.id) {
        throw conflict("code \"" + p.code + "\" is already used by plot " + std::to_string(*holder));
    }
}

void check_overlaps(connection& c, const plot& p, const registry_rules& rules, write_result& result) {
    if (!p.boundary) return;
    result.overlaps = overlapping_plots(c, *p.boundary, p.id, rules.overlap_warn_m2);
    if (result.overlaps.empty()) return;
    std::string list;
    for (const overlap& o : result.overlaps) {
        char area[48];
        std::snprintf(area, sizeof area, " (%.1f m²)", o.area_m2);
        list += (list.empty() ? "" : ", ") + o.code + area;
    }
    result.warnings.push_back({"overlap", "the boundary overlaps " + std::to_string(result.overlaps.size()) +
                                              " other plot(s): " + list});
}

void check_declared_area(const plot& p, const registry_rules& rules, write_result& result) {
    if (!p.area_m2 || !p.declared_area_m2 || *p.declared_area_m2 <= 0) return;
    const double share = std::abs(*p.area_m2 - *p.declared_area_m2) / *p.declared_area_m2;
    if (share <= rules.area_mismatch_warn_share) return;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%", share * 100.0);
    result.warnings.push_back({"area_mismatch", "the measured area " + area_text(*p.area_m2) +
                                                    " differs from the declared title-deed area " +
                                                    area_text(*p.declared_area_m2) + " by " + pct});
}

/// How a version's input was read, and (`review`) the verification step it was.
std::optional<std::string> details_of(const plot_draft& d, const std::vector<std::string>& repairs, json review = nullptr) {
    json details = json::object();
    if (!review.is_null()) details["review"] = std::move(review);
    if (d.input_crs) details["input_crs"] = *d.input_crs;
    if (d.transformation) {
        details["operation"] = d.transformation->name;
        details["accuracy_m"] = d.transformation->accuracy_m;
    }
    if (!repairs.empty()) details["repairs"] = repairs;
    if (d.track) details["track"] = json::parse(*d.track);
    if (details.empty()) return std::nullopt;
    return geo::json_text(details);
}

void add_repair_warnings(const std::vector<std::string>& repairs, write_result& result) {
    for (const auto& r : repairs) result.warnings.push_back({"repaired", r});
}

plot current_plot(connection& c, std::int64_t id) {
    auto p = find_plot(c, id);
    if (!p) throw not_found("there is no plot " + std::to_string(id));
    return *p;
}

void check_version(const plot& cur, std::optional<std::int64_t> expected) {
    if (expected && *expected != cur.version) {
        throw precondition_failed("plot " + std::to_string(cur.id) + " is at version " + std::to_string(cur.version) +
                                      ", not " + std::to_string(*expected) + ": fetch it, reapply the change, and retry",
                                  cur.version);
    }
}

} // namespace

geo::bbox bounds_of(const plot& p) {
    geo::bbox b;
    if (p.pin) b.extend(*p.pin);
    if (p.location) b.extend(*p.location);
    if (p.boundary) b.extend(geo::envelope(*p.boundary));
    return b;
}

namespace {

/// Refuses a write that would touch a plot outside the editor's scope (checked inside the
/// write transaction, on the codes as stored).
void require_in_scope(connection& c, const editor& who, const plot& p, const std::string& what) {
    if (codes_in_scope(who.scope, p.adm1, p.adm2, p.adm3)) return;
    const std::optional<std::string>& code = p.adm3 ? p.adm3 : p.adm2 ? p.adm2 : p.adm1;
    throw forbidden(what + (code ? " lies in " + *code : " has no subdistrict") + ", outside " +
                    (who.username ? *who.username + "'s" : "the") + " scope " + describe_scope(c, who.scope));
}

/// Refuses a write that would leave a plot's location outside the editor's scope, whatever
/// codes it carries: a district officer cannot move a pin into another province. A location
/// in no subdistrict at all (the simplified coastlines) counts as inside when it lies within
/// about 5 km of the scope's area.
void require_located_in_scope(connection& c, const editor& who, const plot& p, const std::optional<admin_match>& where,
                              const std::string& what) {
    if (!who.scope || !p.location) return;
    if (where) {
        if (codes_in_scope(who.scope, where->adm1, where->adm2, where->adm3)) return;
        throw forbidden(what + " would lie in " + admin_label(*where) + ", outside " +
                        (who.username ? *who.username + "'s" : "the") + " scope " + describe_scope(c, who.scope));
    }
    constexpr double margin_deg = 0.05;
    const auto area = find_admin_area(c, static_cast<int>(who.scope->size() / 2), *who.scope);
    if (area) {
        geo::bbox near = geo::envelope(area->geometry);
        near.min_x -= margin_deg;
        near.min_y -= margin_deg;
        near.max_x += margin_deg;
        near.max_y += margin_deg;
        if (near.contains(*p.location)) return;
    }
    throw forbidden(what + " would lie outside every subdistrict and away from " + (who.username ? *who.username + "'s" : "the") +
                    " scope " + describe_scope(c, who.scope));
}

} // namespace

plot_draft draft_of(const plot& p) {
    plot_draft d;
    d.uid = p.uid;
    d.code = p.code;
    d.program = p.program;
    d.name = p.name;
    d.owner_name = p.owner_name;
    d.owner_phone = p.owner_phone;
    d.village_no = p.village_no;
    d.notes = p.notes;
    d.deed_type = p.deed_type;
    d.deed_no = p.deed_no;
    d.declared_area_m2 = p.declared_area_m2;
    d.pin = p.pin;
    d.pin_accuracy_m = p.pin_accuracy_m;
    d.pin_source = p.pin_source;
    d.boundary = p.boundary;
    d.adm1 = p.adm1;
    d.adm2 = p.adm2;
    d.adm3 = p.adm3;
    d.stage = p.stage;
    d.budget_year = p.budget_year;
    return d;
}

plot_registry::plot_registry(store& s, registry_rules rules) : store_(s), rules_(std::move(rules)) {
    if (rules_.programs.empty() || rules_.stages.empty()) throw error("the registry needs at least one program and one stage");
}

write_result plot_registry::create(const plot_draft& d, const editor& who) {
    // An offline phone retrying its upload: answer with what the first attempt created.
    const std::optional<std::string> uid = d.uid ? std::optional(canonical_uuid(*d.uid)) : std::nullopt;
    if (uid) {
        if (auto existing = store_.read([&](connection& c) { return find_plot_by_uid(c, *uid); })) {
            return write_result{std::move(*existing), false, false, {}, {}, {}, {}};
        }
    }
    std::vector<std::string> repairs;
    plot p = prepare(d, rules_, repairs);
    if (p.uid.empty()) p.uid = new_uuid();
    return store_.write([&](connection& c) { return create_in(c, std::move(p), d, repairs, who, nullptr); });
}

write_result plot_registry::create_in(connection& c, plot p, const plot_draft& d, const std::vector<std::string>& repairs,
                                      const editor& who, const batch_write* batch) const {
    transaction tx(c);
    if (!batch) { // a batch has looked its uid up already
        if (auto existing = find_plot_by_uid(c, p.uid)) return write_result{std::move(*existing), false, false, {}, {}, {}, {}};
    }
    write_result result;
    result.created = result.changed = true;
    resolve_admin(c, p, result, batch);
    require_in_scope(c, who, p, "the new plot");
    require_located_in_scope(c, who, p, result.suggested_admin, "the new plot");
    assign_code(c, p, std::nullopt);
    const std::string now = now_utc();
    p.version = 1;
    p.created_at = p.updated_at = now;
    p.created_by = p.updated_by = who.username;
    p.stage_changed_at = now;
    p.review_state = "unchecked";
    p.review_changed_at = now;
    p.submitted_by.reset();
    check_overlaps(c, p, rules_, result);
    check_declared_area(p, rules_, result);
    add_repair_warnings(repairs, result);
    p.id = insert_plot_row(c, p);
    move_cluster(c, batch, *p.location, p.stage, +1);
    index_for_tiles(c, p, true);
    append_history(c, p.id, {1, "create", now, who.username, geo::json_text(diff(json::object(), stored_fields(p))), details_of(d, repairs)});
    name_admin_areas(c, p, batch); // the record as a read would give it: names for display, no photos yet
    result.record = std::move(p);
    tx.commit();
    return result;
}

write_result plot_registry::replace(std::int64_t id, std::int64_t expected_version, const plot_draft& d,
                                    const editor& who) {
    std::vector<std::string> repairs;
    plot p = prepare(d, rules_, repairs);
    return store_.write([&](connection& c) { return replace_in(c, id, expected_version, std::move(p), d, repairs, who, nullptr); });
}

write_result plot_registry::replace_in(connection& c, std::int64_t id, std::int64_t expected_version, plot p, const plot_draft& d,
                                       const std::vector<std::string>& repairs, const editor& who, const batch_write* batch) const {
    transaction tx(c);
    const plot cur = current_plot(c, id);
    require_in_scope(c, who, cur, "plot " + std::to_string(id));
    if (cur.deleted_at) throw conflict("plot " + std::to_string(id) + " is deleted; restore it before editing");
    check_version(cur, expected_version);
    if (!p.uid.empty() && p.uid != cur.uid) throw bad_request("uid cannot change (plot " + std::to_string(id) + " has " + cur.uid + ")");
    write_result result;
    result.previous_bounds = bounds_of(cur);
    p.id = id;
    p.uid = cur.uid;
    resolve_admin(c, p, result, batch);
    require_in_scope(c, who, p, "the edited plot " + std::to_string(id));
    require_located_in_scope(c, who, p, result.suggested_admin, "the edited plot " + std::to_string(id));
    assign_code(c, p, cur.code);
    p.created_at = cur.created_at;
    p.created_by = cur.created_by;
    p.stage_changed_at = p.stage == cur.stage ? cur.stage_changed_at : std::nullopt;
    p.review_state = cur.review_state;
    p.review_changed_at = cur.review_changed_at;
    p.submitted_by = cur.submitted_by;
    check_overlaps(c, p, rules_, result);
    check_declared_area(p, rules_, result);
    add_repair_warnings(repairs, result);
    json changes = diff(stored_fields(cur), stored_fields(p));
    if (changes.empty()) {
        result.record = cur;
        return result;
    }
    const std::string now = now_utc();
    // An approved plot whose deed, area, location or boundary changes is checked again.
    json review = nullptr;
    if (cur.review_state == "approved") {
        json changed = json::array();
        for (const auto& field : review_relevant_fields) {
            if (changes.contains(field)) changed.push_back(field);
        }
        if (!changed.empty()) {
            p.review_state = "submitted";
            p.review_changed_at = now;
            p.submitted_by = who.username;
            changes["review_state"] = json::array({cur.review_state, p.review_state});
            review = {{"action", "returned"}, {"changed", std::move(changed)}};
            result.warnings.push_back({"review_returned", "the plot was approved; its changed deed, area, location or boundary "
                                                          "send it back to the supervisor (submitted)"});
        }
    }
    if (!p.stage_changed_at) p.stage_changed_at = d.stage_changed_at.value_or(now);
    p.version = cur.version + 1;
    p.updated_at = now;
    p.updated_by = who.username;
    update_plot_row(c, p);
    index_for_tiles(c, p);
    if (cur.location != p.location || cur.stage != p.stage) {
        if (cur.location) move_cluster(c, batch, *cur.location, cur.stage, -1);
        move_cluster(c, batch, *p.location, p.stage, +1);
    }
    append_history(c, id, {p.version, "update", now, who.username, geo::json_text(changes), details_of(d, repairs, std::move(review))});
    name_admin_areas(c, p, batch);
    p.photo_count = cur.photo_count;
    p.latest_photo = cur.latest_photo;
    p.latest_public_photo = cur.latest_public_photo;
    result.record = std::move(p);
    result.changed = true;
    tx.commit();
    return result;
}

namespace {

write_result set_deleted(store& s, std::int64_t id, std::optional<std::int64_t> expected, bool deleted,
                         const editor& who) {
    return s.write([&](connection& c) {
        transaction tx(c);
        plot p = current_plot(c, id);
        require_in_scope(c, who, p, "plot " + std::to_string(id));
        check_version(p, expected);
        write_result result;
        result.previous_bounds = bounds_of(p);
        if (p.deleted_at.has_value() == deleted) {
            result.record = p; // already in that state: nothing to do
            return result;
        }
        const json before = stored_fields(p);
        const std::string now = now_utc();
        p.deleted_at = deleted ? std::optional(now) : std::nullopt;
        p.version += 1;
        p.updated_at = now;
        p.updated_by = who.username;
        update_plot_row(c, p);
        index_for_tiles(c, p);
        if (p.location) adjust_clusters(c, *p.location, p.stage, deleted ? -1 : +1);
        append_history(c, id, {p.version, deleted ? "delete" : "restore", now, who.username, geo::json_text(diff(before, stored_fields(p))),
                               std::nullopt});
        result.record = current_plot(c, id);
        result.changed = true;
        tx.commit();
        return result;
    });
}

} // namespace

write_result plot_registry::remove(std::int64_t id, std::optional<std::int64_t> expected_version,
                                   const editor& who) {
    return set_deleted(store_, id, expected_version, true, who);
}

write_result plot_registry::restore(std::int64_t id, std::optional<std::int64_t> expected_version,
                                    const editor& who) {
    return set_deleted(store_, id, expected_version, false, who);
}

namespace {

/// A batch's item worked out ahead, on the batch's second thread, as a new plot (what it is
/// unless the database has its uid or code already): everything that needs no writer.
struct worked_ahead {
    plot_draft draft;
    std::exception_ptr apply_error; ///< the file's values do not fit the fields
    plot prepared;
    std::vector<std::string> repairs;
    std::exception_ptr prepare_error; ///< the draft is not a valid plot
    std::optional<admin_match> located;
    bool was_located = false;
};

void work_ahead(const import_item& item, const registry_rules& rules, connection* reader, worked_ahead& out) {
    if (item.problem) return;
    try {
        if (item.uid) out.draft.uid = item.uid;
        item.apply(out.draft);
    } catch (...) {
        out.apply_error = std::current_exception();
        return;
    }
    try {
        out.prepared = prepare(out.draft, rules, out.repairs);
    } catch (...) {
        out.prepare_error = std::current_exception();
        return;
    }
    if (!reader) return;
    try {
        out.located = locate_admin(*reader, *out.prepared.location);
        out.was_located = true;
    } catch (...) {
        // The writer locates it itself, and reports what goes wrong there.
    }
}

/// Batches at least this large, and at least a tenth of the plots already stored, write
/// their rows first and sort them into the secondary indexes at the end.
constexpr std::size_t deferred_index_min_items = 2000;

} // namespace

batch_outcome plot_registry::write_batch(const std::vector<import_item>& items, const editor& who, bool dry_run,
                                         const batch_progress& progress) {
    // Two threads: this one writes; the other validates, measures and locates the items ahead
    // of it (on a reader connection, when one is free: the admin areas do not change in a batch).
    std::vector<worked_ahead> ahead(items.size());
    std::atomic<std::size_t> ready{0};
    std::jthread worker([&](const std::stop_token& stop) {
        const auto run = [&](connection* reader) {
            for (std::size_t i = 0; i < items.size() && !stop.stop_requested(); ++i) {
                work_ahead(items[i], rules_, reader, ahead[i]);
                ready.store(i + 1, std::memory_order_release);
                ready.notify_one();
            }
        };
        try {
            store_.read([&](connection& reader) { run(&reader); });
        } catch (...) {
            run(nullptr); // no reader free (run itself does not throw)
        }
    });
    const auto worked_out = [&](std::size_t i) -> worked_ahead& {
        for (std::size_t r = ready.load(std::memory_order_acquire); r <= i; r = ready.load(std::memory_order_acquire)) {
            ready.wait(r, std::memory_order_acquire);
        }
        return ahead[i];
    };

    batch_outcome out;
    store_.write([&](connection& c) {
        const batch_cache cache(c);
        transaction tx(c);
        std::optional<deferred_plot_indexes> deferred;
        if (items.size() >= deferred_index_min_items &&
            items.size() * 10 >= static_cast<std::size_t>(c.scalar_int("SELECT coalesce(max(id), 0) FROM plots"))) {
            deferred.emplace(c);
        }
        cluster_batch clusters;
        std::map<std::string, std::optional<admin_match>, std::less<>> subdistricts;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const import_item& item = items[i];
            if (progress && ((i + 1) % 5000 == 0 || i + 1 == items.size())) progress(i + 1, items.size());
            if (item.problem) {
                out.rejected.emplace_back(item.where, *item.problem);
                continue;
            }
            try {
                std::optional<plot> existing;
                if (item.uid) existing = find_plot_by_uid(c, canonical_uuid(*item.uid));
                if (!existing && item.code) {
                    if (const auto id = find_plot_id_by_code(c, *item.code)) existing = current_plot(c, *id);
                }
                worked_ahead* a = existing ? nullptr : &worked_out(i);
                plot_draft replaced;
                if (a && a->apply_error) std::rethrow_exception(a->apply_error);
                if (existing) {
                    replaced = draft_of(*existing);
                    item.apply(replaced);
                }
                const plot_draft& d = a ? a->draft : replaced;
                if (item.before_write) item.before_write(c, d);
                std::vector<std::string> repairs;
                plot p;
                if (a) {
                    if (a->prepare_error) std::rethrow_exception(a->prepare_error);
                    p = std::move(a->prepared);
                    repairs = std::move(a->repairs);
                } else {
                    p = prepare(d, rules_, repairs);
                }
                if (!existing && p.uid.empty()) p.uid = new_uuid();
                const batch_write batch{&clusters, a && a->was_located ? &a->located : nullptr, &subdistricts};
                const write_result r = existing ? replace_in(c, existing->id, existing->version, std::move(p), d, repairs, who, &batch)
                                                : create_in(c, std::move(p), d, repairs, who, &batch);
                if (r.created) {
                    ++out.created;
                } else if (r.changed) {
                    ++out.updated;
                } else {
                    ++out.unchanged;
                }
                for (const warning& w : r.warnings) out.warnings.emplace_back(item.where, w.message);
                if (item.verify) {
                    for (std::string& w : item.verify(c, r)) out.warnings.emplace_back(item.where, std::move(w));
                }
                if (r.created || r.changed) {
                    if (!r.previous_bounds.empty()) out.touched.push_back(r.previous_bounds);
                    out.touched.push_back(bounds_of(r.record));
                }
            } catch (const error& e) {
                out.rejected.emplace_back(item.where, e.what());
            }
            // What the other thread worked out for this item is spent (and only then its to free).
            if (ready.load(std::memory_order_acquire) > i) ahead[i] = worked_ahead{};
        }
        if (!dry_run && out.rejected.empty()) {
            clusters.flush(c);
            if (deferred) deferred->restore();
            tx.commit();
            out.applied = true;
        }
    });
    if (!out.applied) out.touched.clear();
    return out;
}

std::string day_as_timestamp(const std::string& date) { return date + "T05:00:00.000Z"; }

namespace {

constexpr const char* progress_columns =
    "id, uid, plot_id, plot_version, stage_from, stage_to, happened_on, note, recorded_at, recorded_by";

progress_event read_progress(const statement& st) {
    return {st.int64(0),          std::string(st.text(1)), st.int64(2),         st.int64(3),
            st.optional_text(4),  std::string(st.text(5)), std::string(st.text(6)), st.optional_text(7),
            std::string(st.text(8)), st.optional_text(9)};
}

} // namespace

progress_result plot_registry::record_progress(std::int64_t id, std::int64_t expected_version, const progress_draft& d,
                                               const editor& who) {
    require_one_of(d.stage, rules_.stages, "stage");
    if (!is_date(d.date)) throw bad_request("date must be a day like 2026-03-03, got \"" + geo::utf8_prefix(d.date, 40) + "\"");
    // Thailand is UTC+7: "today" there may already be tomorrow in UTC terms.
    if (d.date > iso_utc(unix_now() + 7 * 3600).substr(0, 10)) throw bad_request("date " + d.date + " is in the future");
    if (d.date < "1990-01-01") throw bad_request("date " + d.date + " is before the programme began");
    if (d.note && d.note->size() > 4000) throw bad_request("note is longer than 4,000 bytes");
    const std::string uid = d.uid ? canonical_uuid(*d.uid) : new_uuid();
    return store_.write([&](connection& c) {
        transaction tx(c);
        {
            statement st = c.prepare(std::string("SELECT ") + progress_columns + " FROM progress_events WHERE uid = ?");
            st.bind(1, uid);
            if (st.step()) {
                progress_event known = read_progress(st);
                if (known.plot_id != id) {
                    throw conflict("progress uid " + uid + " belongs to plot " + std::to_string(known.plot_id) + ", not " + std::to_string(id));
                }
                write_result unchanged;
                unchanged.record = current_plot(c, id);
                return progress_result{std::move(unchanged), std::move(known), false};
            }
        }
        const plot cur = current_plot(c, id);
        plot_draft draft = draft_of(cur);
        draft.stage = d.stage;
        draft.stage_changed_at = day_as_timestamp(d.date);
        std::vector<std::string> repairs;
        plot p = prepare(draft, rules_, repairs);
        progress_result out;
        out.write = replace_in(c, id, expected_version, std::move(p), draft, repairs, who, nullptr);
        out.created = true;
        out.event = {0, uid, id, out.write.record.version, cur.stage, d.stage, d.date, d.note, now_utc(), who.username};
        out.event.id = c.prepare("INSERT INTO progress_events (uid, plot_id, plot_version, stage_from, stage_to, happened_on, note, "
                                 "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
            .bind(1, out.event.uid)
            .bind(2, id)
            .bind(3, out.event.plot_version)
            .bind(4, out.event.stage_from)
            .bind(5, out.event.stage_to)
            .bind(6, out.event.happened_on)
            .bind(7, out.event.note)
            .bind(8, out.event.recorded_at)
            .bind(9, out.event.recorded_by)
            .run_returning_id();
        tx.commit();
        return out;
    });
}

write_result plot_registry::review(std::int64_t id, std::int64_t expected_version, const review_draft& d, const editor& who) {
    const std::string action(review_action_name(d.action));
    // What the request says is checked first: it is the caller's mistake whatever the state.
    if (d.action == review_action::send_back && d.reasons.empty()) {
        throw bad_request("send_back needs reasons: {\"item\": \"why\"} for deed_no, deed_type, declared_area, location, boundary or photos");
    }
    if (d.action != review_action::send_back && !d.reasons.empty()) throw bad_request("reasons go with send_back only");
    for (const auto& [item, why] : d.reasons) {
        if (std::find(review_reason_items.begin(), review_reason_items.end(), item) == review_reason_items.end()) {
            throw bad_request("reasons: \"" + geo::utf8_prefix(item, 32) +
                              "\" is not an item; use deed_no, deed_type, declared_area, location, boundary or photos");
        }
        if (why.find_first_not_of(" \t\r\n") == std::string::npos || why.size() > 1000) {
            throw bad_request("reasons." + item + " must say what to fix, in at most 1,000 bytes");
        }
    }
    if (d.action != review_action::approve && !d.checks.empty()) throw bad_request("checks go with approve only");
    for (const auto& [key, ticked] : d.checks) {
        if (std::find(review_manual_checks.begin(), review_manual_checks.end(), key) == review_manual_checks.end()) {
            throw bad_request("checks: \"" + geo::utf8_prefix(key, 32) + "\" is not a check; use deed_document or boundary_on_imagery");
        }
    }
    if (d.note && d.note->size() > 4000) throw bad_request("note is longer than 4,000 bytes");
    return store_.write([&](connection& c) {
        transaction tx(c);
        plot p = current_plot(c, id);
        require_in_scope(c, who, p, "plot " + std::to_string(id));
        if (p.deleted_at) throw conflict("plot " + std::to_string(id) + " is deleted; restore it before reviewing it");
        check_version(p, expected_version);
        const bool own = p.submitted_by && who.username && *p.submitted_by == *who.username;
        const std::vector<std::string> allowed = allowed_review_actions(p.review_state, who.can_review, own);
        if (std::find(allowed.begin(), allowed.end(), action) == allowed.end()) {
            if (d.action != review_action::submit && !who.can_review) {
                throw forbidden(action + " needs a supervisor or an admin whose scope holds the plot");
            }
            if (d.action == review_action::approve && own && p.review_state == "submitted") {
                throw forbidden("you submitted plot " + p.code + ": someone else approves it");
            }
            throw not_allowed_now("plot " + p.code + " is " + p.review_state + ": " + action + " is not a step from there", allowed);
        }
        write_result result;
        result.previous_bounds = bounds_of(p);
        const json before = stored_fields(p);
        const std::string now = now_utc();
        json step{{"action", action}, {"from", p.review_state}};
        p.review_state = d.action == review_action::submit ? "submitted" : d.action == review_action::approve ? "approved" : "needs_fix";
        p.review_changed_at = now;
        if (d.action == review_action::submit) p.submitted_by = who.username;
        p.version += 1;
        p.updated_at = now;
        p.updated_by = who.username;
        update_plot_row(c, p);
        index_for_tiles(c, p);
        step["to"] = p.review_state;
        if (!d.reasons.empty()) step["reasons"] = d.reasons;
        if (d.note) step["note"] = *d.note;
        if (!d.checks.empty()) step["checks"] = d.checks;
        if (d.action == review_action::approve) {
            // What the approval was checked against, as plotmap computed it then.
            json computed = json::object();
            for (const checklist_item& item : review_checklist(c, p, {rules_.area_mismatch_warn_share, rules_.overlap_warn_m2})) {
                if (!item.manual) computed[item.key] = {{"ok", item.ok ? json(*item.ok) : json(nullptr)}, {"detail", item.detail}};
            }
            step["checklist"] = std::move(computed);
        }
        append_history(c, id, {p.version, "update", now, who.username, geo::json_text(diff(before, stored_fields(p))),
                               geo::json_text(json{{"review", std::move(step)}})});
        result.record = std::move(p);
        result.changed = true;
        tx.commit();
        return result;
    });
}

std::vector<progress_event> plot_registry::progress(std::int64_t id) const {
    return store_.read([&](connection& c) {
        statement st = c.prepare(std::string("SELECT ") + progress_columns + " FROM progress_events WHERE plot_id = ? ORDER BY happened_on, id");
        st.bind(1, id);
        std::vector<progress_event> out;
        while (st.step()) out.push_back(read_progress(st));
        return out;
    });
}

plot plot_registry::get(std::int64_t id, bool include_deleted) const {
    plot p = store_.read([&](connection& c) { return current_plot(c, id); });
    if (p.deleted_at && !include_deleted) {
        throw not_found("plot " + std::to_string(id) + " was deleted at " + *p.deleted_at + "; it can be restored");
    }
    return p;
}

plot_page plot_registry::list(const plot_query& q) const {
    return store_.read([&](connection& c) { return list_plots(c, q); });
}

std::vector<history_entry> plot_registry::history(std::int64_t id) const {
    return store_.read([&](connection& c) {
        (void)current_plot(c, id);
        return read_history(c, id);
    });
}

} // namespace plotmap::data
