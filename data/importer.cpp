#include "data/importer.hpp"

#include "data/uuid.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>

namespace plotmap::data {
namespace {

// ---- rows as read from any format ---------------------------------------------------------

struct source_row {
    std::string where;
    std::vector<std::pair<std::string, std::string>> fields; ///< column name, text (UTF-8)
    std::optional<geo::point> point;                         ///< lon/lat
    std::optional<geo::multi_polygon> polygon;               ///< lon/lat
    std::optional<std::string> problem;                      ///< a coordinate or geometry that could not be read
};

std::string trim(std::string_view s) {
    const auto not_space = [](unsigned char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; };
    while (!s.empty() && !not_space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && !not_space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    // A no-break space (U+00A0) from a spreadsheet counts as space too.
    while (s.size() >= 2 && s.substr(0, 2) == "\xc2\xa0") s.remove_prefix(2);
    while (s.size() >= 2 && s.substr(s.size() - 2) == "\xc2\xa0") s.remove_suffix(2);
    return std::string(s);
}

/// Header spelling folded for matching: ASCII lower case, spaces, dashes and underscores
/// removed ("Owner Name", "owner_name" and "owner-name" are one column).
std::string fold(std::string_view header) {
    std::string out;
    for (const char c : trim(header)) {
        if (c == ' ' || c == '_' || c == '-' || c == '.') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
        }
        i += n;
    }
    return true;
}

/// Thai text from a Shapefile without a (right) .cpg is TIS-620/CP874: recode what is not UTF-8.
std::string to_utf8(const char* raw) {
    if (valid_utf8(raw)) return raw;
    char* recoded = CPLRecode(raw, "CP874", CPL_ENC_UTF8);
    std::string out = recoded != nullptr ? recoded : raw;
    CPLFree(recoded);
    return out;
}

std::optional<double> number(std::string_view text) {
    std::string t = trim(text);
    t.erase(std::remove(t.begin(), t.end(), ','), t.end()); // thousands separators from a spreadsheet
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

// ---- geometry from GDAL --------------------------------------------------------------------

struct geometry_deleter {
    void operator()(OGRGeometryH g) const noexcept { OGR_G_DestroyGeometry(g); }
};
using geometry_ptr = std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, geometry_deleter>;

std::string wkb_of(OGRGeometryH g) {
    std::string out(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
    OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

/// Points and polygons of a (lon/lat) OGR geometry into the row; lines and others are a problem.
void take_geometry(OGRGeometryH g, source_row& row) {
    OGR_G_FlattenTo2D(g);
    const OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPoint) {
        row.point = geo::point_from_wkb(wkb_of(g));
    } else if (t == wkbMultiPoint && OGR_G_GetGeometryCount(g) == 1) {
        row.point = geo::point_from_wkb(wkb_of(OGR_G_GetGeometryRef(g, 0)));
    } else if (t == wkbPolygon || t == wkbMultiPolygon) {
        row.polygon = geo::multi_polygon_from_wkb(wkb_of(g));
    } else if (t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) take_geometry(OGR_G_GetGeometryRef(g, i), row);
    } else if (t == wkbLineString || t == wkbMultiLineString) {
        row.problem = "a line is not a plot: draw the boundary as a polygon (or give a point)";
    } else {
        row.problem = std::string("unsupported geometry type ") + OGRGeometryTypeToName(t);
    }
}

/// Reads WKT in `crs` into the row (lon/lat).
void take_wkt(const std::string& wkt, const geo::crs& crs, source_row& row) {
    OGRGeometryH raw = nullptr;
    char* text = const_cast<char*>(wkt.c_str());
    if (OGR_G_CreateFromWkt(&text, nullptr, &raw) != OGRERR_NONE || raw == nullptr) {
        row.problem = "the WKT \"" + geo::utf8_prefix(wkt, 40) + "\" cannot be read";
        return;
    }
    geometry_ptr g(raw);
    take_geometry(g.get(), row);
    geo::transformer& t = geo::transformer_for(crs, geo::crs84());
    if (row.point) row.point = t.apply(*row.point);
    if (row.polygon) t.apply(*row.polygon);
}

// ---- CSV -----------------------------------------------------------------------------------

struct csv_record {
    int line = 0; ///< physical line the record starts on (header = 1)
    std::vector<std::string> cells;
};

/// RFC 4180 records (quoted cells may span lines), UTF-8 with or without a BOM.
std::vector<csv_record> read_csv(const std::string& text) {
    std::vector<csv_record> out;
    std::size_t i = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    int line = 1;
    while (i < text.size()) {
        csv_record rec;
        rec.line = line;
        std::string cell;
        bool quoted = false;
        bool end = false;
        while (i < text.size() && !end) {
            const char c = text[i++];
            if (quoted) {
                if (c == '"' && i < text.size() && text[i] == '"') {
                    cell.push_back('"');
                    ++i;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    if (c == '\n') ++line;
                    cell.push_back(c);
                }
            } else if (c == '"' && cell.empty()) {
                quoted = true;
            } else if (c == ',') {
                rec.cells.push_back(std::move(cell));
                cell.clear();
            } else if (c == '\n') {
                ++line;
                end = true;
            } else if (c != '\r') {
                cell.push_back(c);
            }
        }
        if (quoted) throw bad_request("line " + std::to_string(rec.line) + ": a quoted cell is never closed");
        rec.cells.push_back(std::move(cell));
        const bool blank = std::all_of(rec.cells.begin(), rec.cells.end(), [](const std::string& s) { return trim(s).empty(); });
        if (!blank) out.push_back(std::move(rec));
    }
    return out;
}

bool one_of(const std::string& folded, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), folded) != names.end();
}

/// Which columns hold the location, by header.
struct coordinate_columns {
    std::optional<std::size_t> lat, lon, pair, easting, northing, zone, datum, wkt;
};

coordinate_columns find_coordinates(const std::vector<std::string>& headers, const std::map<std::string, std::string>& mapping) {
    coordinate_columns c;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        std::string f = fold(headers[i]);
        if (const auto m = mapping.find(trim(headers[i])); m != mapping.end()) f = fold(m->second);
        if (one_of(f, {"lat", "latitude", "ละติจูด", "ละติจูต"})) c.lat = i;
        if (one_of(f, {"lon", "lng", "long", "longitude", "ลองจิจูด", "ลองติจูด"})) c.lon = i;
        if (one_of(f, {"latlon", "latlng", "lat,lon", "lat,lng", "location", "coordinates", "coords", "พิกัด", "ตำแหน่ง",
                       "googlemaps"})) {
            c.pair = i;
        }
        if (one_of(f, {"easting", "e", "utme", "utmx", "x", "อีสติ้ง"})) c.easting = i;
        if (one_of(f, {"northing", "n", "utmn", "utmy", "y", "นอร์ทติ้ง"})) c.northing = i;
        if (one_of(f, {"zone", "utmzone", "โซน"})) c.zone = i;
        if (one_of(f, {"datum", "หลักฐาน", "พื้นหลักฐาน"})) c.datum = i;
        if (one_of(f, {"wkt", "geometry", "geom", "thegeom", "รูปแปลง", "ขอบเขต"})) c.wkt = i;
    }
    return c;
}

/// The location of one CSV record, from whichever columns the file has.
void csv_location(const csv_record& rec, const coordinate_columns& cols, const import_options& o, source_row& row) {
    const auto cell = [&](std::optional<std::size_t> i) { return i && *i < rec.cells.size() ? trim(rec.cells[*i]) : std::string(); };
    const geo::crs& crs = o.crs ? *o.crs : geo::crs84();
    if (!cell(cols.wkt).empty()) return take_wkt(cell(cols.wkt), crs, row);
    if (!cell(cols.lat).empty() || !cell(cols.lon).empty()) {
        const auto lat = number(cell(cols.lat));
        const auto lon = number(cell(cols.lon));
        if (!lat || !lon) {
            row.problem = "bad coordinate: latitude \"" + cell(cols.lat) + "\", longitude \"" + cell(cols.lon) +
                          "\" (decimal degrees, like 16.4321 and 102.8123)";
            return;
        }
        row.point = geo::point{*lon, *lat};
        return;
    }
    if (!cell(cols.pair).empty()) {
        // As Google Maps copies it: "16.4321, 102.8123" (latitude first).
        std::string text = cell(cols.pair);
        const auto sep = text.find_first_of(", ");
        const auto second = sep == std::string::npos ? sep : text.find_first_not_of(", ", sep); // "17.01, " has none
        const auto lat = sep == std::string::npos ? std::nullopt : number(text.substr(0, sep));
        const auto lon = second == std::string::npos ? std::nullopt : number(trim(text.substr(second)));
        if (!lat || !lon) {
            row.problem = "bad coordinate \"" + geo::utf8_prefix(text, 60) + "\": expected \"latitude, longitude\" as Google Maps copies it";
            return;
        }
        row.point = geo::point{*lon, *lat};
        return;
    }
    if (!cell(cols.easting).empty() || !cell(cols.northing).empty()) {
        const auto e = number(cell(cols.easting));
        const auto n = number(cell(cols.northing));
        if (!e || !n) {
            row.problem = "bad coordinate: easting \"" + cell(cols.easting) + "\", northing \"" + cell(cols.northing) + "\"";
            return;
        }
        const std::string zone = cell(cols.zone);
        const geo::crs* from = o.crs;
        if (!zone.empty()) {
            const std::string datum = fold(cell(cols.datum));
            const bool indian = datum.find("indian") != std::string::npos || datum.find("1975") != std::string::npos ||
                                datum.find("ind75") != std::string::npos || datum.find("อินเดียน") != std::string::npos;
            if (!zone.starts_with("47") && !zone.starts_with("48")) {
                row.problem = "UTM zone \"" + zone + "\" is not 47 or 48 (Thailand's zones)";
                return;
            }
            from = &geo::find_crs(std::string(indian ? "EPSG:240" : "EPSG:326") + zone.substr(0, 2));
        } else if (!from) {
            if (std::abs(*e) > 180 || std::abs(*n) > 90) {
                row.problem = "easting/northing without a UTM zone: add a zone column (47 or 48) and a datum (WGS 84 or Indian 1975)";
                return;
            }
            from = &geo::crs84(); // x/y columns holding longitude/latitude
        }
        try {
            row.point = geo::transformer_for(*from, geo::crs84()).apply({*e, *n});
        } catch (const error& err) {
            row.problem = err.what();
        }
        return;
    }
    row.problem = "no coordinates in this row";
}

std::vector<source_row> rows_from_csv(const std::filesystem::path& file, const import_options& o) {
    std::ifstream in(file, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!valid_utf8(text)) throw bad_request("the CSV is not UTF-8 (Google Sheets exports UTF-8; re-save it as UTF-8)");
    const std::vector<csv_record> records = read_csv(text);
    if (records.empty()) throw bad_request("the CSV is empty");
    const std::vector<std::string>& headers = records.front().cells;
    const coordinate_columns cols = find_coordinates(headers, o.mapping);
    if (!cols.wkt && !(cols.lat && cols.lon) && !cols.pair && !(cols.easting && cols.northing)) {
        throw bad_request("the CSV has no location columns: give lat and lon, one \"lat, lon\" column (as Google Maps "
                          "copies it), easting and northing with zone (47/48) and datum, or WKT; or name them with --map");
    }
    std::vector<source_row> rows;
    for (std::size_t r = 1; r < records.size(); ++r) {
        const csv_record& rec = records[r];
        source_row row;
        row.where = "line " + std::to_string(rec.line);
        if (rec.cells.size() != headers.size()) {
            row.problem = "has " + std::to_string(rec.cells.size()) + " cells, the header has " + std::to_string(headers.size());
            rows.push_back(std::move(row));
            continue;
        }
        for (std::size_t i = 0; i < headers.size(); ++i) row.fields.emplace_back(headers[i], rec.cells[i]);
        csv_location(rec, cols, o, row);
        rows.push_back(std::move(row));
    }
    return rows;
}

// ---- GDAL formats --------------------------------------------------------------------------

struct dataset_closer {
    void operator()(GDALDatasetH ds) const noexcept { GDALClose(ds); }
};
struct feature_deleter {
    void operator()(OGRFeatureH f) const noexcept { OGR_F_Destroy(f); }
};
struct srs_deleter {
    void operator()(OGRSpatialReferenceH s) const noexcept { OSRRelease(s); }
};
struct transform_deleter {
    void operator()(OGRCoordinateTransformationH t) const noexcept { OCTDestroyCoordinateTransformation(t); }
};

/// Refuses an archive whose entries would unpack beyond the limits, from its central
/// directory alone (nothing is inflated).
void check_archive(const std::filesystem::path& file, const import_options& o) {
    const std::string root = "/vsizip/" + file.string();
    std::unique_ptr<char*, decltype(&CSLDestroy)> names(VSIReadDirRecursive(root.c_str()), &CSLDestroy);
    if (!names) throw bad_request("the file is not a readable zip archive");
    std::uint64_t total = 0;
    std::size_t entries = 0;
    for (char** n = names.get(); *n != nullptr; ++n) {
        if (++entries > o.max_archive_entries) {
            throw payload_too_large("the archive holds more than " + std::to_string(o.max_archive_entries) + " files");
        }
        VSIStatBufL st{};
        if (VSIStatL((root + "/" + *n).c_str(), &st) == 0 && !VSI_ISDIR(st.st_mode)) total += static_cast<std::uint64_t>(st.st_size);
        if (total > o.max_unpacked_bytes) {
            throw payload_too_large("the archive would unpack to more than " + std::to_string(o.max_unpacked_bytes >> 20) +
                                    " MiB; send the files unzipped or in smaller parts");
        }
    }
}

std::vector<source_row> rows_from_gdal(const std::filesystem::path& file, import_format format, const import_options& o) {
    if (format == import_format::shp_zip || format == import_format::kmz) check_archive(file, o);
    static const bool registered = [] {
        GDALAllRegister();
        return true;
    }();
    (void)registered;
    // Shapefile text is taken as stored and recoded here (UTF-8 kept, anything else read as
    // CP874), so a missing or wrong .cpg does not garble Thai.
    CPLSetThreadLocalConfigOption("SHAPE_ENCODING", "");
    std::string path = file.string();
    if (format == import_format::shp_zip) path = "/vsizip/" + path;
    static const char* const kml_drivers[] = {"LIBKML", nullptr};
    const char* const* drivers = format == import_format::kml || format == import_format::kmz ? kml_drivers : nullptr;
    std::unique_ptr<void, dataset_closer> ds(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr));
    CPLSetThreadLocalConfigOption("SHAPE_ENCODING", nullptr);
    if (!ds) {
        throw bad_request("the file cannot be read as " + std::string(import_format_name(format)) + ": " +
                          geo::utf8_prefix(CPLGetLastErrorMsg(), 200));
    }
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, srs_deleter> wgs84(OSRNewSpatialReference(nullptr));
    OSRSetWellKnownGeogCS(wgs84.get(), "WGS84");
    OSRSetAxisMappingStrategy(wgs84.get(), OAMS_TRADITIONAL_GIS_ORDER);
    std::vector<source_row> rows;
    const int layers = GDALDatasetGetLayerCount(ds.get());
    std::int64_t index = 0;
    for (int l = 0; l < layers; ++l) {
        OGRLayerH layer = GDALDatasetGetLayer(ds.get(), l);
        const std::string layer_name = OGR_L_GetName(layer);
        // GPX: waypoints are plots; tracks and routes are not.
        if (format == import_format::gpx && layer_name != "waypoints") continue;
        std::unique_ptr<std::remove_pointer_t<OGRCoordinateTransformationH>, transform_deleter> to_wgs84;
        if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer)) {
            OGRSpatialReferenceH own = OSRClone(srs);
            OSRSetAxisMappingStrategy(own, OAMS_TRADITIONAL_GIS_ORDER);
            if (!OSRIsSame(own, wgs84.get())) to_wgs84.reset(OCTNewCoordinateTransformation(own, wgs84.get()));
            OSRRelease(own);
        }
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        OGR_L_ResetReading(layer);
        while (true) {
            std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, feature_deleter> f(OGR_L_GetNextFeature(layer));
            if (!f) break;
            source_row row;
            row.where = "feature " + std::to_string(++index) + (layers > 1 ? " (layer " + layer_name + ")" : "");
            for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
                if (!OGR_F_IsFieldSetAndNotNull(f.get(), i)) continue;
                row.fields.emplace_back(to_utf8(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i))), to_utf8(OGR_F_GetFieldAsString(f.get(), i)));
            }
            OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
            if (g == nullptr || OGR_G_IsEmpty(g)) {
                row.problem = "no geometry";
            } else {
                geometry_ptr copy(OGR_G_Clone(g));
                if (to_wgs84 && OGR_G_Transform(copy.get(), to_wgs84.get()) != OGRERR_NONE) {
                    row.problem = "the geometry cannot be transformed to WGS 84";
                } else {
                    try {
                        take_geometry(copy.get(), row);
                    } catch (const error& e) {
                        row.problem = e.what();
                    }
                }
            }
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

// ---- columns to plot fields ----------------------------------------------------------------

using setter = void (*)(plot_draft&, const std::string&);

std::optional<std::string> text_or_none(const std::string& v) {
    std::string t = trim(v);
    return t.empty() ? std::nullopt : std::optional(t);
}

std::int64_t whole_number(const std::string& v, const char* field) {
    std::string t = trim(v);
    // "หมู่ที่ 5" or "ม.5" -> 5
    const auto digit = t.find_first_of("0123456789");
    if (digit != std::string::npos && std::string_view(field) == "village_no") t = t.substr(digit);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc{} || end != t.data() + t.size()) throw bad_request(std::string(field) + " \"" + geo::utf8_prefix(v, 40) + "\" is not a whole number");
    return n;
}

std::string program_value(const std::string& v) {
    const std::string f = fold(v);
    if (f == "hlm" || f.find("ครัวเรือน") != std::string::npos) return "HLM";
    if (f == "clm" || f.find("ชุมชน") != std::string::npos) return "CLM";
    return trim(v);
}

std::string deed_value(const std::string& v) {
    const std::string f = fold(v);
    if (f.find("โฉนด") != std::string::npos || f == "chanote" || f == "ns4") return "chanote";
    if (f.find("ส.ป.ก") != std::string::npos || f.find("สปก") != std::string::npos || f == "spk401") return "spk401";
    if (f.find("น.ส.3ก") != std::string::npos || f.find("นส3ก") != std::string::npos || f == "ns3k") return "ns3k";
    if (f.find("น.ส.3") != std::string::npos || f.find("นส3") != std::string::npos || f == "ns3") return "ns3";
    if (f.find("ไม่มี") != std::string::npos || f == "none") return "none";
    if (f.find("อื่น") != std::string::npos || f == "other") return "other";
    return trim(v);
}

std::string stage_value(const std::string& v) {
    const std::string f = fold(v);
    if (f.find("สำรวจ") != std::string::npos) return "surveyed";
    if (f.find("ขุด") != std::string::npos) return "digging";
    if (f.find("ปลูก") != std::string::npos) return "planting";
    if (f.find("เสร็จ") != std::string::npos) return "complete";
    return trim(v);
}

struct field_alias {
    const char* field;
    std::vector<std::string_view> names; ///< folded spellings
    setter set;
};

const std::vector<field_alias>& aliases() {
    static const std::vector<field_alias> all{
        {"uid", {"uid", "uuid"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.uid = *t; }},
        {"code", {"code", "plotcode", "รหัส", "รหัสแปลง"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.code = *t; }},
        {"program", {"program", "programme", "โครงการ", "ประเภท", "ประเภทแปลง"},
         [](plot_draft& d, const std::string& v) { if (text_or_none(v)) d.program = program_value(v); }},
        {"name", {"name", "plotname", "ชื่อแปลง", "ชื่อ"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.name = *t; }},
        {"owner_name", {"ownername", "owner", "เจ้าของ", "ชื่อเจ้าของ", "ชื่อสกุล", "ชื่อนามสกุล", "เกษตรกร", "ชื่อเกษตรกร"},
         [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.owner_name = *t; }},
        {"owner_phone", {"ownerphone", "phone", "tel", "telephone", "โทร", "เบอร์โทร", "เบอร์โทรศัพท์", "โทรศัพท์"},
         [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.owner_phone = *t; }},
        {"village_no", {"villageno", "village", "moo", "หมู่", "หมู่ที่"},
         [](plot_draft& d, const std::string& v) { if (text_or_none(v)) d.village_no = whole_number(v, "village_no"); }},
        {"notes", {"notes", "note", "description", "desc", "cmt", "หมายเหตุ", "รายละเอียด"},
         [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.notes = *t; }},
        {"deed_type", {"deedtype", "ประเภทเอกสารสิทธิ์", "เอกสารสิทธิ์"},
         [](plot_draft& d, const std::string& v) { if (text_or_none(v)) d.deed_type = deed_value(v); }},
        {"deed_no", {"deedno", "deednumber", "เลขที่เอกสารสิทธิ์", "เลขโฉนด", "เลขที่โฉนด"},
         [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.deed_no = *t; }},
        {"declared_area_rai", {"declaredarearai", "declaredrai", "เนื้อที่", "เนื้อที่ไร่งานวา", "ไร่งานวา"},
         [](plot_draft& d, const std::string& v) {
             if (auto t = text_or_none(v)) d.declared_area_m2 = geo::parse_rai_ngan_wa(*t).to_m2();
         }},
        {"declared_area_m2", {"declaredaream2", "declaredm2"},
         [](plot_draft& d, const std::string& v) {
             if (!text_or_none(v)) return;
             const auto n = number(v);
             if (!n) throw bad_request("declared_area_m2 \"" + geo::utf8_prefix(v, 40) + "\" is not a number");
             d.declared_area_m2 = *n;
         }},
        {"stage", {"stage", "ขั้นตอน", "สถานะ"}, [](plot_draft& d, const std::string& v) { if (text_or_none(v)) d.stage = stage_value(v); }},
        {"budget_year", {"budgetyear", "year", "ปีงบประมาณ", "ปีงบ"},
         [](plot_draft& d, const std::string& v) {
             if (!text_or_none(v)) return;
             const std::int64_t y = whole_number(v, "budget_year");
             d.budget_year = y > 2400 ? y - 543 : y; // Thai sheets write Buddhist Era years
         }},
        {"adm1", {"adm1", "provincecode", "รหัสจังหวัด"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.adm1 = *t; }},
        {"adm2", {"adm2", "districtcode", "รหัสอำเภอ"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.adm2 = *t; }},
        {"adm3", {"adm3", "subdistrictcode", "รหัสตำบล"}, [](plot_draft& d, const std::string& v) { if (auto t = text_or_none(v)) d.adm3 = *t; }},
        {"pin_accuracy_m", {"pinaccuracym", "accuracy"},
         [](plot_draft& d, const std::string& v) {
             if (const auto n = number(v)) d.pin_accuracy_m = *n;
         }},
    };
    return all;
}

/// Columns that describe the location or are computed by plotmap: read, not imported.
bool location_or_computed(const std::string& folded) {
    return one_of(folded, {"lat", "latitude", "lon", "lng", "long", "longitude", "latlon", "latlng", "location", "coordinates",
                           "coords", "พิกัด", "ตำแหน่ง", "easting", "northing", "e", "n", "x", "y", "zone", "utmzone", "datum",
                           "wkt", "geometry", "geom", "id", "fid", "aream2", "arearai", "perimeterm", "version", "createdat",
                           "createdby", "updatedat", "updatedby", "adm1name", "adm2name", "adm3name", "stagechangedat",
                           "budgetyearbe", "deletedat", "ละติจูด", "ลองจิจูด", "โซน", "หลักฐาน",
                           // KML styling and time members (Google My Maps, GDAL's LIBKML)
                           "tessellate", "extrude", "visibility", "timestamp", "begin", "end", "altitudemode", "draworder",
                           "icon", "snippet", "styleurl"});
}

const field_alias* alias_for(const std::string& header, const std::map<std::string, std::string>& mapping, bool& ignored) {
    ignored = false;
    std::string target = fold(header);
    if (const auto m = mapping.find(trim(header)); m != mapping.end()) {
        if (m->second.empty()) {
            ignored = true;
            return nullptr;
        }
        for (const field_alias& a : aliases()) {
            if (m->second == a.field) return &a;
        }
        target = fold(m->second);
    }
    for (const field_alias& a : aliases()) {
        if (std::find(a.names.begin(), a.names.end(), target) != a.names.end()) return &a;
    }
    return nullptr;
}

/// A stable uid for a row with neither uid nor code, from its location and name: the same
/// row imported again (even with other columns corrected) matches the plot it made.
std::string fingerprint(const source_row& row, const std::string& name) {
    std::string key;
    if (row.point) key += geo::to_wkb(*row.point);
    if (row.polygon) key += geo::to_wkb(*row.polygon);
    key += "\x1f" + name;
    std::array<unsigned char, 16> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
    std::uint64_t hi = 0, lo = 0;
    for (int i = 0; i < 8; ++i) {
        hi = (hi << 8) | h[static_cast<std::size_t>(i)];
        lo = (lo << 8) | h[static_cast<std::size_t>(i + 8)];
    }
    return uuid_v4(hi, lo);
}

} // namespace

import_format import_format_of(std::string_view name) {
    std::string n;
    for (const char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    const auto ends = [&](std::string_view ext) { return n == ext.substr(1) || n.ends_with(ext); };
    if (ends(".csv")) return import_format::csv;
    if (ends(".kml")) return import_format::kml;
    if (ends(".kmz")) return import_format::kmz;
    if (ends(".geojson") || ends(".json")) return import_format::geojson;
    if (ends(".shp.zip") || ends(".zip") || n == "shp") return import_format::shp_zip;
    if (ends(".gpkg")) return import_format::gpkg;
    if (ends(".gpx")) return import_format::gpx;
    throw bad_request("cannot tell the format of \"" + geo::utf8_prefix(name, 60) +
                      "\": imports take .csv, .kml, .kmz, .geojson, .zip (Shapefile), .gpkg or .gpx");
}

std::string_view import_format_name(import_format f) noexcept {
    switch (f) {
    case import_format::csv: return "CSV";
    case import_format::kml: return "KML";
    case import_format::kmz: return "KMZ";
    case import_format::geojson: return "GeoJSON";
    case import_format::shp_zip: return "zipped Shapefile";
    case import_format::gpkg: return "GeoPackage";
    case import_format::gpx: return "GPX";
    }
    return "";
}

import_report import_plots(plot_registry& registry, const std::filesystem::path& file, import_format format,
                           const import_options& o, const editor& who) {
    if (sodium_init() < 0) throw error("libsodium could not be initialised");
    const std::vector<source_row> rows = format == import_format::csv ? rows_from_csv(file, o) : rows_from_gdal(file, format, o);
    import_report report;
    report.format = std::string(import_format_name(format));
    report.dry_run = o.dry_run;
    report.rows = static_cast<std::int64_t>(rows.size());

    // Which columns become which fields (the same for every row of a file).
    std::map<std::string, const field_alias*> used;
    for (const source_row& row : rows) {
        for (const auto& [name, value] : row.fields) {
            if (used.contains(name)) continue;
            bool ignored = false;
            const field_alias* a = alias_for(name, o.mapping, ignored);
            used[name] = a;
            if (a) {
                report.columns_used.push_back(name + " -> " + a->field);
            } else if (!location_or_computed(fold(name)) || ignored) {
                report.columns_ignored.push_back(name);
            }
        }
    }
    bool by_uid = false, by_code = false, by_fingerprint = false;
    std::vector<import_item> items;
    items.reserve(rows.size());
    for (const source_row& row : rows) {
        import_item item;
        item.where = row.where;
        item.problem = row.problem;
        if (!row.problem && !row.point && !row.polygon) item.problem = "no coordinates in this row";
        std::string plot_name;
        for (const auto& [name, value] : row.fields) {
            const field_alias* a = used[name];
            if (!a) continue;
            if (std::string_view(a->field) == "uid" && !trim(value).empty()) item.uid = trim(value);
            if (std::string_view(a->field) == "code" && !trim(value).empty()) item.code = trim(value);
            if (std::string_view(a->field) == "name") plot_name = trim(value);
        }
        if (item.uid) {
            by_uid = true;
        } else if (item.code) {
            by_code = true;
        } else {
            item.uid = fingerprint(row, plot_name);
            by_fingerprint = true;
        }
        item.apply = [&row, &used, &o](plot_draft& d) {
            for (const auto& [name, value] : row.fields) {
                if (const field_alias* a = used[name]) {
                    try {
                        a->set(d, value);
                    } catch (const error& e) {
                        throw bad_request(std::string(e.what()) + " (column \"" + name + "\")");
                    }
                }
            }
            if (!d.program && o.default_program) d.program = *o.default_program;
            if (!d.program) throw bad_request("no programme: add a program column (HLM/CLM) or give a default programme");
            if (row.point) {
                d.pin = row.point;
                d.pin_source = "import";
            }
            if (row.polygon) d.boundary = row.polygon;
        };
        items.push_back(std::move(item));
    }
    std::vector<std::string> how;
    if (by_uid) how.emplace_back("uid");
    if (by_code) how.emplace_back("code");
    if (by_fingerprint) how.emplace_back("location and name (rows with neither uid nor code)");
    for (std::size_t i = 0; i < how.size(); ++i) report.matching += (i ? ", " : "") + how[i];
    if (report.matching.empty()) report.matching = "nothing (no rows)";

    const batch_outcome outcome = registry.write_batch(items, who, o.dry_run);
    report.created = outcome.created;
    report.updated = outcome.updated;
    report.unchanged = outcome.unchanged;
    report.applied = outcome.applied;
    report.touched = outcome.touched;
    for (const auto& [where, reason] : outcome.rejected) report.rejected.push_back({where, reason});
    for (const auto& [where, message] : outcome.warnings) report.warnings.push_back({where, message});
    return report;
}

} // namespace plotmap::data
