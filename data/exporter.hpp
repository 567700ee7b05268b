#pragma once
// Plot exports (docs/exports.md): GeoJSON by a hand-written streaming writer; GeoPackage,
// zipped Shapefile, KML, CSV and FlatGeobuf through GDAL/OGR. Thai text stays UTF-8 in
// every format (Shapefiles carry a .cpg and a .prj). GDAL headers stay in exporter.cpp.

#include "data/plot_store.hpp"
#include "data/users.hpp"
#include "geo/crs.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

class connection;

enum class export_format { geojson, gpkg, shp_zip, kml, csv, fgb };

/// "geojson", "gpkg", "shp.zip", "kml", "csv", "fgb". @throws bad_request listing them.
[[nodiscard]] export_format parse_export_format(std::string_view name);
[[nodiscard]] std::string_view export_extension(export_format f) noexcept;
[[nodiscard]] std::string_view export_media_type(export_format f) noexcept;

struct export_options {
    export_format format = export_format::geojson;
    const geo::crs* crs = nullptr;   ///< output CRS (CRS84 when null); KML is always WGS 84
    plot_query query;                ///< filters (limit ignored)
    /// Personal fields for plots in this scope (nullopt inside = the whole country); no
    /// personal fields at all when the outer optional is empty (a public export).
    std::optional<area_scope> personal_scope;
};

/// Progress: plots written so far and the total.
using export_progress = std::function<void(std::int64_t done, std::int64_t total)>;

/// Writes the export to `out` (a file; for shp.zip a zip holding plots_polygons.* and
/// plots_points.*). @returns the number of plots written.
/// @throws bad_request (a format/CRS mismatch), error (GDAL could not write).
std::int64_t export_plots(connection& conn, const export_options& options, const std::filesystem::path& out,
                          const export_progress& progress = {});

/// Which geometry a feature carries: the boundary, else the pin (exports); only the boundary
/// (null without one); or the location point.
enum class feature_geometry { boundary_or_pin, boundary, location };

/// Appends one plot as a GeoJSON Feature with the export's properties (personal ones only
/// when `personal`), coordinates in `crs` with its authority axis order (OGC API output).
/// Admin names come from the plot when it has them, else from `names` (may be null).
void append_geojson_feature(std::string& out, const plot& p, feature_geometry which, const geo::crs& crs, bool personal,
                            const admin_name_table* names = nullptr);

/// Streams a GeoJSON export to `sink` in chunks of about `chunk_bytes`, never holding more.
std::int64_t export_geojson(connection& conn, const export_options& options, const std::function<void(std::string_view)>& sink,
                            std::size_t chunk_bytes = 1 << 16, const export_progress& progress = {});

/// A table of text cells under headers, for a spreadsheet: `key` names it in code, `title`
/// is its sheet's name; columns marked numeric hold numbers (or nothing).
struct sheet {
    std::string key;
    std::string title;
    std::vector<std::string> headers;
    std::vector<bool> numeric;
    std::vector<std::vector<std::string>> rows;
};

/// An XLSX workbook of one sheet per table, through GDAL's XLSX driver; a table without rows
/// gets one whose first cell is `empty_sheet_row`. @throws error.
inline constexpr const char* empty_sheet_row = "ไม่มีรายการ"; // "no entries"
void write_xlsx(const std::vector<sheet>& sheets, const std::filesystem::path& out);

} // namespace plotmap::data
