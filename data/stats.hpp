#pragma once
// Progress in numbers: plots, area and their split by stage and programme, per province,
// district or subdistrict, within what the caller may see. Computed from the plots table on
// every call, so a stage change shows on the next load.

#include "data/users.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::data {

class connection;

struct stats_query {
    int level = 1;                          ///< rows per province (1), district (2) or subdistrict (3)
    std::optional<std::string> parent;      ///< only areas inside this code (shorter than the level's codes)
    std::optional<std::string> program;
    std::optional<std::string> stage;
    std::optional<std::int64_t> budget_year;
    area_scope scope;                       ///< the caller's: plots and areas outside it never count
};

struct stats_row {
    std::string code;       ///< the area's code; empty for plots without one at this level
    std::string name_th;
    std::string name_en;
    std::int64_t plots = 0;
    double area_m2 = 0;     ///< measured area of the plots with a boundary
    std::int64_t with_boundary = 0;
    std::map<std::string, std::int64_t, std::less<>> by_stage;
    std::map<std::string, std::int64_t, std::less<>> by_program;
    std::map<std::string, std::int64_t, std::less<>> by_review;
};

struct stats_result {
    std::vector<stats_row> rows; ///< every area of the level under the parent and in scope, in code order (zeros included)
    stats_row total;             ///< all the plots counted (with those outside any area at this level)
};

/// The numbers for `q`. The parent and the scope must overlap (a parent outside the scope is
/// the caller's mistake: throws forbidden); a parent that is not a province or district code
/// shorter than the level throws bad_request.
[[nodiscard]] stats_result plot_stats(connection& conn, const stats_query& q);

} // namespace plotmap::data
