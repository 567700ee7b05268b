#pragma once
// The programme's figures over the store (docs/dashboard.md): counts, trends, data-quality
// findings, the review queue and the monthly report, each read from one snapshot and each
// only after the asked area has been checked against the caller's scope (area_filter).

#include "data/reports.hpp"
#include "data/stats.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace plotmap::data {

class store;

class reporting {
public:
    explicit reporting(store& s) noexcept : store_(s) {}

    /// Counts per area level (q.scope bounds them).
    [[nodiscard]] stats_result stats(const stats_query& q) const;
    /// Plots per stage at the end of each month from `first` to `last`.
    /// @throws not_found, forbidden (the area), bad_request.
    [[nodiscard]] stage_trend trend(const area_filter& f, const month_span& first, const month_span& last) const;
    [[nodiscard]] std::map<quality_issue, std::int64_t> quality(const area_filter& f, const quality_rules& r) const;
    [[nodiscard]] std::vector<report_plot> quality_plots(const area_filter& f, const quality_rules& r, quality_issue i,
                                                         std::int64_t limit) const;
    [[nodiscard]] std::vector<report_plot> review_queue(const area_filter& f, const std::string& state, std::int64_t limit) const;
    [[nodiscard]] monthly_report monthly(const area_filter& f, const month_span& month, const quality_rules& r) const;

private:
    /// Runs f(connection&) on a reader once the area is checked.
    template <typename F>
    auto checked(const area_filter& area, F&& f) const;

    store& store_;
};

} // namespace plotmap::data
