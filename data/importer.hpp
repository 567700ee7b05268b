#pragma once
// Imports (docs/imports.md): CSV as exported from Google Sheets (Thai or English headers;
// lat/lon columns, a "lat, lon" column as copied from Google Maps, UTM easting/northing with
// zone and datum, or WKT), KML/KMZ from Google My Maps, GeoJSON, zipped Shapefile (Thai in
// TIS-620/CP874 with or without a .cpg), GeoPackage and GPX. Always a dry run first; a real
// import is all or nothing. GDAL headers stay in importer.cpp.

#include "data/plot_registry.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::data {

enum class import_format { csv, kml, kmz, geojson, shp_zip, gpkg, gpx };

/// From a file name's extension (.csv, .kml, .kmz, .geojson/.json, .zip/.shp.zip, .gpkg,
/// .gpx) or a format name. @throws bad_request listing the formats.
[[nodiscard]] import_format import_format_of(std::string_view name_or_extension);
[[nodiscard]] std::string_view import_format_name(import_format f) noexcept;

struct import_options {
    bool dry_run = true;
    /// Source column -> plot field, over the built-in Thai and English header names
    /// (`--map "ชื่อเกษตรกร=owner_name"`). Mapping to "" ignores a column.
    std::map<std::string, std::string> mapping;
    /// The programme of rows that do not say (Google My Maps layers rarely do).
    std::optional<std::string> default_program;
    /// The CRS of WKT and of x/y columns without a zone (default CRS84).
    const geo::crs* crs = nullptr;
    /// Archives (zipped Shapefile, KMZ) are refused unread beyond these, so that a small
    /// zip that inflates to gigabytes costs nothing (a "zip bomb").
    std::uint64_t max_unpacked_bytes = std::uint64_t{512} << 20;
    std::size_t max_archive_entries = 1000;
    /// Accept locations outside every Thai subdistrict (with a warning) instead of refusing them.
    bool allow_outside = false;
    /// Called as the import goes: ("reading", 0, 0), ("read", rows, rows), then
    /// ("checked", done, total) every few thousand rows.
    std::function<void(const std::string& phase, std::size_t done, std::size_t total)> progress;
};

struct import_problem {
    std::string where;   ///< "line 7" (CSV, counting the header as line 1) or "feature 3" / "feature 3 (layer Zone B)"
    std::string reason;
};

struct import_report {
    std::string format;
    bool dry_run = true;
    bool applied = false;               ///< the changes were committed
    std::int64_t rows = 0;              ///< rows or features read
    std::int64_t created = 0;           ///< new plots (that would be) created
    std::int64_t updated = 0;           ///< existing plots (that would be) changed
    std::int64_t unchanged = 0;         ///< rows that match a plot exactly
    std::vector<import_problem> rejected;
    std::vector<import_problem> warnings; ///< accepted rows with something to check (area mismatch, overlap...)
    std::vector<std::string> columns_used;    ///< "source -> field (why)"
    std::vector<std::string> columns_ignored;
    std::string matching;               ///< how rows were matched to existing plots
    std::vector<geo::bbox> touched;     ///< where plots changed (to refresh tiles)
};

/// Reads `file` and checks (dry run) or applies (all or nothing) it as `who`.
/// A real import with any rejected row changes nothing and says so in the report.
/// @throws bad_request if the file cannot be read at all (wrong format, no usable columns),
///         payload_too_large for an archive over the options' limits.
import_report import_plots(plot_registry& registry, const std::filesystem::path& file, import_format format,
                           const import_options& options, const editor& who);

} // namespace plotmap::data
