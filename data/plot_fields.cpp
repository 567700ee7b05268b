#include "data/plot_fields.hpp"

#include "geo/geojson.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace plotmap::data {

const std::vector<plot_field>& plot_fields() {
    using p = plot;
    // name, member, personal, in the history, in filters
    static const std::vector<plot_field> fields{
        {"uid", &p::uid, false, true, filterable::no},
        {"code", &p::code, false, true, filterable::as_value},
        {"program", &p::program, false, true, filterable::as_value},
        {"name", &p::name, false, true, filterable::as_value},
        {"owner_name", &p::owner_name, true, true, filterable::no},
        {"owner_phone", &p::owner_phone, true, true, filterable::no},
        {"village_no", &p::village_no, false, true, filterable::as_value},
        {"notes", &p::notes, true, true, filterable::no},
        {"deed_type", &p::deed_type, false, true, filterable::as_value},
        {"deed_no", &p::deed_no, true, true, filterable::no},
        {"declared_area_m2", &p::declared_area_m2, false, true, filterable::as_value},
        {"pin", &p::pin, false, true, filterable::no},
        {"pin_accuracy_m", &p::pin_accuracy_m, false, true, filterable::no},
        {"pin_source", &p::pin_source, false, true, filterable::as_value},
        {"boundary", &p::boundary, false, true, filterable::no},
        {"area_m2", &p::area_m2, false, true, filterable::as_value},
        {"perimeter_m", &p::perimeter_m, false, true, filterable::as_value},
        {"adm1", &p::adm1, false, true, filterable::as_value},
        {"adm2", &p::adm2, false, true, filterable::as_value},
        {"adm3", &p::adm3, false, true, filterable::as_value},
        {"stage", &p::stage, false, true, filterable::as_value},
        {"stage_changed_at", &p::stage_changed_at, false, false, filterable::as_time},
        {"budget_year", &p::budget_year, false, true, filterable::as_value},
        {"version", &p::version, false, false, filterable::as_value},
        {"created_at", &p::created_at, false, false, filterable::as_time},
        {"created_by", &p::created_by, true, false, filterable::no},
        {"updated_at", &p::updated_at, false, false, filterable::as_time},
        {"updated_by", &p::updated_by, true, false, filterable::no},
        {"deleted_at", &p::deleted_at, false, true, filterable::no},
        {"location", &p::location, false, false, filterable::no},
        {"review_state", &p::review_state, false, true, filterable::as_value},
        {"review_changed_at", &p::review_changed_at, false, false, filterable::no},
        {"submitted_by", &p::submitted_by, true, false, filterable::no},
    };
    return fields;
}

const std::vector<std::string>& personal_fields() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const plot_field& f : plot_fields()) {
            if (f.personal) out.emplace_back(f.name);
        }
        out.emplace_back("latest_photo"); // read with the plot: the link to its latest photo
        return out;
    }();
    return names;
}

bool is_personal_field(std::string_view name) { return std::ranges::find(personal_fields(), name) != personal_fields().end(); }

namespace {

nlohmann::json json_of(const plot& p, const plot_member& member) {
    using nlohmann::json;
    const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    return std::visit(member_visitor{[&](std::string plot::*f) { return json(p.*f); },
                                 [&](std::optional<std::string> plot::*f) { return opt(p.*f); },
                                 [&](std::int64_t plot::*f) { return json(p.*f); },
                                 [&](std::optional<std::int64_t> plot::*f) { return opt(p.*f); },
                                 [&](std::optional<double> plot::*f) { return opt(p.*f); },
                                 [&](std::optional<geo::point> plot::*f) { return p.*f ? geo::to_geojson(*(p.*f)) : json(nullptr); },
                                 [&](std::optional<geo::multi_polygon> plot::*f) {
                                     return p.*f ? geo::to_geojson(*(p.*f)) : json(nullptr);
                                 }},
                      member);
}

} // namespace

nlohmann::json stored_fields(const plot& p) {
    nlohmann::json out = nlohmann::json::object();
    for (const plot_field& f : plot_fields()) {
        if (f.in_history) out[f.name] = json_of(p, f.member);
    }
    return out;
}

} // namespace plotmap::data
