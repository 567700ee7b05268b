#pragma once
// What happened and what is missing, for the dashboard and the monthly report
// (docs/dashboard.md): plots reaching each stage per month, the monthly progress report of an
// area, and data-quality findings (no boundary, no recent photo, area mismatch, overlaps,
// outside the recorded subdistrict). Computed from the data on every call; stage changes come
// from stage_changes, kept exact by triggers on every plot write (schema migration 11).

#include "data/exporter.hpp"
#include "data/users.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

class connection;

/// Which plots: those in `area` (a province, district or subdistrict code, or all) and in the
/// caller's scope, optionally of one programme and budget year.
struct area_filter {
    std::optional<std::string> area;
    area_scope scope;
    std::optional<std::string> program;
    std::optional<std::int64_t> budget_year;
};

/// Checks the area code (2, 4 or 6 digits, one that exists) and that it overlaps the scope.
/// @throws bad_request, not_found (no such area), forbidden (outside the scope).
void check_area(connection& conn, const area_filter& f);

/// "2026-11" (or the Buddhist Era "2569-11") as {"2026-11", first instant UTC, end UTC}: the
/// month in Thai time (UTC+7). @throws bad_request.
struct month_span {
    std::string month; ///< YYYY-MM, Common Era
    std::string from;  ///< inclusive, RFC 3339 UTC
    std::string to;    ///< exclusive
};
[[nodiscard]] month_span parse_month(std::string_view text);
/// The month in Thailand at `unix_seconds`, or `back` months before it.
[[nodiscard]] month_span thai_month(std::int64_t unix_seconds, int back = 0);

// ---- trend ---------------------------------------------------------------------------------

/// Live plots that reached each stage in each month from `first` to `last` (YYYY-MM, Thai
/// time; creation counts as reaching the stage it was created at).
struct stage_trend {
    std::vector<std::string> months;                               ///< first..last
    std::map<std::string, std::vector<std::int64_t>> by_stage;     ///< stage -> count per month
};
[[nodiscard]] stage_trend plot_stage_trend(connection& conn, const area_filter& f, const month_span& first, const month_span& last);

// ---- data quality --------------------------------------------------------------------------

enum class quality_issue { no_boundary, no_recent_photo, area_mismatch, overlap, outside_subdistrict };
inline constexpr quality_issue quality_issues[] = {quality_issue::no_boundary, quality_issue::no_recent_photo,
                                                   quality_issue::area_mismatch, quality_issue::overlap,
                                                   quality_issue::outside_subdistrict};
[[nodiscard]] std::string_view quality_name(quality_issue i) noexcept;
/// @throws bad_request listing the names.
[[nodiscard]] quality_issue parse_quality_issue(std::string_view name);

struct quality_rules {
    double area_mismatch_share = 0.10;  ///< |measured - declared| / declared above this
    double overlap_m2 = 1.0;            ///< overlaps smaller than this are not findings
    std::string photo_since;            ///< RFC 3339 UTC: a photo taken or uploaded since then is recent
};

/// The geometric findings (overlaps, outside the recorded subdistrict) are looked for only in
/// a district or subdistrict (geometry over a whole province is not a dashboard's job):
/// elsewhere their counts are absent.
[[nodiscard]] bool geometry_counted(const area_filter& f) noexcept;

[[nodiscard]] std::map<quality_issue, std::int64_t> quality_counts(connection& conn, const area_filter& f, const quality_rules& r);

/// A plot named in a report or a finding.
struct report_plot {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::string program;
    std::string stage;          ///< now
    std::string adm3;
    std::string adm3_name;      ///< Thai
    std::string adm2_name;
    std::optional<double> area_m2;
    std::optional<double> declared_area_m2;
    std::string review_state;           ///< now
    std::optional<std::string> review_at; ///< when it got to that state
    // what happened (stage or review changes, new plots)
    std::optional<std::string> from;    ///< the stage or review state before (none for a new plot)
    std::optional<std::string> to;      ///< after
    std::optional<std::string> at;      ///< RFC 3339 UTC
    std::optional<std::string> by;
    std::optional<std::string> review_json; ///< the queue: the last review step, as the history's details hold it
    std::optional<std::string> detail;  ///< a finding's particulars, e.g. the plots it overlaps
};

/// The plots with the finding, in code order, at most `limit`.
[[nodiscard]] std::vector<report_plot> quality_list(connection& conn, const area_filter& f, const quality_rules& r, quality_issue i,
                                                    std::int64_t limit);

// ---- the monthly report --------------------------------------------------------------------

struct monthly_report {
    month_span month;
    std::optional<std::string> area;    ///< code; empty = all in scope
    std::string area_name_th, area_name_en;
    std::map<std::string, std::int64_t> plots_by_stage;  ///< now
    std::int64_t plots = 0;
    std::int64_t with_boundary = 0;
    std::vector<report_plot> stage_changes;    ///< in the month, by date
    std::vector<report_plot> new_plots;        ///< created in the month
    std::vector<report_plot> without_boundary; ///< now
    std::vector<report_plot> without_photos;   ///< now: no photo at all
    std::vector<report_plot> area_mismatches;  ///< now
    std::map<std::string, std::int64_t> plots_by_review; ///< now
    std::vector<report_plot> approved;         ///< approved in the month
    std::vector<report_plot> sent_back;        ///< sent back in the month
    std::vector<report_plot> waiting;          ///< submitted and waiting now, longest first
};

/// Plots in review `state` within the filter, longest waiting first (by when they reached
/// it), at most `limit`, each with its last review step.
[[nodiscard]] std::vector<report_plot> review_queue(connection& conn, const area_filter& f, const std::string& state, std::int64_t limit);

[[nodiscard]] monthly_report build_monthly_report(connection& conn, const area_filter& f, const month_span& month,
                                                  const quality_rules& r);

/// The report as tables (the same rows in CSV and XLSX): a summary, then one per section,
/// with Thai titles and headers.
[[nodiscard]] std::vector<sheet> report_tables(const monthly_report& r);

/// One CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Thai): every
/// section's rows under one header, the first column naming the section.
[[nodiscard]] std::string report_csv(const monthly_report& r);

/// An XLSX workbook, one sheet per section, through GDAL's XLSX driver. @throws error.
void write_report_xlsx(const monthly_report& r, const std::filesystem::path& out);

} // namespace plotmap::data
