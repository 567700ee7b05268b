#include "data/reports.hpp"

#include "data/clock.hpp"
#include "data/plot_store.hpp"
#include "data/review.hpp"
#include "data/database.hpp"
#include "data/dialect.hpp"
#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

namespace plotmap::data {

namespace {

/// Unix seconds as the store writes times ("2026-10-31T17:00:00.000Z"), so that they compare
/// as text with the stored ones.
std::string stored_time(std::int64_t unix_seconds) {
    std::string t = iso_utc(unix_seconds);
    t.insert(t.size() - 1, ".000");
    return t;
}

/// A stored time's Unix seconds (fractions dropped).
std::int64_t stored_seconds(std::string_view t) {
    if (t.size() < 19) return 0;
    const auto n = [&](std::size_t at, std::size_t len) { return std::stoi(std::string(t.substr(at, len))); };
    return days_from_civil(n(0, 4), n(5, 2), n(8, 2)) * 86400 + n(11, 2) * 3600 + n(14, 2) * 60 + n(17, 2);
}

/// "2026-03" (years 1990..2200 only reach here).
std::string month_text(int year, int month) {
    std::string out = std::to_string(year) + "-";
    if (month < 10) out += "0";
    return out + std::to_string(month);
}

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const char* level_column(std::size_t code_length) {
    return code_length == 2 ? "adm1" : code_length == 4 ? "adm2" : "adm3";
}

/// The filter's conditions on a table with adm1..adm3, program and budget_year columns.
std::string where_sql(const area_filter& f, const char* alias) {
    const std::string a(alias);
    std::string sql;
    if (f.area) sql += " AND " + a + "." + level_column(f.area->size()) + " = :area";
    if (f.scope) sql += " AND " + a + "." + level_column(f.scope->size()) + " = :scope";
    if (f.program) sql += " AND " + a + ".program = :program";
    if (f.budget_year) sql += " AND " + a + ".budget_year = :budget_year";
    return sql;
}

/// Binds the filter's values (and any of the others given) to the parameters the SQL has.
void bind_filter(statement& st, const area_filter& f) {
    const auto bind = [&](const char* name, const auto& value) {
        if (const int i = st.parameter_index(name); i > 0) st.bind(i, value);
    };
    if (f.area) bind(":area", *f.area);
    if (f.scope) bind(":scope", *f.scope);
    if (f.program) bind(":program", *f.program);
    if (f.budget_year) bind(":budget_year", *f.budget_year);
}

void bind_named(statement& st, const char* name, const std::string& value) {
    if (const int i = st.parameter_index(name); i > 0) st.bind(i, value);
}
void bind_named(statement& st, const char* name, double value) {
    if (const int i = st.parameter_index(name); i > 0) st.bind(i, value);
}

constexpr const char* plot_columns =
    "p.id, p.code, coalesce(p.name, ''), p.program, p.stage, coalesce(p.adm3, ''), coalesce(a3.name_th, ''), "
    "coalesce(a2.name_th, ''), p.area_m2, p.declared_area_m2, p.review_state, p.review_changed_at";
constexpr int plot_column_count = 12;
constexpr const char* plot_joins = " LEFT JOIN adm3 a3 ON a3.code = p.adm3 LEFT JOIN adm2 a2 ON a2.code = p.adm2";

report_plot read_plot(const statement& st) {
    report_plot r;
    r.id = st.int64(0);
    r.code = std::string(st.text(1));
    r.name = std::string(st.text(2));
    r.program = std::string(st.text(3));
    r.stage = std::string(st.text(4));
    r.adm3 = std::string(st.text(5));
    r.adm3_name = std::string(st.text(6));
    r.adm2_name = std::string(st.text(7));
    if (!st.is_null(8)) r.area_m2 = st.real(8);
    if (!st.is_null(9)) r.declared_area_m2 = st.real(9);
    r.review_state = std::string(st.text(10));
    r.review_at = st.optional_text(11);
    return r;
}

/// The SQL condition a finding is (overlaps are found in C++: no condition).
std::string issue_sql(quality_issue i, const dialect& d) {
    switch (i) {
    case quality_issue::no_boundary: return "p.boundary IS NULL";
    case quality_issue::no_recent_photo:
        return "NOT EXISTS (SELECT 1 FROM photos f WHERE f.plot_id = p.id AND f.deleted_at IS NULL "
               "AND coalesce(f.taken_at, f.uploaded_at) >= :since)";
    case quality_issue::area_mismatch:
        return "p.declared_area_m2 > 0 AND p.area_m2 IS NOT NULL AND abs(p.area_m2 - p.declared_area_m2) > :share * p.declared_area_m2";
    case quality_issue::outside_subdistrict:
        // The location is not in the subdistrict the plot records (typed or imported codes).
        return "p.adm3 IS NOT NULL AND p.location IS NOT NULL AND NOT EXISTS (SELECT 1 FROM adm3 x WHERE x.code = p.adm3 AND " +
               d.holds("MbrIntersects(x.geom, p.location)") + " AND " + d.holds("ST_Intersects(x.geom, p.location)") + ")";
    case quality_issue::overlap: return "p.boundary IS NOT NULL";
    }
    return "FALSE";
}

void bind_rules(statement& st, const quality_rules& r) {
    bind_named(st, ":since", r.photo_since);
    bind_named(st, ":share", r.area_mismatch_share);
}

/// Plots in the filter with a boundary overlapping another live plot by more than the rule,
/// with what they overlap ("640101-0002 (12.5 m²)").
std::map<std::int64_t, std::string> overlap_findings(connection& conn, const area_filter& f, const quality_rules& r) {
    statement st = conn.prepare("SELECT p.id, AsBinary(p.boundary) FROM plots p WHERE p.deleted_at IS NULL AND p.boundary IS NOT NULL" +
                                where_sql(f, "p"));
    bind_filter(st, f);
    std::map<std::int64_t, std::string> out;
    while (st.step()) {
        const std::int64_t id = st.int64(0);
        const auto hits = overlapping_plots(conn, geo::multi_polygon_from_wkb(st.blob(1)), id, r.overlap_m2);
        if (hits.empty()) continue;
        std::string detail;
        for (const overlap& o : hits) {
            char area[48];
            std::snprintf(area, sizeof area, " (%.1f m²)", o.area_m2);
            detail += (detail.empty() ? "" : ", ") + o.code + area;
        }
        out.emplace(id, std::move(detail));
    }
    return out;
}

std::vector<report_plot> plots_where(connection& conn, const area_filter& f, const std::string& condition, const quality_rules& r,
                                     std::int64_t limit, const char* order = "p.code") {
    statement st = conn.prepare(std::string("SELECT ") + plot_columns + " FROM plots p" + plot_joins +
                                " WHERE p.deleted_at IS NULL AND " + condition + where_sql(f, "p") + " ORDER BY " + order + " LIMIT :limit");
    bind_filter(st, f);
    bind_rules(st, r);
    st.bind(st.parameter_index(":limit"), limit);
    std::vector<report_plot> out;
    while (st.step()) out.push_back(read_plot(st));
    return out;
}

/// The review step a history row's details hold (its "review" member, as JSON) and its
/// reasons as text ("reason: note; ..."), into `r`. Details that are not JSON leave it as is.
void read_review_step(std::string_view details, report_plot& r) {
    const auto doc = nlohmann::ordered_json::parse(details, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return;
    const auto review = doc.find("review");
    if (review == doc.end() || review->is_null()) return;
    r.review_json = review->dump();
    const auto reasons = review->find("reasons");
    if (reasons == review->end() || !reasons->is_object()) return;
    std::string text;
    for (const auto& [key, value] : reasons->items()) {
        if (!text.empty()) text += "; ";
        text += key + ": " + (value.is_string() ? value.get<std::string>() : value.dump());
    }
    if (!text.empty()) r.detail = std::move(text);
}

/// What live plots in the filter went through in [from, to): rows of stage_changes (columns
/// stage_from, stage_to) or review_changes (state_from, state_to) matching `condition`; for
/// review steps, the step as the history holds it and its reasons as text.
std::vector<report_plot> changes_in(connection& conn, const area_filter& f, const month_span& m, const std::string& table,
                                    const std::string& from_to, const std::string& condition) {
    const bool review = table == "review_changes";
    const std::string extra = review ? ", (SELECT h.details FROM plot_history h WHERE h.plot_id = s.plot_id AND h.version = s.version)" : ", NULL";
    statement st = conn.prepare(std::string("SELECT ") + plot_columns + ", " + from_to + ", s.changed_at, s.changed_by" + extra + " FROM " + table +
                                " s JOIN plots p ON p.id = s.plot_id" + plot_joins +
                                " WHERE s.live = 1 AND s.changed_at >= :from AND s.changed_at < :to AND " + condition +
                                where_sql(f, "s") + " ORDER BY s.changed_at, p.code");
    bind_filter(st, f);
    bind_named(st, ":from", m.from);
    bind_named(st, ":to", m.to);
    std::vector<report_plot> out;
    while (st.step()) {
        report_plot r = read_plot(st);
        r.from = st.optional_text(plot_column_count);
        r.to = std::string(st.text(plot_column_count + 1));
        r.at = std::string(st.text(plot_column_count + 2));
        r.by = st.optional_text(plot_column_count + 3);
        if (!st.is_null(plot_column_count + 4)) read_review_step(st.text(plot_column_count + 4), r);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<report_plot> stage_changes_in(connection& conn, const area_filter& f, const month_span& m, bool created) {
    return changes_in(conn, f, m, "stage_changes", "s.stage_from, s.stage_to", created ? "s.stage_from IS NULL" : "s.stage_from IS NOT NULL");
}

std::vector<report_plot> review_changes_in(connection& conn, const area_filter& f, const month_span& m, const std::string& state) {
    return changes_in(conn, f, m, "review_changes", "s.state_from, s.state_to", "s.state_to = '" + state + "'");
}

} // namespace

void check_area(connection& conn, const area_filter& f) {
    if (!f.area) return;
    const std::string& a = *f.area;
    if (!digits(a) || (a.size() != 2 && a.size() != 4 && a.size() != 6)) {
        throw bad_request("area must be a province (2 digits), district (4) or subdistrict (6) code, got \"" +
                          geo::utf8_prefix(a, 12) + "\"");
    }
    if (f.scope && !a.starts_with(*f.scope) && !f.scope->starts_with(a)) {
        throw forbidden("area " + a + " is outside your scope (" + *f.scope + ")");
    }
    statement st = conn.prepare(std::string("SELECT 1 FROM ") + level_column(a.size()) + " WHERE code = ?");
    st.bind(1, a);
    if (!st.step()) throw not_found("no area with code " + a);
}

month_span parse_month(std::string_view text) {
    int year = 0;
    int month = 0;
    const bool shaped = text.size() == 7 && text[4] == '-' && digits(text.substr(0, 4)) && digits(text.substr(5, 2));
    if (shaped) {
        year = std::stoi(std::string(text.substr(0, 4)));
        month = std::stoi(std::string(text.substr(5, 2)));
    }
    if (!shaped || month < 1 || month > 12) {
        throw bad_request("month must look like 2026-11 (or 2569-11 in the Buddhist Era), got \"" + geo::utf8_prefix(text, 16) + "\"");
    }
    if (year >= 2400) year -= 543; // Buddhist Era
    if (year < 1990 || year > 2200) throw bad_request("month " + std::string(text) + " is outside the programme's years");
    month_span m;
    m.month = month_text(year, month);
    // Midnight in Thailand (UTC+7) is 17:00 UTC the day before.
    const auto start_utc = [](int y, int mo) { return stored_time(days_from_civil(y, mo, 1) * 86400 - 7 * 3600); };
    m.from = start_utc(year, month);
    m.to = month == 12 ? start_utc(year + 1, 1) : start_utc(year, month + 1);
    return m;
}

month_span thai_month(std::int64_t unix_seconds, int back) {
    const std::string today = iso_utc(unix_seconds + 7 * 3600);
    int y = std::stoi(today.substr(0, 4));
    int m = std::stoi(today.substr(5, 2)) - back;
    for (; m < 1; m += 12) --y;
    return parse_month(month_text(y, m));
}

stage_trend plot_stage_trend(connection& conn, const area_filter& f, const month_span& first, const month_span& last) {
    if (last.month < first.month) throw bad_request("the trend's last month " + last.month + " is before its first " + first.month);
    stage_trend out;
    for (int y = std::stoi(first.month.substr(0, 4)), m = std::stoi(first.month.substr(5, 2)); month_text(y, m) <= last.month;) {
        out.months.push_back(month_text(y, m));
        if (out.months.size() > 240) throw bad_request("a trend covers at most 240 months");
        if (++m == 13) {
            m = 1;
            ++y;
        }
    }
    statement st = conn.prepare("SELECT " + dialect_of(conn).month_in_thailand("s.changed_at") + ", s.stage_to, count(DISTINCT s.plot_id) "
                                "FROM stage_changes s WHERE s.live = 1 AND s.changed_at >= :from AND s.changed_at < :to" +
                                where_sql(f, "s") + " GROUP BY 1, 2");
    bind_filter(st, f);
    bind_named(st, ":from", first.from);
    bind_named(st, ":to", last.to);
    while (st.step()) {
        const std::string month(st.text(0));
        const auto at = std::find(out.months.begin(), out.months.end(), month);
        if (at == out.months.end()) continue;
        auto& series = out.by_stage[std::string(st.text(1))];
        series.resize(out.months.size());
        series[static_cast<std::size_t>(at - out.months.begin())] = st.int64(2);
    }
    return out;
}

std::string_view quality_name(quality_issue i) noexcept {
    switch (i) {
    case quality_issue::no_boundary: return "no_boundary";
    case quality_issue::no_recent_photo: return "no_recent_photo";
    case quality_issue::area_mismatch: return "area_mismatch";
    case quality_issue::overlap: return "overlap";
    case quality_issue::outside_subdistrict: return "outside_subdistrict";
    }
    return "";
}

quality_issue parse_quality_issue(std::string_view name) {
    for (const quality_issue i : quality_issues) {
        if (quality_name(i) == name) return i;
    }
    throw bad_request("finding must be no_boundary, no_recent_photo, area_mismatch, overlap or outside_subdistrict, got \"" +
                      geo::utf8_prefix(name, 32) + "\"");
}

bool geometry_counted(const area_filter& f) noexcept {
    const auto narrowest = [](const std::optional<std::string>& code) { return code ? code->size() : 0; };
    return std::max(narrowest(f.area), narrowest(f.scope)) >= 4;
}

std::map<quality_issue, std::int64_t> quality_counts(connection& conn, const area_filter& f, const quality_rules& r) {
    std::map<quality_issue, std::int64_t> out;
    const auto count = [&](const std::string& sql) {
        statement st = conn.prepare(sql);
        bind_filter(st, f);
        bind_rules(st, r);
        st.step();
        return static_cast<std::int64_t>(st.real(0));
    };
    // From the summary table and the indexes, so that a whole country costs what a district does.
    statement totals = conn.prepare("SELECT total(t.plots), total(t.with_boundary) FROM plot_totals t WHERE t.plots > 0" + where_sql(f, "t"));
    bind_filter(totals, f);
    totals.step();
    const auto plots = static_cast<std::int64_t>(totals.real(0));
    out[quality_issue::no_boundary] = plots - static_cast<std::int64_t>(totals.real(1));
    out[quality_issue::no_recent_photo] =
        plots - count("SELECT total(1) FROM (SELECT DISTINCT f.plot_id FROM photos f JOIN plots p ON p.id = f.plot_id "
                      "WHERE f.deleted_at IS NULL AND coalesce(f.taken_at, f.uploaded_at) >= :since AND p.deleted_at IS NULL" +
                      where_sql(f, "p") + ") photographed");
    out[quality_issue::area_mismatch] = count("SELECT total(1) FROM plots p WHERE p.deleted_at IS NULL AND " +
                                              issue_sql(quality_issue::area_mismatch, dialect_of(conn)) + where_sql(f, "p"));
    if (geometry_counted(f)) {
        out[quality_issue::outside_subdistrict] = count("SELECT total(1) FROM plots p WHERE p.deleted_at IS NULL AND " +
                                                        issue_sql(quality_issue::outside_subdistrict, dialect_of(conn)) + where_sql(f, "p"));
        out[quality_issue::overlap] = static_cast<std::int64_t>(overlap_findings(conn, f, r).size());
    }
    return out;
}

std::vector<report_plot> quality_list(connection& conn, const area_filter& f, const quality_rules& r, quality_issue i,
                                      std::int64_t limit) {
    const bool geometric = i == quality_issue::outside_subdistrict || i == quality_issue::overlap;
    if (geometric && !geometry_counted(f)) {
        throw bad_request(std::string(quality_name(i)) + " is looked for in a district or subdistrict: give area with 4 or 6 digits");
    }
    if (i != quality_issue::overlap) {
        std::vector<report_plot> out = plots_where(conn, f, issue_sql(i, dialect_of(conn)), r, limit);
        if (i == quality_issue::area_mismatch) {
            for (report_plot& p : out) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%+.0f%%", (*p.area_m2 - *p.declared_area_m2) / *p.declared_area_m2 * 100);
                p.detail = buf;
            }
        }
        return out;
    }
    const auto findings = overlap_findings(conn, f, r);
    std::vector<report_plot> out;
    for (report_plot& p : plots_where(conn, f, issue_sql(i, dialect_of(conn)), r, std::numeric_limits<std::int64_t>::max())) {
        const auto hit = findings.find(p.id);
        if (hit == findings.end()) continue;
        p.detail = hit->second;
        out.push_back(std::move(p));
        if (static_cast<std::int64_t>(out.size()) >= limit) break;
    }
    return out;
}

monthly_report build_monthly_report(connection& conn, const area_filter& f, const month_span& month, const quality_rules& r) {
    check_area(conn, f);
    monthly_report out;
    out.month = month;
    out.area = f.area;
    if (f.area) {
        statement st = conn.prepare(std::string("SELECT name_th, name_en FROM ") + level_column(f.area->size()) + " WHERE code = ?");
        st.bind(1, *f.area);
        if (st.step()) {
            out.area_name_th = std::string(st.text(0));
            out.area_name_en = std::string(st.text(1));
        }
    } else {
        out.area_name_th = "ทั้งประเทศ";
        out.area_name_en = "Thailand";
    }
    {
        statement st = conn.prepare("SELECT t.stage, total(t.plots), total(t.with_boundary) FROM plot_totals t WHERE t.plots > 0" +
                                    where_sql(f, "t") + " GROUP BY 1");
        bind_filter(st, f);
        while (st.step()) {
            const auto n = static_cast<std::int64_t>(st.real(1));
            out.plots_by_stage[std::string(st.text(0))] = n;
            out.plots += n;
            out.with_boundary += static_cast<std::int64_t>(st.real(2));
        }
    }
    constexpr auto all = std::numeric_limits<std::int64_t>::max();
    out.stage_changes = stage_changes_in(conn, f, month, false);
    out.new_plots = stage_changes_in(conn, f, month, true);
    out.without_boundary = plots_where(conn, f, issue_sql(quality_issue::no_boundary, dialect_of(conn)), r, all);
    out.without_photos = plots_where(conn, f, "NOT EXISTS (SELECT 1 FROM photos f WHERE f.plot_id = p.id AND f.deleted_at IS NULL)", r, all);
    out.area_mismatches = quality_list(conn, f, r, quality_issue::area_mismatch, all);
    {
        statement st = conn.prepare("SELECT t.review_state, total(t.plots) FROM plot_totals t WHERE t.plots > 0" + where_sql(f, "t") + " GROUP BY 1");
        bind_filter(st, f);
        while (st.step()) out.plots_by_review[std::string(st.text(0))] = static_cast<std::int64_t>(st.real(1));
    }
    out.approved = review_changes_in(conn, f, month, "approved");
    out.sent_back = review_changes_in(conn, f, month, "needs_fix");
    out.waiting = review_queue(conn, f, "submitted", all);
    return out;
}

std::vector<report_plot> review_queue(connection& conn, const area_filter& f, const std::string& state, std::int64_t limit) {
    if (std::find(review_states.begin(), review_states.end(), state) == review_states.end()) {
        throw bad_request("state must be unchecked, submitted, approved or needs_fix, got \"" + geo::utf8_prefix(state, 32) + "\"");
    }
    std::vector<report_plot> out = plots_where(conn, f, "p.review_state = '" + state + "'", {}, limit, "p.review_changed_at, p.id");
    // Each with its last review step (who submitted or sent it back, why), from the history.
    statement last = conn.prepare("SELECT details, changed_by, changed_at FROM plot_history "
                                  "WHERE plot_id = ? AND details LIKE '%\"review\"%' ORDER BY version DESC");
    for (report_plot& p : out) {
        last.reset();
        last.bind(1, p.id);
        while (last.step()) {
            report_plot step;
            read_review_step(last.text(0), step);
            if (!step.review_json) continue; // "review" only inside another member's text
            p.review_json = std::move(step.review_json);
            const nlohmann::json review = nlohmann::json::parse(*p.review_json);
            const auto from = review.find("from");
            p.from = std::nullopt;
            if (from != review.end() && from->is_string()) p.from = from->get<std::string>();
            p.by = last.optional_text(1);
            p.at = std::string(last.text(2));
            p.to = state;
            break;
        }
    }
    return out;
}

namespace {

/// Thai names of the default stages (others are shown as configured).
std::string stage_th(const std::optional<std::string>& stage) {
    if (!stage) return "";
    static const std::map<std::string, std::string, std::less<>> names{
        {"surveyed", "สำรวจแล้ว"}, {"digging", "กำลังขุด"}, {"planting", "กำลังปลูก"}, {"complete", "เสร็จสมบูรณ์"}};
    const auto it = names.find(*stage);
    return it == names.end() ? *stage : it->second;
}


/// "2026-11-03T05:00:00.000Z" as the Thai day "2026-11-03" (UTC+7).
std::string thai_day(const std::optional<std::string>& at) {
    if (!at) return "";
    return iso_utc(stored_seconds(*at) + 7 * 3600).substr(0, 10);
}

std::string rai(const std::optional<double>& m2) {
    if (!m2) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", *m2 / 1600.0);
    return buf;
}

/// Thai names of the review states.
std::string review_th(const std::optional<std::string>& state) {
    if (!state) return "";
    static const std::map<std::string, std::string, std::less<>> names{
        {"unchecked", "ยังไม่ตรวจ"}, {"submitted", "รอตรวจ"}, {"approved", "อนุมัติแล้ว"}, {"needs_fix", "ส่งกลับแก้ไข"}};
    const auto it = names.find(*state);
    return it == names.end() ? *state : it->second;
}

/// What a section's rows carry beyond the plot: a stage change, a review step, the areas.
enum class extra { none, stage_change, review_step, areas };

sheet plot_sheet(const char* key, const char* title, const std::vector<report_plot>& plots, extra with) {
    sheet s;
    s.key = key;
    s.title = title;
    s.headers = {"รหัสแปลง", "ชื่อแปลง", "โครงการ", "ขั้นตอนปัจจุบัน", "ตำบล", "อำเภอ"};
    s.numeric = {false, false, false, false, false, false};
    if (with == extra::stage_change || with == extra::review_step) {
        const bool stage = with == extra::stage_change;
        s.headers.insert(s.headers.end(), {stage ? "จากขั้นตอน" : "จากสถานะ", stage ? "เป็นขั้นตอน" : "เป็นสถานะ", "วันที่", "โดย"});
        s.numeric.insert(s.numeric.end(), {false, false, false, false});
        if (!stage) {
            s.headers.emplace_back("เหตุผล");
            s.numeric.push_back(false);
        }
    }
    if (with == extra::areas) {
        s.headers.insert(s.headers.end(), {"พื้นที่วัดได้ (ไร่)", "พื้นที่ตามเอกสาร (ไร่)", "ต่างกัน"});
        s.numeric.insert(s.numeric.end(), {true, true, false});
    }
    const auto name = [&](const std::optional<std::string>& v) { return with == extra::stage_change ? stage_th(v) : review_th(v); };
    for (const report_plot& p : plots) {
        std::vector<std::string> row{p.code, p.name, p.program, stage_th(p.stage), p.adm3_name, p.adm2_name};
        if (with == extra::stage_change || with == extra::review_step) {
            row.push_back(name(p.from));
            row.push_back(name(p.to));
            row.push_back(thai_day(p.at));
            row.push_back(p.by.value_or(""));
            if (with == extra::review_step) row.push_back(p.detail.value_or(""));
        }
        if (with == extra::areas) {
            row.push_back(rai(p.area_m2));
            row.push_back(rai(p.declared_area_m2));
            row.push_back(p.detail.value_or(""));
        }
        s.rows.push_back(std::move(row));
    }
    return s;
}

} // namespace

std::vector<sheet> report_tables(const monthly_report& r) {
    std::vector<sheet> out;
    sheet summary;
    summary.key = "summary";
    summary.title = "สรุป";
    summary.headers = {"รายการ", "จำนวน"};
    summary.numeric = {false, true};
    const auto add = [&](const std::string& what, std::int64_t n) { summary.rows.push_back({what, std::to_string(n)}); };
    summary.rows.push_back({"พื้นที่: " + r.area_name_th + (r.area ? " (" + *r.area + ")" : ""), ""});
    summary.rows.push_back({"เดือน: " + r.month.month, ""});
    add("แปลงทั้งหมด", r.plots);
    add("มีขอบเขตแปลง", r.with_boundary);
    for (const auto& [stage, n] : r.plots_by_stage) add("ขั้นตอน " + stage_th(stage), n);
    add("เปลี่ยนขั้นตอนในเดือนนี้", static_cast<std::int64_t>(r.stage_changes.size()));
    add("แปลงใหม่ในเดือนนี้", static_cast<std::int64_t>(r.new_plots.size()));
    add("ยังไม่มีขอบเขตแปลง", static_cast<std::int64_t>(r.without_boundary.size()));
    add("ยังไม่มีภาพถ่าย", static_cast<std::int64_t>(r.without_photos.size()));
    add("พื้นที่ไม่ตรงเอกสารสิทธิ์", static_cast<std::int64_t>(r.area_mismatches.size()));
    for (const auto& [state, n] : r.plots_by_review) add("การตรวจสอบ: " + review_th(state), n);
    add("อนุมัติในเดือนนี้", static_cast<std::int64_t>(r.approved.size()));
    add("ส่งกลับแก้ไขในเดือนนี้", static_cast<std::int64_t>(r.sent_back.size()));
    add("รอตรวจ", static_cast<std::int64_t>(r.waiting.size()));
    out.push_back(std::move(summary));
    out.push_back(plot_sheet("stage_changes", "เปลี่ยนขั้นตอน", r.stage_changes, extra::stage_change));
    out.push_back(plot_sheet("new_plots", "แปลงใหม่", r.new_plots, extra::stage_change));
    out.push_back(plot_sheet("without_boundary", "ยังไม่มีขอบเขต", r.without_boundary, extra::none));
    out.push_back(plot_sheet("without_photos", "ยังไม่มีภาพถ่าย", r.without_photos, extra::none));
    out.push_back(plot_sheet("area_mismatches", "พื้นที่ไม่ตรง", r.area_mismatches, extra::areas));
    out.push_back(plot_sheet("approved", "อนุมัติแล้ว", r.approved, extra::review_step));
    out.push_back(plot_sheet("sent_back", "ส่งกลับแก้ไข", r.sent_back, extra::review_step));
    out.push_back(plot_sheet("waiting", "รอตรวจ", r.waiting, extra::review_step));
    return out;
}

std::string report_csv(const monthly_report& r) {
    const std::vector<sheet> tables = report_tables(r);
    // One header: the section, then the union of the sections' columns in first-seen order.
    std::vector<std::string> columns;
    for (std::size_t t = 1; t < tables.size(); ++t) {
        for (const auto& h : tables[t].headers) {
            if (std::find(columns.begin(), columns.end(), h) == columns.end()) columns.push_back(h);
        }
    }
    const auto field = [](std::string_view v) {
        if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
        std::string q = "\"";
        for (const char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
    };
    std::string out = "\xEF\xBB\xBF"; // BOM: Excel reads the file as UTF-8
    out += "หมวด";
    for (const auto& c : columns) out += "," + field(c);
    out += "\r\n";
    for (std::size_t t = 1; t < tables.size(); ++t) {
        const sheet& s = tables[t];
        for (const auto& row : s.rows) {
            out += field(s.title);
            for (const auto& c : columns) {
                const auto at = std::find(s.headers.begin(), s.headers.end(), c);
                out += ",";
                if (at != s.headers.end()) out += field(row[static_cast<std::size_t>(at - s.headers.begin())]);
            }
            out += "\r\n";
        }
    }
    return out;
}

void write_report_xlsx(const monthly_report& r, const std::filesystem::path& out) { write_xlsx(report_tables(r), out); }

} // namespace plotmap::data
