#include "data/stats.hpp"

#include "data/database.hpp"
#include "geo/error.hpp"

#include <algorithm>
#include <string_view>

namespace plotmap::data {

namespace {

bool digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Plots whose code at the prefix's level is the prefix (the code columns are indexed).
std::string plot_prefix_sql(const std::string& prefix, const char* param) {
    // The province (and district) too, so that SQLite walks the (adm1, adm2, adm3) key.
    std::string sql = std::string(" AND p.adm1 = substr(") + param + ", 1, 2)";
    if (prefix.size() >= 4) sql += std::string(" AND p.adm2 = substr(") + param + ", 1, 4)";
    if (prefix.size() >= 6) sql += std::string(" AND p.adm3 = ") + param;
    return sql;
}

/// Areas that overlap the prefix: inside it, or holding it.
std::string area_prefix_sql(const char* param) {
    return std::string(" AND (substr(a.code, 1, length(") + param + ")) = " + param + " OR substr(" + param +
           ", 1, length(a.code)) = a.code)";
}

void add_to(std::map<std::string, std::int64_t, std::less<>>& counts, std::string_view key, std::int64_t n) {
    const auto it = counts.find(key);
    if (it != counts.end()) {
        it->second += n;
    } else {
        counts.emplace(std::string(key), n);
    }
}

/// One plot_totals row's group and numbers.
struct group {
    std::string_view stage, program, review;
    std::int64_t plots;
    double area_m2;
    std::int64_t with_boundary;
};

void add(stats_row& into, const group& g) {
    into.plots += g.plots;
    into.area_m2 += g.area_m2;
    into.with_boundary += g.with_boundary;
    add_to(into.by_stage, g.stage, g.plots);
    add_to(into.by_program, g.program, g.plots);
    add_to(into.by_review, g.review, g.plots);
}

} // namespace

stats_result plot_stats(connection& conn, const stats_query& q) {
    if (q.level < 1 || q.level > 3) throw bad_request("by must be adm1, adm2 or adm3");
    if (q.parent) {
        const std::string& p = *q.parent;
        if (!digits(p) || (p.size() != 2 && p.size() != 4)) {
            throw bad_request("parent must be a province (2 digits) or district (4 digits) code, got \"" + p.substr(0, 12) + "\"");
        }
        if (static_cast<int>(p.size()) >= q.level * 2) {
            throw bad_request("parent " + p + " is not above the level asked for (adm" + std::to_string(q.level) + ")");
        }
        if (q.scope && !p.starts_with(*q.scope) && !q.scope->starts_with(p)) {
            throw forbidden("area " + p + " is outside your scope (" + *q.scope + ")");
        }
    }
    const std::string level = std::to_string(q.level);

    stats_result out;
    // Every area of the level under the parent and overlapping the scope, zeros included.
    std::string areas = "SELECT a.code, a.name_th, a.name_en FROM adm" + level + " a WHERE TRUE";
    if (q.parent) areas += area_prefix_sql(":parent");
    if (q.scope) areas += area_prefix_sql(":scope");
    areas += " ORDER BY a.code";
    statement list = conn.prepare(areas);
    if (q.parent) list.bind(list.parameter_index(":parent"), *q.parent);
    if (q.scope) list.bind(list.parameter_index(":scope"), *q.scope);
    std::map<std::string, std::size_t, std::less<>> index;
    while (list.step()) {
        stats_row row;
        row.code = std::string(list.text(0));
        row.name_th = std::string(list.text(1));
        row.name_en = std::string(list.text(2));
        index.emplace(row.code, out.rows.size());
        out.rows.push_back(std::move(row));
    }

    // plot_totals is kept exact by triggers on every plot write (schema migration 11), so
    // this reads thousands of rows however many plots there are. They come in key order
    // (adm1, adm2, adm3, ...), so each area's rows are together and summed here without a sort.
    std::string sql = "SELECT p.adm" + level +
                      ", p.stage, p.program, p.plots, p.area_cm2, p.with_boundary, p.review_state FROM plot_totals p WHERE p.plots > 0";
    if (q.scope) sql += plot_prefix_sql(*q.scope, ":scope");
    if (q.parent) sql += plot_prefix_sql(*q.parent, ":parent");
    if (q.program) sql += " AND p.program = :program";
    if (q.stage) sql += " AND p.stage = :stage";
    if (q.budget_year) sql += " AND p.budget_year = :budget_year";
    sql += " ORDER BY p.adm1, p.adm2, p.adm3";
    statement st = conn.prepare(sql);
    const auto bind = [&](const char* name, const auto& value) {
        if (const int i = st.parameter_index(name); i > 0) st.bind(i, value);
    };
    if (q.scope) bind(":scope", *q.scope);
    if (q.parent) bind(":parent", *q.parent);
    if (q.program) bind(":program", *q.program);
    if (q.stage) bind(":stage", *q.stage);
    if (q.budget_year) bind(":budget_year", *q.budget_year);
    std::optional<stats_row> unplaced;
    std::string code;
    stats_row* into = nullptr;
    while (st.step()) {
        if (into == nullptr || st.text(0) != code) {
            code = std::string(st.text(0));
            const auto it = index.find(code);
            if (it != index.end()) {
                into = &out.rows[it->second];
            } else { // no area at this level (or outside the shipped ones)
                if (!unplaced) unplaced.emplace();
                into = &*unplaced;
            }
        }
        const group g{st.text(1), st.text(2), st.text(6), st.int64(3), static_cast<double>(st.int64(4)) / 100, st.int64(5)};
        add(*into, g);
        add(out.total, g);
    }
    if (unplaced) out.rows.push_back(std::move(*unplaced));
    return out;
}

} // namespace plotmap::data
