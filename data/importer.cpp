#include "data/importer.hpp"

#include "data/import_text.hpp"
#include "data/uuid.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <cpl_conv.h>
#include <cpl_minixml.h>
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
    std::vector<std::string> notes;                          ///< how something was read that a person should check
};

using import_text::fold;
using import_text::trim;

/// Thai text from a Shapefile without a (right) .cpg is TIS-620/CP874: recode what is not UTF-8.
std::string to_utf8(const char* raw) {
    if (geo::is_valid_utf8(raw)) return raw;
    char* recoded = CPLRecode(raw, "CP874", CPL_ENC_UTF8);
    std::string out = recoded != nullptr ? recoded : raw;
    CPLFree(recoded);
    return out;
}

/// A field's value as text. Numbers in their shortest exact form (GDAL's own text for them
/// goes through printf, a tenth of a large import's reading).
std::string field_text(OGRFeatureH f, int i, OGRFieldDefnH field) {
    const OGRFieldType type = OGR_Fld_GetType(field);
    char buf[32];
    std::to_chars_result r{};
    if (type == OFTReal && OGR_Fld_GetSubType(field) == OFSTFloat32) {
        r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(OGR_F_GetFieldAsDouble(f, i)));
    } else if (type == OFTReal) {
        r = std::to_chars(buf, buf + sizeof buf, OGR_F_GetFieldAsDouble(f, i));
    } else if (type == OFTInteger || type == OFTInteger64) {
        r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(OGR_F_GetFieldAsInteger64(f, i)));
    } else {
        return to_utf8(OGR_F_GetFieldAsString(f, i));
    }
    return std::string(buf, r.ptr);
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
        char lat_hemisphere = 0, lon_hemisphere = 0;
        const auto lat = import_text::parse_angle(cell(cols.lat), &lat_hemisphere);
        const auto lon = import_text::parse_angle(cell(cols.lon), &lon_hemisphere);
        if (!lat || !lon) {
            row.problem = "bad coordinate: latitude \"" + geo::utf8_prefix(cell(cols.lat), 40) + "\", longitude \"" +
                          geo::utf8_prefix(cell(cols.lon), 40) +
                          "\" (decimal degrees like 16.4321 and 102.8123, or degrees-minutes-seconds like 16°24'12.1\"N)";
            return;
        }
        const bool lettered_other_way = lat_hemisphere == 'E' || lat_hemisphere == 'W' || lon_hemisphere == 'N' || lon_hemisphere == 'S';
        if (lettered_other_way || (!lat_hemisphere && !lon_hemisphere && import_text::looks_swapped(*lat, *lon))) {
            row.point = geo::point{*lat, *lon};
            row.notes.push_back("the latitude and longitude columns look swapped (longitude, latitude): read as latitude " +
                                std::to_string(*lon) + ", longitude " + std::to_string(*lat));
        } else {
            row.point = geo::point{*lon, *lat};
        }
        return;
    }
    if (!cell(cols.pair).empty()) {
        // As Google Maps copies it ("16.4321, 102.8123", latitude first) or a GPS shows it.
        const std::string text = cell(cols.pair);
        const auto ll = import_text::parse_lat_lon(text);
        if (!ll) {
            row.problem = "bad coordinate \"" + geo::utf8_prefix(text, 60) +
                          "\": expected \"latitude, longitude\" as Google Maps copies it, or degrees-minutes-seconds "
                          "like 16°24'12.1\"N 103°30'20.4\"E";
            return;
        }
        row.point = ll->lonlat;
        if (ll->swapped) {
            row.notes.push_back("\"" + geo::utf8_prefix(text, 60) + "\" looks like longitude, latitude: read as latitude " +
                                std::to_string(ll->lonlat.y) + ", longitude " + std::to_string(ll->lonlat.x));
        }
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
    if (!geo::is_valid_utf8(text)) throw bad_request("the CSV is not UTF-8 (Google Sheets exports UTF-8; re-save it as UTF-8)");
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
            // OGC:CRS84 (what GeoJSON and plotmap's own exports say) is WGS 84 in lon/lat order,
            // which both sides are read in here: nothing to transform.
            const char* const same[] = {"CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", nullptr};
            if (!OSRIsSameEx(own, wgs84.get(), same)) to_wgs84.reset(OCTNewCoordinateTransformation(own, wgs84.get()));
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
                OGRFieldDefnH field = OGR_FD_GetFieldDefn(defn, i);
                row.fields.emplace_back(to_utf8(OGR_Fld_GetNameRef(field)), field_text(f.get(), i, field));
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

// ---- KML and KMZ (Google My Maps) -----------------------------------------------------------

/// A file inside a zip, or a plain file, as text.
std::string read_vsi(const std::string& path) {
    VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
    if (f == nullptr) throw bad_request("cannot read " + geo::utf8_prefix(path, 80));
    std::string out;
    char buf[65536];
    for (std::size_t n; (n = VSIFReadL(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    VSIFCloseL(f);
    return out;
}

struct xml_deleter {
    void operator()(CPLXMLNode* n) const noexcept { CPLDestroyXMLNode(n); }
};

bool is_element(const CPLXMLNode* n, std::string_view name) {
    return n->eType == CXT_Element && name == n->pszValue;
}

std::string text_of(const CPLXMLNode* n) {
    std::string out;
    for (const CPLXMLNode* c = n ? n->psChild : nullptr; c != nullptr; c = c->psNext) {
        if (c->eType == CXT_Text) out += c->pszValue;
    }
    return trim(out);
}

const CPLXMLNode* child(const CPLXMLNode* n, std::string_view name) {
    for (const CPLXMLNode* c = n ? n->psChild : nullptr; c != nullptr; c = c->psNext) {
        if (is_element(c, name)) return c;
    }
    return nullptr;
}

std::string attribute(const CPLXMLNode* n, std::string_view name) {
    for (const CPLXMLNode* c = n->psChild; c != nullptr; c = c->psNext) {
        if (c->eType == CXT_Attribute && name == c->pszValue) return text_of(c);
    }
    return {};
}

/// KML coordinates: "lon,lat[,alt]" tuples separated by white space.
std::optional<geo::ring> kml_coordinates(const CPLXMLNode* n) {
    const std::string text = text_of(child(n, "coordinates"));
    geo::ring out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= text.size()) break;
        std::size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        const std::string tuple = text.substr(i, j - i);
        i = j;
        const auto comma = tuple.find(',');
        if (comma == std::string::npos) return std::nullopt;
        const auto second = tuple.find(',', comma + 1);
        const auto lon = number(tuple.substr(0, comma));
        const auto lat = number(tuple.substr(comma + 1, second == std::string::npos ? std::string::npos : second - comma - 1));
        if (!lon || !lat) return std::nullopt;
        out.push_back({*lon, *lat});
    }
    if (out.empty()) return std::nullopt;
    return out;
}

void kml_geometry(const CPLXMLNode* n, source_row& row, int depth) {
    for (const CPLXMLNode* g = n->psChild; g != nullptr && !row.problem; g = g->psNext) {
        if (g->eType != CXT_Element) continue;
        const std::string_view kind = g->pszValue;
        if (kind == "Point") {
            const auto pts = kml_coordinates(g);
            if (!pts || pts->size() != 1) {
                row.problem = "a point's coordinates cannot be read (KML writes longitude,latitude)";
            } else if (row.point) {
                row.problem = "a placemark with more than one point: give each plot its own placemark";
            } else {
                row.point = pts->front();
            }
        } else if (kind == "Polygon") {
            geo::polygon poly;
            const auto ring_of = [&](const CPLXMLNode* boundary) {
                const auto r = kml_coordinates(child(boundary, "LinearRing"));
                if (!r) row.problem = "a polygon's coordinates cannot be read (KML writes longitude,latitude)";
                return r.value_or(geo::ring{});
            };
            if (const CPLXMLNode* outer = child(g, "outerBoundaryIs")) poly.rings.push_back(ring_of(outer));
            for (const CPLXMLNode* c = g->psChild; c != nullptr; c = c->psNext) {
                if (is_element(c, "innerBoundaryIs")) poly.rings.push_back(ring_of(c));
            }
            if (poly.rings.empty() && !row.problem) row.problem = "a polygon without an outer boundary";
            if (!row.polygon) row.polygon = geo::multi_polygon{};
            row.polygon->polygons.push_back(std::move(poly));
        } else if (kind == "MultiGeometry" && depth < 8) {
            kml_geometry(g, row, depth + 1);
        } else if (kind == "LineString" || kind == "LinearRing" || kind == "Track" || kind == "MultiTrack") {
            row.problem = "a line is not a plot: draw the boundary as a polygon (or give a point)";
        } else if (kind == "Model") {
            row.problem = "unsupported geometry type Model";
        }
    }
}

/// Google My Maps exports: placemarks in folders (layers), their table columns as
/// ExtendedData with the sheet's own (often Thai) column names. GDAL's drivers rename
/// non-ASCII field names, so the KML is read here, names as written.
std::vector<source_row> rows_from_kml(const std::filesystem::path& file, import_format format, const import_options& o) {
    std::string text;
    if (format == import_format::kmz) {
        check_archive(file, o);
        const std::string root = "/vsizip/" + file.string();
        std::unique_ptr<char*, decltype(&CSLDestroy)> names(VSIReadDirRecursive(root.c_str()), &CSLDestroy);
        std::string chosen;
        for (char** n = names.get(); n != nullptr && *n != nullptr; ++n) {
            const std::string name = *n;
            if (name == "doc.kml" || (chosen.empty() && name.size() > 4 && fold(name.substr(name.size() - 4)) == "kml")) chosen = name;
        }
        if (chosen.empty()) throw bad_request("the KMZ holds no .kml file");
        text = read_vsi(root + "/" + chosen);
    } else {
        text = read_vsi(file.string());
    }
    if (!geo::is_valid_utf8(text)) throw bad_request("the KML is not UTF-8 (Google My Maps writes UTF-8)");
    CPLErrorReset();
    std::unique_ptr<CPLXMLNode, xml_deleter> root(CPLParseXMLString(text.c_str()));
    if (!root) throw bad_request("the file cannot be read as KML: " + geo::utf8_prefix(CPLGetLastErrorMsg(), 200));
    CPLStripXMLNamespace(root.get(), nullptr, TRUE);
    const CPLXMLNode* kml = root.get(); // after the <?xml ...?> declaration, if any
    while (kml != nullptr && !is_element(kml, "kml")) kml = kml->psNext;
    if (kml == nullptr) throw bad_request("the file cannot be read as KML: it has no <kml> element");

    // Placemarks in document order with the folder (layer) each is in.
    std::vector<std::pair<std::string, const CPLXMLNode*>> placemarks;
    std::vector<std::string> folders;
    std::vector<std::pair<const CPLXMLNode*, std::string>> stack{{kml, ""}};
    while (!stack.empty()) {
        const auto [node, folder] = stack.back();
        stack.pop_back();
        std::vector<std::pair<const CPLXMLNode*, std::string>> children;
        for (const CPLXMLNode* c = node->psChild; c != nullptr; c = c->psNext) {
            if (c->eType != CXT_Element) continue;
            if (is_element(c, "Placemark")) {
                placemarks.emplace_back(folder, c);
                if (std::find(folders.begin(), folders.end(), folder) == folders.end()) folders.push_back(folder);
                continue;
            }
            const bool container = is_element(c, "Folder") || is_element(c, "Document");
            children.emplace_back(c, container && child(c, "name") ? text_of(child(c, "name")) : folder);
        }
        for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
        if (stack.size() > 100000) throw bad_request("the KML is nested too deeply");
    }
    if (placemarks.empty()) throw bad_request("the KML has no placemarks");

    std::vector<source_row> rows;
    std::int64_t index = 0;
    for (const auto& [folder, pm] : placemarks) {
        source_row row;
        row.where = "feature " + std::to_string(++index) + (folders.size() > 1 ? " (layer " + folder + ")" : "");
        if (const CPLXMLNode* data = child(pm, "ExtendedData")) {
            for (const CPLXMLNode* d = data->psChild; d != nullptr; d = d->psNext) {
                if (is_element(d, "Data")) {
                    row.fields.emplace_back(attribute(d, "name"), text_of(child(d, "value")));
                } else if (is_element(d, "SchemaData")) {
                    for (const CPLXMLNode* sd = d->psChild; sd != nullptr; sd = sd->psNext) {
                        if (is_element(sd, "SimpleData")) row.fields.emplace_back(attribute(sd, "name"), text_of(sd));
                    }
                }
            }
        }
        const std::string name = text_of(child(pm, "name"));
        if (!name.empty()) row.fields.emplace_back("name", name);
        if (const std::string description = text_of(child(pm, "description")); !description.empty()) {
            row.fields.emplace_back("description", description);
        }
        kml_geometry(pm, row, 0);
        if (!row.problem && !row.point && !row.polygon) row.problem = "no geometry";
        rows.push_back(std::move(row));
    }
    return rows;
}

// ---- columns to plot fields ----------------------------------------------------------------

/// Sets a field from a cell; `header` is the column's own name (its unit, for areas).
using setter = void (*)(plot_draft&, const std::string& value, std::string_view header);

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

void set_area(plot_draft& d, const std::string& v, std::string_view header, import_text::area_unit fallback) {
    if (!text_or_none(v)) return;
    d.declared_area_m2 = import_text::area_m2(v, import_text::unit_of(header, fallback));
}

void no_field(plot_draft&, const std::string&, std::string_view) {}

struct field_alias {
    const char* field;
    std::vector<std::string_view> names;    ///< exact spellings (folded)
    std::vector<std::string_view> contains; ///< words a longer header may hold (normalised), e.g. "เจ้าของ"
    setter set;
};

/// The columns plotmap reads, most specific first (a phone column also names the owner, a
/// deed-number column also says "เอกสารสิทธิ์"). Columns named *_name are checks, not fields:
/// a province, district or subdistrict name is compared with where the location lies.
const std::vector<field_alias>& aliases() {
    static const std::vector<field_alias> all{
        {"uid", {"uid", "uuid"}, {}, [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.uid = *t; }},
        {"adm1", {"adm1", "provincecode", "รหัสจังหวัด"}, {"รหัสจังหวัด"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.adm1 = *t; }},
        {"adm2", {"adm2", "districtcode", "รหัสอำเภอ"}, {"รหัสอำเภอ"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.adm2 = *t; }},
        {"adm3", {"adm3", "subdistrictcode", "รหัสตำบล"}, {"รหัสตำบล"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.adm3 = *t; }},
        {"code", {"code", "plotcode", "รหัส", "รหัสแปลง"}, {"รหัสแปลง"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.code = *t; }},
        {"owner_phone", {"ownerphone", "phone", "tel", "telephone", "mobile", "โทร", "เบอร์โทร", "เบอร์โทรศัพท์", "โทรศัพท์"},
         {"โทร", "phone", "mobile"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.owner_phone = *t; }},
        {"deed_no", {"deedno", "deednumber", "เลขที่เอกสารสิทธิ์", "เลขโฉนด", "เลขที่โฉนด"}, {"เลขที่เอกสาร", "เลขเอกสาร", "เลขโฉนด", "เลขที่โฉนด"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.deed_no = *t; }},
        {"deed_type", {"deedtype", "ประเภทเอกสารสิทธิ์", "เอกสารสิทธิ์"}, {"เอกสารสิทธิ"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (text_or_none(v)) d.deed_type = deed_value(v); }},
        {"owner_name", {"ownername", "owner", "เจ้าของ", "ชื่อเจ้าของ", "ชื่อสกุล", "ชื่อนามสกุล", "เกษตรกร", "ชื่อเกษตรกร"},
         {"เจ้าของ", "เกษตรกร", "ชื่อสกุล", "ชื่อนามสกุล", "owner", "farmer"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.owner_name = *t; }},
        {"program", {"program", "programme", "โครงการ", "ประเภท", "ประเภทแปลง"}, {"ประเภทแปลง", "โครงการ"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (text_or_none(v)) d.program = program_value(v); }},
        {"name", {"name", "plotname", "ชื่อแปลง", "ชื่อ"}, {"ชื่อแปลง"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.name = *t; }},
        {"village_no", {"villageno", "village", "moo", "หมู่", "หมู่ที่"}, {"หมู่ที่"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (text_or_none(v)) d.village_no = whole_number(v, "village_no"); }},
        {"notes", {"notes", "note", "description", "desc", "cmt", "หมายเหตุ", "รายละเอียด"}, {"หมายเหตุ"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (auto t = text_or_none(v)) d.notes = *t; }},
        {"declared_area_m2", {"declaredaream2", "declaredm2"}, {},
         [](plot_draft& d, const std::string& v, std::string_view h) { set_area(d, v, h, import_text::area_unit::square_metre); }},
        {"declared_area_rai", {"declaredarearai", "declaredrai", "เนื้อที่", "เนื้อที่ไร่งานวา", "ไร่งานวา", "พื้นที่"},
         {"เนื้อที่", "พื้นที่", "declaredarea"},
         [](plot_draft& d, const std::string& v, std::string_view h) { set_area(d, v, h, import_text::area_unit::rai_ngan_wa); }},
        {"stage", {"stage", "ขั้นตอน", "สถานะ"}, {"ขั้นตอน", "สถานะ"},
         [](plot_draft& d, const std::string& v, std::string_view) { if (text_or_none(v)) d.stage = stage_value(v); }},
        {"budget_year", {"budgetyear", "year", "ปีงบประมาณ", "ปีงบ"}, {"ปีงบ"},
         [](plot_draft& d, const std::string& v, std::string_view) {
             if (!text_or_none(v)) return;
             const std::int64_t y = whole_number(v, "budget_year");
             d.budget_year = y > 2400 ? y - 543 : y; // Thai sheets write Buddhist Era years
         }},
        {"subdistrict_name", {"subdistrict", "tambon", "ตำบล", "ชื่อตำบล"}, {"ตำบล", "แขวง"}, no_field},
        {"district_name", {"district", "amphoe", "อำเภอ", "ชื่ออำเภอ", "เขต"}, {"อำเภอ"}, no_field},
        {"province_name", {"province", "changwat", "จังหวัด", "ชื่อจังหวัด"}, {"จังหวัด"}, no_field},
        {"pin_accuracy_m", {"pinaccuracym", "accuracy"}, {},
         [](plot_draft& d, const std::string& v, std::string_view) {
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
                           "budgetyearbe", "deletedat", "ละติจูด", "ลองจิจูด", "โซน", "หลักฐาน", "รูปแปลง", "ขอบเขต",
                           // KML styling and time members (Google My Maps, GDAL's LIBKML)
                           "tessellate", "extrude", "visibility", "timestamp", "begin", "end", "altitudemode", "draworder",
                           "icon", "snippet", "styleurl"});
}

struct column_match {
    const field_alias* alias = nullptr;
    std::string why; ///< for the report: "mapped", "name", "normalised name", "contains …"
    bool ignored = false;
};

column_match match_column(const std::string& header, const std::map<std::string, std::string>& mapping) {
    column_match m;
    std::string target = fold(header);
    if (const auto mapped = mapping.find(trim(header)); mapped != mapping.end()) {
        if (mapped->second.empty()) {
            m.ignored = true;
            return m;
        }
        for (const field_alias& a : aliases()) {
            if (mapped->second == a.field) return {&a, "--map", false};
        }
        target = fold(mapped->second);
    }
    for (const field_alias& a : aliases()) {
        if (std::find(a.names.begin(), a.names.end(), target) != a.names.end()) return {&a, "name", false};
    }
    if (location_or_computed(target)) return m;
    // Loosely: without spaces, punctuation and parenthesised units ("พื้นที่ (ไร่-งาน-ตร.ว.)").
    const std::string loose = import_text::normalise_header(header);
    if (loose.empty() || location_or_computed(loose)) return m;
    for (const field_alias& a : aliases()) {
        if (std::find(a.names.begin(), a.names.end(), loose) != a.names.end()) return {&a, "name without spaces, punctuation and units", false};
    }
    for (const field_alias& a : aliases()) {
        for (const std::string_view word : a.contains) {
            if (loose.find(word) != std::string::npos) return {&a, "header contains \"" + std::string(word) + "\"", false};
        }
    }
    return m;
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

namespace {

/// The admin area names a row gives (จังหวัด, อำเภอ, ตำบล columns), to check against where
/// its location lies.
struct named_admin {
    std::string province, district, subdistrict;
};

bool same_admin_name(const std::string& given, const std::string& actual) {
    const std::string a = import_text::admin_name_key(given);
    const std::string b = import_text::admin_name_key(actual);
    // "อ.เมือง" names the district เมือง<province> of whichever province it is in.
    return a == b || (a == "เมือง" && b.starts_with("เมือง"));
}

/// Refuses a location in no Thai subdistrict, saying how far the nearest one is. Returns
/// (letting the service region check speak) when no subdistrict is within a few degrees.
void refuse_outside(connection& c, geo::point where) {
    const auto nearest = nearest_admin(c, where);
    if (!nearest) return;
    char place[96];
    std::snprintf(place, sizeof place, "%.6f, %.6f", where.y, where.x);
    char km[32];
    std::snprintf(km, sizeof km, "%.1f km", nearest->second / 1000.0);
    throw bad_request(std::string("the location (latitude, longitude ") + place + ") is outside every Thai subdistrict: " + km +
                      " from ต." + nearest->first.adm3_name + " อ." + nearest->first.adm2_name + " จ." + nearest->first.adm1_name +
                      ". Check the coordinates (a UTM zone 47 typed for a zone-48 plot lands in Myanmar), or import with "
                      "--allow-outside if the plot really lies there");
}

/// Before the registry's own checks: a location beyond the service region's box (where the
/// registry would only say "outside the region") is refused with the distance.
void check_region(connection& c, const plot_draft& d, const geo::bbox& region) {
    if (!d.pin && !d.boundary) return;
    const geo::bbox box = d.boundary ? geo::envelope(*d.boundary) : geo::bbox{};
    const geo::point where = d.pin ? *d.pin : geo::point{(box.min_x + box.max_x) / 2, (box.min_y + box.max_y) / 2};
    if (!std::isfinite(where.x) || !std::isfinite(where.y)) return;
    if (where.x >= region.min_x && where.x <= region.max_x && where.y >= region.min_y && where.y <= region.max_y) return;
    refuse_outside(c, where);
}

/// Warnings where the province, district or subdistrict a row names is not where its location lies.
std::vector<std::string> check_admin_names(const write_result& r, const named_admin& names) {
    std::vector<std::string> warnings;
    const auto& at = r.suggested_admin;
    if (!at) return warnings; // allowed outside
    const auto check = [&](const std::string& given, const std::string& actual, const char* what, const char* prefix) {
        if (given.empty() || same_admin_name(given, actual)) return;
        warnings.push_back(std::string("the ") + what + " column says \"" + geo::utf8_prefix(given, 60) + "\" but the location lies in " +
                           prefix + actual);
    };
    check(names.province, at->adm1_name, "province (จังหวัด)", "จ.");
    check(names.district, at->adm2_name, "district (อำเภอ)", "อ.");
    check(names.subdistrict, at->adm3_name, "subdistrict (ตำบล)", "ต.");
    return warnings;
}

/// One plot's pin and boundary as two placemarks with the same code (as My Maps layers keep
/// them) become one row with both.
void merge_pins_and_boundaries(std::vector<source_row>& rows, const std::vector<std::optional<std::string>>& codes,
                               std::vector<std::optional<std::string>>& merged_codes) {
    std::map<std::string, std::size_t> first;
    std::vector<bool> drop(rows.size(), false);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!codes[i] || rows[i].problem) continue;
        const auto [it, fresh] = first.emplace(*codes[i], i);
        if (fresh) continue;
        source_row& a = rows[it->second];
        source_row& b = rows[i];
        const bool pin_and_boundary = (a.point && !a.polygon && b.polygon && !b.point) || (a.polygon && !a.point && b.point && !b.polygon);
        if (!pin_and_boundary) continue;
        if (b.point) a.point = b.point;
        if (b.polygon) a.polygon = b.polygon;
        for (auto& field : b.fields) {
            const bool has = std::any_of(a.fields.begin(), a.fields.end(), [&](const auto& f) { return f.first == field.first && !trim(f.second).empty(); });
            if (!has) a.fields.push_back(std::move(field));
        }
        a.where += " + " + b.where;
        drop[i] = true;
    }
    std::vector<source_row> kept;
    merged_codes.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (drop[i]) continue;
        kept.push_back(std::move(rows[i]));
        merged_codes.push_back(codes[i]);
    }
    rows = std::move(kept);
}

/// Rows that share a code (or uid) would silently become one plot: each is rejected, naming
/// the others.
void reject_duplicates(std::vector<source_row>& rows, const std::vector<std::optional<std::string>>& keys, const char* what) {
    std::map<std::string, std::vector<std::size_t>> by_key;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (keys[i]) by_key[*keys[i]].push_back(i);
    }
    for (const auto& [key, at] : by_key) {
        if (at.size() < 2) continue;
        for (const std::size_t i : at) {
            std::string others;
            for (const std::size_t j : at) {
                if (j != i) others += (others.empty() ? "" : ", ") + rows[j].where;
            }
            rows[i].problem = std::string(what) + " \"" + geo::utf8_prefix(key, 40) + "\" is also on " + others +
                              ": rows with the same " + what + " are not merged into one plot; give each plot its own " + what;
        }
    }
}

} // namespace

import_report import_plots(plot_registry& registry, const std::filesystem::path& file, import_format format,
                           const import_options& o, const editor& who) {
    if (sodium_init() < 0) throw error("libsodium could not be initialised");
    const auto say = [&](const std::string& phase, std::size_t done, std::size_t total) {
        if (o.progress) o.progress(phase, done, total);
    };
    say("reading", 0, 0);
    std::vector<source_row> rows = format == import_format::csv                                   ? rows_from_csv(file, o)
                                   : format == import_format::kml || format == import_format::kmz ? rows_from_kml(file, format, o)
                                                                                                  : rows_from_gdal(file, format, o);
    say("read", rows.size(), rows.size());
    import_report report;
    report.format = std::string(import_format_name(format));
    report.dry_run = o.dry_run;
    report.rows = static_cast<std::int64_t>(rows.size());

    // Which columns become which fields (the same for every row of a file), and why.
    std::map<std::string, const field_alias*> used;
    for (const source_row& row : rows) {
        for (const auto& [name, value] : row.fields) {
            if (used.contains(name)) continue;
            const column_match m = match_column(name, o.mapping);
            used[name] = m.alias;
            if (m.alias) {
                report.columns_used.push_back(name + " -> " + m.alias->field + " (" + m.why + ")");
            } else if (!location_or_computed(fold(name)) || m.ignored) {
                report.columns_ignored.push_back(name);
            }
        }
    }
    const auto value_of = [&](const source_row& row, std::string_view field) -> std::optional<std::string> {
        for (const auto& [name, value] : row.fields) {
            const field_alias* a = used[name];
            if (a && a->field == field && !trim(value).empty()) return trim(value);
        }
        return std::nullopt;
    };
    // A placemark named like a code ("HLM-4608-0001") with no code column: the name is its code.
    if (format == import_format::kml || format == import_format::kmz) {
        for (source_row& row : rows) {
            if (value_of(row, "code")) continue;
            for (auto& [name, value] : row.fields) {
                if (name == "name" && import_text::looks_like_code(value)) name = "code";
            }
        }
        if (!used.contains("code")) used["code"] = match_column("code", {}).alias;
    }
    std::vector<std::optional<std::string>> codes;
    for (const source_row& row : rows) codes.push_back(value_of(row, "code"));
    if (format == import_format::kml || format == import_format::kmz) merge_pins_and_boundaries(rows, std::vector(codes), codes);
    reject_duplicates(rows, codes, "code");
    std::vector<std::optional<std::string>> uids;
    for (const source_row& row : rows) uids.push_back(value_of(row, "uid"));
    reject_duplicates(rows, uids, "uid");

    bool by_uid = false, by_code = false, by_fingerprint = false;
    std::vector<import_item> items;
    items.reserve(rows.size());
    for (const source_row& row : rows) {
        for (const std::string& note : row.notes) report.warnings.push_back({row.where, note});
        import_item item;
        item.where = row.where;
        item.problem = row.problem;
        if (!row.problem && !row.point && !row.polygon) item.problem = "no coordinates in this row";
        item.uid = value_of(row, "uid");
        item.code = value_of(row, "code");
        if (item.uid) {
            by_uid = true;
        } else if (item.code) {
            by_code = true;
        } else {
            item.uid = fingerprint(row, value_of(row, "name").value_or(""));
            by_fingerprint = true;
        }
        item.apply = [&row, &used, &o](plot_draft& d) {
            for (const auto& [name, value] : row.fields) {
                if (const auto it = used.find(name); it != used.end() && it->second) {
                    const field_alias* a = it->second;
                    try {
                        a->set(d, value, name);
                    } catch (const error& e) {
                        throw bad_request(std::string(e.what()) + " (column \"" + name + "\")");
                    }
                }
            }
            if (!d.program && d.code) d.program = import_text::program_from_code(*d.code);
            if (!d.program && o.default_program) d.program = *o.default_program;
            if (!d.program) throw bad_request("no programme: add a program column (HLM/CLM), codes starting HLM- or CLM-, or give a default programme");
            if (row.point) {
                d.pin = row.point;
                d.pin_source = "import";
            }
            if (row.polygon) d.boundary = row.polygon;
        };
        const named_admin names{value_of(row, "province_name").value_or(""), value_of(row, "district_name").value_or(""),
                                value_of(row, "subdistrict_name").value_or("")};
        if (!o.allow_outside) {
            item.before_write = [&registry](connection& c, const plot_draft& d) { check_region(c, d, registry.rules().region.box); };
        }
        item.verify = [names, &o](connection& c, const write_result& r) {
            // The registry located the plot (r.suggested_admin); nowhere means no subdistrict.
            if (!r.suggested_admin && !o.allow_outside) {
                const plot& p = r.record;
                if (p.location) refuse_outside(c, *p.location);
                throw bad_request("the location is outside every Thai subdistrict; import with --allow-outside if it really lies there");
            }
            return check_admin_names(r, names);
        };
        items.push_back(std::move(item));
    }
    std::vector<std::string> how;
    if (by_uid) how.emplace_back("uid");
    if (by_code) how.emplace_back("code");
    if (by_fingerprint) how.emplace_back("location and name (rows with neither uid nor code)");
    for (std::size_t i = 0; i < how.size(); ++i) report.matching += (i ? ", " : "") + how[i];
    if (report.matching.empty()) report.matching = "nothing (no rows)";

    const batch_outcome outcome =
        registry.write_batch(items, who, o.dry_run, [&](std::size_t done, std::size_t total) { say("checked", done, total); });
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
