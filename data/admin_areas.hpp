#pragma once
// Thailand's province (adm1), district (adm2) and subdistrict (adm3) boundaries: loading
// the shipped GeoJSON into the store and reading them back.

#include "geo/geometry.hpp"

#include <array>
#include <filesystem>
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
