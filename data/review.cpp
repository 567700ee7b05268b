#include "data/review.hpp"

#include "data/plot_store.hpp"
#include "data/database.hpp"
#include "geo/error.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plotmap::data {

review_action parse_review_action(std::string_view name) {
    if (name == "submit") return review_action::submit;
    if (name == "approve") return review_action::approve;
    if (name == "send_back") return review_action::send_back;
    throw bad_request("action must be submit, approve or send_back, got \"" + geo::utf8_prefix(name, 32) + "\"");
}

std::string_view review_action_name(review_action a) noexcept {
    switch (a) {
    case review_action::submit: return "submit";
    case review_action::approve: return "approve";
    case review_action::send_back: return "send_back";
    }
    return "";
}

std::vector<std::string> allowed_review_actions(const std::string& state, bool can_review, bool own_submission) {
    std::vector<std::string> out;
    if (state == "unchecked" || state == "needs_fix") out.emplace_back("submit");
    if (can_review && state == "submitted" && !own_submission) out.emplace_back("approve");
    if (can_review && (state == "submitted" || state == "approved")) out.emplace_back("send_back");
    return out;
}

std::vector<checklist_item> review_checklist(connection& conn, const plot& p, const checklist_rules& r) {
    std::vector<checklist_item> out;
    const bool has_deed = p.deed_type != "none" && p.deed_no && !p.deed_no->empty();
    out.push_back({"deed", has_deed, has_deed ? p.deed_type + " " + *p.deed_no : (p.deed_type == "none" ? "no deed type" : "no deed number"),
                   false});

    if (p.declared_area_m2 && *p.declared_area_m2 > 0 && p.area_m2) {
        const double share = (*p.area_m2 - *p.declared_area_m2) / *p.declared_area_m2;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%+.0f%%", share * 100);
        out.push_back({"area", std::abs(share) <= r.area_mismatch_share, buf, false});
    } else {
        out.push_back({"area", false, !p.area_m2 ? "no boundary to measure" : "no declared area", false});
    }

    if (!p.adm3) {
        out.push_back({"subdistrict", false, "no subdistrict recorded", false});
    } else if (!p.boundary && !p.location) {
        out.push_back({"subdistrict", std::nullopt, "no location", false});
    } else {
        // The whole boundary (or the pin) inside the recorded subdistrict.
        statement st = conn.prepare("SELECT ST_Covers(geom, GeomFromWKB(?, 4326)) FROM adm3 WHERE code = ?");
        st.bind_blob(1, p.boundary ? geo::to_wkb(*p.boundary) : geo::to_wkb(*p.location));
        st.bind(2, *p.adm3);
        const bool inside = st.step() && !st.is_null(0) && st.int64(0) == 1;
        out.push_back({"subdistrict", inside, *p.adm3, false});
    }

    if (p.boundary) {
        const auto hits = overlapping_plots(conn, *p.boundary, p.id, r.overlap_m2);
        std::string detail;
        for (const overlap& o : hits) {
            char area[48];
            std::snprintf(area, sizeof area, " (%.1f m²)", o.area_m2);
            detail += (detail.empty() ? "" : ", ") + o.code + area;
        }
        out.push_back({"overlap", hits.empty(), detail, false});
    } else {
        out.push_back({"overlap", std::nullopt, "no boundary", false});
    }

    statement photos = conn.prepare("SELECT count(*) FROM photos WHERE plot_id = ? AND deleted_at IS NULL");
    photos.bind(1, p.id);
    photos.step();
    const std::int64_t n = photos.int64(0);
    out.push_back({"photo", n > 0, std::to_string(n), false});

    for (const auto& key : review_manual_checks) out.push_back({key, std::nullopt, "", true});
    return out;
}

} // namespace plotmap::data
