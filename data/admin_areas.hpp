#pragma once
// Thailand's province (adm1), district (adm2) and subdistrict (adm3) boundaries: loading
// the shipped GeoJSON into the store and reading them back.

#include "data/cql2.hpp"
#include "geo/geometry.hpp"

#include <array>
#include <filesystem>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace plotmap::data {

class connection;

/// Rows per level after a load: {adm1, adm2, adm3}.
using admin_counts = std::array<long long, 3>;

/// Loads th_adm1.geojson, th_adm2.geojson and th_adm3.geojson from `dir` in one
/// transaction. Does nothing if the tables are already filled (so `init` twice is harmless).
/// @returns the row counts per level afterwards.
/// @throws store_error naming the file and feature that could not be read.
admin_counts load_admin_areas(connection& conn, const std::filesystem::path& dir);

/// Row counts per level.
[[nodiscard]] admin_counts count_admin_areas(connection& conn);

/// One admin area as the OGC API serves it.
struct admin_area {
    std::string code;     ///< numeric DOPA code: 2, 4 or 6 digits
    std::string pcode;    ///< OCHA P-code ("TH6401")
    std::string name_th;
    std::string name_en;
    std::optional<std::string> adm1; ///< parents (districts and subdistricts)
    std::optional<std::string> adm2; ///< (subdistricts)
    geo::multi_polygon geometry;     ///< lon/lat
};

struct admin_query {
    int level = 1;                    ///< 1 province, 2 district, 3 subdistrict
    std::optional<geo::bbox> bbox;    ///< lon/lat; areas whose boundary intersects it
    std::optional<std::string> adm1;  ///< within this province (levels 2 and 3)
    std::optional<std::string> adm2;  ///< within this district (level 3)
    std::optional<cql2::sql_filter> filter; ///< compiled over admin_filter_target(level)
    std::string after_code;           ///< keyset paging: codes above this
    int limit = 10;
};

struct admin_page {
    std::vector<admin_area> areas;    ///< ordered by code
    std::int64_t number_matched = 0;
    bool more = false;
};

/// @throws bad_request for a level other than 1-3.
[[nodiscard]] admin_page list_admin_areas(connection& conn, const admin_query& q);

/// What CQL2 filters on an admin level may name: code, pcode, name_th, name_en, the parent
/// codes, and `geometry`.
[[nodiscard]] cql2::target admin_filter_target(int level, backend b);
[[nodiscard]] std::optional<admin_area> find_admin_area(connection& conn, int level, std::string_view code);

/// A subdistrict with its parents' codes and its geometry.
struct subdistrict {
    std::string adm1;
    std::string adm2;
    std::string adm3;
    std::string name_th;
    geo::multi_polygon geometry;
    geo::bbox bounds;
};

/// Every subdistrict whose code starts with one of `adm1_codes` (all of them if empty),
/// ordered by code.
[[nodiscard]] std::vector<subdistrict> read_subdistricts(connection& conn, const std::vector<std::string>& adm1_codes);

} // namespace plotmap::data
