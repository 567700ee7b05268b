#include "data/reporting.hpp"

#include "data/store.hpp"

namespace plotmap::data {

template <typename F>
auto reporting::checked(const area_filter& area, F&& f) const {
    return store_.read([&](connection& c) {
        check_area(c, area);
        return f(c);
    });
}

stats_result reporting::stats(const stats_query& q) const {
    return store_.read([&](connection& c) { return plot_stats(c, q); });
}

stage_trend reporting::trend(const area_filter& f, const month_span& first, const month_span& last) const {
    return checked(f, [&](connection& c) { return plot_stage_trend(c, f, first, last); });
}

std::map<quality_issue, std::int64_t> reporting::quality(const area_filter& f, const quality_rules& r) const {
    return checked(f, [&](connection& c) { return quality_counts(c, f, r); });
}

std::vector<report_plot> reporting::quality_plots(const area_filter& f, const quality_rules& r, quality_issue i, std::int64_t limit) const {
    return checked(f, [&](connection& c) { return quality_list(c, f, r, i, limit); });
}

std::vector<report_plot> reporting::review_queue(const area_filter& f, const std::string& state, std::int64_t limit) const {
    return checked(f, [&](connection& c) { return data::review_queue(c, f, state, limit); });
}

monthly_report reporting::monthly(const area_filter& f, const month_span& month, const quality_rules& r) const {
    return checked(f, [&](connection& c) { return build_monthly_report(c, f, month, r); });
}

} // namespace plotmap::data
