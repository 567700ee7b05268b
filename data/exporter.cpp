#include "data/exporter.hpp"

#include "data/flatgeobuf.hpp"
#include "data/plot_fields.hpp"
#include "data/database.hpp"
#include "data/sqlite/rtree.hpp"
#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sqlite3.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>

namespace plotmap::data {
namespace {

// ---- the exported fields -------------------------------------------------------------------

enum class field_type { text, integer, real };

/// One field's value. Text usually points into the plot (no copy); computed text lives in
/// `owned`.
struct value {
    bool null = true;
    std::string_view view;
    std::string owned;
    bool is_owned = false;
    std::int64_t integer = 0;
    double real = 0;
    [[nodiscard]] std::string_view text() const noexcept { return is_owned ? std::string_view(owned) : view; }
};

using names_map = admin_name_table;

value text(const std::optional<std::string>& s) {
    value v;
    if (s) {
        v.null = false;
        v.view = *s;
    }
    return v;
}
value text(const std::string& s) {
    value v;
    v.null = false;
    v.view = s;
    return v;
}
value owned_text(std::string s) {
    value v;
    v.null = false;
    v.owned = std::move(s);
    v.is_owned = true;
    return v;
}
value integer(const std::optional<std::int64_t>& i) {
    value v;
    if (i) {
        v.null = false;
        v.integer = *i;
    }
    return v;
}
value real(const std::optional<double>& d, double step) {
    value v;
    if (d) {
        v.null = false;
        v.real = step > 0 ? std::round(*d / step) * step : *d;
    }
    return v;
}
value rai(const std::optional<double>& m2) { return m2 ? owned_text(geo::format_rai_ngan_wa(geo::to_rai_ngan_wa(*m2))) : value{}; }
/// An admin name: the plot's own (when read with names) or looked up by code.
value admin_name(const std::optional<std::string>& name, const std::optional<std::string>& code, const names_map* names) {
    if (name) return text(name);
    if (!code || !names) return value{};
    const std::string* name_th = names->find(*code);
    return name_th ? text(*name_th) : value{};
}

struct field {
    const char* name;
    const char* short_name; ///< Shapefile (dBase) names are at most 10 characters
    field_type type;
    value (*get)(const plot&, const names_map*);
    bool personal = false; ///< set from data::is_personal_field (all_fields)
};

const std::array<field, 36> fields{{
    {"id", "id", field_type::integer, [](const plot& p, const names_map*) { return integer(p.id); }},
    {"uid", "uid", field_type::text, [](const plot& p, const names_map*) { return text(p.uid); }},
    {"code", "code", field_type::text, [](const plot& p, const names_map*) { return text(p.code); }},
    {"program", "program", field_type::text, [](const plot& p, const names_map*) { return text(p.program); }},
    {"name", "name", field_type::text, [](const plot& p, const names_map*) { return text(p.name); }},
    {"owner_name", "owner_name", field_type::text, [](const plot& p, const names_map*) { return text(p.owner_name); }},
    {"owner_phone", "owner_tel", field_type::text, [](const plot& p, const names_map*) { return text(p.owner_phone); }},
    {"village_no", "village_no", field_type::integer, [](const plot& p, const names_map*) { return integer(p.village_no); }},
    {"notes", "notes", field_type::text, [](const plot& p, const names_map*) { return text(p.notes); }},
    {"deed_type", "deed_type", field_type::text, [](const plot& p, const names_map*) { return text(p.deed_type); }},
    {"deed_no", "deed_no", field_type::text, [](const plot& p, const names_map*) { return text(p.deed_no); }},
    {"declared_area_m2", "decl_m2", field_type::real, [](const plot& p, const names_map*) { return real(p.declared_area_m2, 0.01); }},
    {"declared_area_rai", "decl_rai", field_type::text, [](const plot& p, const names_map*) { return rai(p.declared_area_m2); }},
    {"area_m2", "area_m2", field_type::real, [](const plot& p, const names_map*) { return real(p.area_m2, 0.01); }},
    {"area_rai", "area_rai", field_type::text, [](const plot& p, const names_map*) { return rai(p.area_m2); }},
    {"perimeter_m", "perim_m", field_type::real, [](const plot& p, const names_map*) { return real(p.perimeter_m, 0.01); }},
    {"adm1", "adm1", field_type::text, [](const plot& p, const names_map*) { return text(p.adm1); }},
    {"adm1_name", "adm1_name", field_type::text, [](const plot& p, const names_map* n) { return admin_name(p.adm1_name, p.adm1, n); }},
    {"adm2", "adm2", field_type::text, [](const plot& p, const names_map*) { return text(p.adm2); }},
    {"adm2_name", "adm2_name", field_type::text, [](const plot& p, const names_map* n) { return admin_name(p.adm2_name, p.adm2, n); }},
    {"adm3", "adm3", field_type::text, [](const plot& p, const names_map*) { return text(p.adm3); }},
    {"adm3_name", "adm3_name", field_type::text, [](const plot& p, const names_map* n) { return admin_name(p.adm3_name, p.adm3, n); }},
    {"stage", "stage", field_type::text, [](const plot& p, const names_map*) { return text(p.stage); }},
    {"stage_changed_at", "stage_date", field_type::text, [](const plot& p, const names_map*) { return text(p.stage_changed_at); }},
    {"budget_year", "budget_yr", field_type::integer, [](const plot& p, const names_map*) { return integer(p.budget_year); }},
    {"budget_year_be", "budget_be", field_type::integer,
     [](const plot& p, const names_map*) { return p.budget_year ? integer(*p.budget_year + 543) : value{}; }},
    {"review_state", "review", field_type::text, [](const plot& p, const names_map*) { return text(p.review_state); }},
    {"version", "version", field_type::integer, [](const plot& p, const names_map*) { return integer(p.version); }},
    {"created_at", "created", field_type::text, [](const plot& p, const names_map*) { return text(p.created_at); }},
    {"created_by", "created_by", field_type::text, [](const plot& p, const names_map*) { return text(p.created_by); }},
    {"updated_at", "updated", field_type::text, [](const plot& p, const names_map*) { return text(p.updated_at); }},
    {"updated_by", "updated_by", field_type::text, [](const plot& p, const names_map*) { return text(p.updated_by); }},
    {"photo_count", "photos", field_type::integer, [](const plot& p, const names_map*) { return integer(p.photo_count); }},
    {"latest_photo", "photo", field_type::text, [](const plot& p, const names_map*) { return text(p.latest_photo); }},
    {"public_photo", "pub_photo", field_type::text, [](const plot& p, const names_map*) { return text(p.latest_public_photo); }},
    {"lon", "lon", field_type::real, [](const plot& p, const names_map*) { return real(p.location ? std::optional(p.location->x) : std::nullopt, 0); }},
}};
// lat is added next to lon below (the table above stays one row per plot member).
const field lat_field{"lat", "lat", field_type::real,
                      [](const plot& p, const names_map*) {
                          return real(p.location ? std::optional(p.location->y) : std::nullopt, 0);
                      }};

/// Every field, personal ones included, in output order.
const std::vector<const field*>& all_fields() {
    static const std::vector<field> marked = [] {
        std::vector<field> out(fields.begin(), fields.end());
        out.push_back(lat_field);
        for (field& f : out) f.personal = is_personal_field(f.name);
        return out;
    }();
    static const std::vector<const field*> list = [] {
        std::vector<const field*> out;
        for (const field& f : marked) out.push_back(&f);
        return out;
    }();
    return list;
}

/// The fields of an export: public ones always, personal ones only when some plot may carry them.
std::vector<const field*> export_fields(const export_options& o) {
    std::vector<const field*> out;
    for (const field* f : all_fields()) {
        if (!f->personal || o.personal_scope) out.push_back(f);
    }
    return out;
}

bool personal_for(const export_options& o, const plot& p) {
    return o.personal_scope && codes_in_scope(*o.personal_scope, p.adm1, p.adm2, p.adm3);
}

const geo::crs& output_crs(const export_options& o) {
    if (o.format == export_format::kml) {
        if (o.crs && !(*o.crs == geo::crs84()) && o.crs->id != "EPSG:4326") {
            throw bad_request("KML is always in WGS 84 longitude/latitude; leave out crs or ask for another format");
        }
        return geo::crs84();
    }
    return o.crs ? *o.crs : geo::crs84();
}

// ---- GeoJSON, written by hand ----------------------------------------------------------------

void append_number(std::string& out, double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc{} ? end : buf);
}

/// Whether any of 8 bytes needs escaping in a JSON string: below 0x20, '"' or '\\'
/// (checked a word at a time; Thai UTF-8 bytes are all above 0x7F and pass).
bool word_needs_escape(std::uint64_t w) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
    return (below_space | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\'))) != 0;
}

void append_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t i = 0;
    std::size_t run = 0;
    while (i < s.size()) {
        if (i + 8 <= s.size()) {
            std::uint64_t w = 0;
            std::memcpy(&w, s.data() + i, 8);
            if (!word_needs_escape(w)) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        out.append(s.data() + run, i - run);
        run = ++i;
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void append_position(std::string& out, geo::point p) {
    out.push_back('[');
    append_number(out, p.x);
    out.push_back(',');
    append_number(out, p.y);
    out.push_back(']');
}

void append_position(std::string& out, geo::point p, bool swap) { append_position(out, swap ? geo::point{p.y, p.x} : p); }

void append_geometry(std::string& out, const plot& p, feature_geometry which, geo::transformer& t, bool swap) {
    if (which != feature_geometry::location && p.boundary) {
        geo::multi_polygon mp = *p.boundary;
        t.apply(mp);
        out += R"({"type":"MultiPolygon","coordinates":[)";
        for (std::size_t i = 0; i < mp.polygons.size(); ++i) {
            out += i ? ",[" : "[";
            for (std::size_t j = 0; j < mp.polygons[i].rings.size(); ++j) {
                out += j ? ",[" : "[";
                const geo::ring& r = mp.polygons[i].rings[j];
                for (std::size_t k = 0; k < r.size(); ++k) {
                    if (k) out.push_back(',');
                    append_position(out, r[k], swap);
                }
                out.push_back(']');
            }
            out.push_back(']');
        }
        out += "]}";
        return;
    }
    const std::optional<geo::point>& point = which == feature_geometry::location ? p.location : p.pin;
    if (which != feature_geometry::boundary && point) {
        out += R"({"type":"Point","coordinates":)";
        append_position(out, t.apply(*point), swap);
        out.push_back('}');
    } else {
        out += "null";
    }
}

void append_value(std::string& out, const field& f, const value& v) {
    if (v.null) {
        out += "null";
    } else if (f.type == field_type::text) {
        append_string(out, v.text());
    } else if (f.type == field_type::integer) {
        out += std::to_string(v.integer);
    } else {
        append_number(out, v.real);
    }
}

void append_feature(std::string& out, const plot& p, feature_geometry which, geo::transformer& t, bool swap, bool personal,
                    const names_map* names) {
    out += R"({"type":"Feature","id":)";
    out += std::to_string(p.id);
    out += R"(,"geometry":)";
    append_geometry(out, p, which, t, swap);
    out += R"(,"properties":{)";
    bool first = true;
    for (const field* f : all_fields()) {
        if (f->personal && !personal) continue;
        if (!first) out.push_back(',');
        first = false;
        append_string(out, f->name);
        out.push_back(':');
        append_value(out, *f, f->get(p, names));
    }
    out += "}}";
}

// ---- reading and writing at once -------------------------------------------------------------

/// for_each_plot with the reading (SQLite, WKB decoding) on a thread of its own and `f` on
/// the caller's, so that an export keeps two cores busy (GeoJSON text and GeoPackage rows
/// cost about what the reading does; GDAL's own writers are much slower and gain nothing). Plots reach `f` in id order, moved
/// in batches through a small bounded queue; an exception on either side stops both and is
/// rethrown here. `conn` is used only by the reading thread until this returns.
void for_each_plot_pipelined(connection& conn, const plot_query& q, const std::function<void(const plot&)>& f) {
    constexpr std::size_t batch_size = 256;
    constexpr std::size_t max_batches = 16;
    std::mutex m;
    std::condition_variable changed;
    std::deque<std::vector<plot>> ready;
    std::vector<std::vector<plot>> spare; // emptied batches go back, keeping their capacity
    bool finished = false;
    bool cancelled = false;
    std::exception_ptr reader_error;
    struct stop_reading {};

    std::thread reader([&] {
        try {
            std::vector<plot> batch;
            batch.reserve(batch_size);
            const auto hand_over = [&] {
                std::unique_lock lock(m);
                changed.wait(lock, [&] { return ready.size() < max_batches || cancelled; });
                if (cancelled) throw stop_reading{};
                ready.push_back(std::move(batch));
                changed.notify_all();
                if (!spare.empty()) {
                    batch = std::move(spare.back());
                    spare.pop_back();
                } else {
                    batch = {};
                    batch.reserve(batch_size);
                }
            };
            for_each_plot(conn, q, [&](plot& p) {
                batch.push_back(std::move(p));
                if (batch.size() == batch_size) hand_over();
            });
            if (!batch.empty()) hand_over();
        } catch (const stop_reading&) {
        } catch (...) {
            const std::lock_guard lock(m);
            reader_error = std::current_exception();
        }
        const std::lock_guard lock(m);
        finished = true;
        changed.notify_all();
    });
    const auto stop = [&] {
        {
            const std::lock_guard lock(m);
            cancelled = true;
            changed.notify_all();
        }
        reader.join();
    };
    try {
        for (;;) {
            std::vector<plot> batch;
            {
                std::unique_lock lock(m);
                changed.wait(lock, [&] { return !ready.empty() || finished; });
                if (ready.empty()) break;
                batch = std::move(ready.front());
                ready.pop_front();
                changed.notify_all();
            }
            for (const plot& p : batch) f(p);
            batch.clear();
            const std::lock_guard lock(m);
            if (spare.size() < max_batches) spare.push_back(std::move(batch));
        }
    } catch (...) {
        stop();
        throw;
    }
    reader.join();
    if (reader_error) std::rethrow_exception(reader_error);
}

// ---- GDAL formats --------------------------------------------------------------------------

struct dataset_closer {
    void operator()(void* ds) const noexcept { GDALClose(ds); }
};
using dataset_ptr = std::unique_ptr<void, dataset_closer>;
struct feature_deleter {
    void operator()(OGRFeatureH f) const noexcept { OGR_F_Destroy(f); }
};
struct srs_deleter {
    void operator()(OGRSpatialReferenceH s) const noexcept { OSRRelease(s); }
};

std::string gdal_error(const std::string& what) {
    const char* msg = CPLGetLastErrorMsg();
    return what + (msg && *msg ? std::string(": ") + msg : std::string());
}

const char* driver_name(export_format f) {
    switch (f) {
    case export_format::gpkg: return "GPKG";
    case export_format::shp_zip: return "ESRI Shapefile";
    case export_format::kml: return "LIBKML";
    case export_format::csv: return "CSV";
    case export_format::fgb: return "FlatGeobuf";
    case export_format::geojson: break;
    }
    return "GeoJSON";
}

struct layer_spec {
    const char* name;
    OGRwkbGeometryType type;
    bool polygons; ///< which plots: with a boundary (true) or without (false); both when mixed
    bool mixed;
};

OGRLayerH create_layer(void* ds, const layer_spec& spec, const export_options& o, const geo::crs& crs,
                       const std::vector<const field*>& columns) {
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, srs_deleter> srs(OSRNewSpatialReference(nullptr));
    OSRSetFromUserInput(srs.get(), crs.id == "OGC:CRS84" ? "OGC:CRS84" : crs.id.c_str());
    OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
    std::vector<const char*> lco;
    if (o.format == export_format::shp_zip) lco.push_back("ENCODING=UTF-8");
    if (o.format == export_format::csv) {
        lco.push_back("GEOMETRY=AS_WKT");
        lco.push_back("CREATE_CSVT=YES");
    }
    if (o.format == export_format::gpkg) {
        lco.push_back("FID=fid");
        // GDAL makes the R*Tree, its triggers and the extension entry on the empty table;
        // export_gpkg fills it in one pass after the rows are in.
        lco.push_back("SPATIAL_INDEX=YES");
    }
    lco.push_back(nullptr);
    OGRLayerH layer = GDALDatasetCreateLayer(ds, spec.name, srs.get(), spec.type, const_cast<char**>(lco.data()));
    if (layer == nullptr) throw error(gdal_error(std::string("cannot create layer ") + spec.name));
    for (const field* f : columns) {
        const OGRFieldType t = f->type == field_type::text ? OFTString : f->type == field_type::integer ? OFTInteger64 : OFTReal;
        OGRFieldDefnH defn = OGR_Fld_Create(o.format == export_format::shp_zip ? f->short_name : f->name, t);
        if (o.format == export_format::shp_zip && f->type == field_type::text) OGR_Fld_SetWidth(defn, 254);
        const OGRErr err = OGR_L_CreateField(layer, defn, TRUE);
        OGR_Fld_Destroy(defn);
        if (err != OGRERR_NONE) throw error(gdal_error(std::string("cannot create field ") + f->name));
    }
    return layer;
}

/// A plot's geometry for a file in the output CRS: the boundary (when `as_polygon` and it has
/// one) or the point, as WKB with its envelope. nullopt for a plot with neither.
struct output_geometry {
    std::string wkb;
    geo::bbox box;
    bool polygon = false;
};
std::optional<output_geometry> geometry_for_file(const plot& p, geo::transformer& t, bool as_polygon) {
    if (as_polygon && p.boundary) {
        if (t.identity()) return output_geometry{geo::to_wkb(*p.boundary), geo::envelope(*p.boundary), true};
        geo::multi_polygon mp = *p.boundary;
        t.apply(mp);
        return output_geometry{geo::to_wkb(mp), geo::envelope(mp), true};
    }
    if (!p.pin && !p.location) return std::nullopt;
    const geo::point pt = t.apply(p.pin ? *p.pin : *p.location);
    return output_geometry{geo::to_wkb(pt), {pt.x, pt.y, pt.x, pt.y}, false};
}

/// A column's value for a plot: null for a personal field the export may not show.
value column_value(const field& f, const plot& p, bool personal, const names_map& names) {
    return f.personal && !personal ? value{} : f.get(p, &names);
}

/// Writes one plot through `feat`, the layer's one reusable feature (every field is set each
/// time, so nothing carries over from the previous plot).
void write_feature(OGRLayerH layer, OGRFeatureH feat, const plot& p, const export_options& o, const names_map& names,
                   const std::vector<const field*>& columns, geo::transformer& t, bool as_polygon) {
    const bool personal = personal_for(o, p);
    std::string text;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const field& f = *columns[i];
        const int index = static_cast<int>(i);
        const value v = column_value(f, p, personal, names);
        if (v.null) {
            OGR_F_SetFieldNull(feat, index);
        } else if (f.type == field_type::text) {
            text.assign(v.text());
            OGR_F_SetFieldString(feat, index, text.c_str());
        } else if (f.type == field_type::integer) {
            OGR_F_SetFieldInteger64(feat, index, v.integer);
        } else {
            OGR_F_SetFieldDouble(feat, index, v.real);
        }
    }
    OGRGeometryH g = nullptr;
    if (const auto geometry = geometry_for_file(p, t, as_polygon);
        geometry && OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(geometry->wkb.data()), nullptr, &g,
                                        static_cast<int>(geometry->wkb.size())) != OGRERR_NONE) {
        g = nullptr;
    }
    OGR_F_SetGeometryDirectly(feat, g); // replaces (and frees) the previous plot's
    OGR_F_SetFID(feat, p.id);
    if (OGR_L_CreateFeature(layer, feat) != OGRERR_NONE) {
        throw error(gdal_error("cannot write plot " + std::to_string(p.id)));
    }
}

void register_gdal() {
    static const bool registered = [] {
        GDALAllRegister();
        return true;
    }();
    (void)registered;
}

} // namespace

void write_xlsx(const std::vector<sheet>& sheets, const std::filesystem::path& out) {
    register_gdal();
    GDALDriverH driver = GDALGetDriverByName("XLSX");
    if (driver == nullptr) throw error("GDAL has no XLSX driver");
    std::error_code ec;
    std::filesystem::remove(out, ec);
    dataset_ptr ds(GDALCreate(driver, out.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) throw error(gdal_error("cannot create " + out.string()));
    for (const sheet& s : sheets) {
        OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), s.title.c_str(), nullptr, wkbNone, nullptr);
        if (layer == nullptr) throw error(gdal_error("cannot add sheet " + s.key));
        for (std::size_t i = 0; i < s.headers.size(); ++i) {
            OGRFieldDefnH defn = OGR_Fld_Create(s.headers[i].c_str(), i < s.numeric.size() && s.numeric[i] ? OFTReal : OFTString);
            const OGRErr made = OGR_L_CreateField(layer, defn, TRUE);
            OGR_Fld_Destroy(defn);
            if (made != OGRERR_NONE) throw error(gdal_error("cannot add column " + s.headers[i]));
        }
        std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, feature_deleter> feat(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
        // GDAL writes a sheet's header row with its first row only: an empty table gets one
        // row that says so, so that its sheet still has its headers.
        const std::vector<std::vector<std::string>> none{{std::string(empty_sheet_row)}};
        for (const auto& row : s.rows.empty() ? none : s.rows) {
            OGR_F_UnsetField(feat.get(), 0);
            for (int i = 0; i < static_cast<int>(row.size()) && i < static_cast<int>(s.headers.size()); ++i) {
                const std::string& cell = row[static_cast<std::size_t>(i)];
                if (cell.empty()) {
                    OGR_F_SetFieldNull(feat.get(), i);
                } else if (s.numeric[static_cast<std::size_t>(i)]) {
                    OGR_F_SetFieldDouble(feat.get(), i, std::strtod(cell.c_str(), nullptr));
                } else {
                    OGR_F_SetFieldString(feat.get(), i, cell.c_str());
                }
            }
            OGR_F_SetFID(feat.get(), OGRNullFID);
            if (OGR_L_CreateFeature(layer, feat.get()) != OGRERR_NONE) throw error(gdal_error("cannot write a row of " + s.key));
        }
    }
    CPLErrorReset();
    GDALClose(ds.release()); // writes the file: a full disk shows up here
    if (CPLGetLastErrorType() >= CE_Failure) throw error(gdal_error("cannot finish " + out.string()));
}

namespace {

std::int64_t export_with_gdal(connection& conn, const export_options& o, const std::filesystem::path& out,
                              const export_progress& progress) {
    register_gdal();
    const geo::crs& crs = output_crs(o);
    geo::transformer& t = geo::transformer_for(geo::crs84(), crs);
    GDALDriverH driver = GDALGetDriverByName(driver_name(o.format));
    if (driver == nullptr) throw error(std::string("GDAL has no ") + driver_name(o.format) + " driver");
    std::error_code ec;
    std::filesystem::remove(out, ec);
    // GDAL writes a zipped Shapefile straight into a file named *.shp.zip; any other name is
    // written as such and renamed.
    const bool rename_zip = o.format == export_format::shp_zip && !out.string().ends_with(".shp.zip");
    const std::string target = rename_zip ? out.string() + ".tmp.shp.zip" : out.string();
    std::vector<const char*> dsco;
    dsco.push_back(nullptr);
    dataset_ptr ds(GDALCreate(driver, target.c_str(), 0, 0, 0, GDT_Unknown, const_cast<char**>(dsco.data())));
    if (!ds) throw error(gdal_error("cannot create " + out.string()));

    const std::vector<const field*> columns = export_fields(o);
    std::vector<std::pair<layer_spec, OGRLayerH>> layers;
    std::vector<std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, feature_deleter>> features; // one per layer, reused
    if (o.format == export_format::shp_zip) {
        // A Shapefile holds one geometry type: plots with a boundary as polygons, the rest as points.
        for (const layer_spec& spec : {layer_spec{"plots_polygons", wkbMultiPolygon, true, false},
                                       layer_spec{"plots_points", wkbPoint, false, false}}) {
            layers.emplace_back(spec, create_layer(ds.get(), spec, o, crs, columns));
        }
    } else {
        const layer_spec spec{"plots", wkbUnknown, true, true};
        layers.emplace_back(spec, create_layer(ds.get(), spec, o, crs, columns));
    }
    for (const auto& layer : layers) features.emplace_back(OGR_F_Create(OGR_L_GetLayerDefn(layer.second)));
    const std::int64_t total = count_plots(conn, o.query);
    std::int64_t done = 0;
    // Names from one lookup table rather than three joins per plot.
    const names_map names(conn);
    plot_query q = o.query;
    q.admin_names = false;
    const bool transactions = GDALDatasetTestCapability(ds.get(), ODsCTransactions) != 0;
    if (transactions) GDALDatasetStartTransaction(ds.get(), FALSE);
    for_each_plot_pipelined(conn, q, [&](const plot& p) {
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const layer_spec& spec = layers[i].first;
            if (spec.mixed || spec.polygons == p.boundary.has_value()) {
                write_feature(layers[i].second, features[i].get(), p, o, names, columns, t, spec.polygons);
                break;
            }
        }
        ++done;
        if (transactions && done % 100000 == 0) {
            GDALDatasetCommitTransaction(ds.get());
            GDALDatasetStartTransaction(ds.get(), FALSE);
        }
        if (progress && (done % 10000 == 0 || done == total)) progress(done, total);
    });
    if (transactions && GDALDatasetCommitTransaction(ds.get()) != OGRERR_NONE) throw error(gdal_error("cannot finish " + out.string()));
    CPLErrorReset();
    GDALClose(ds.release()); // flushes: a full disk shows up here
    if (CPLGetLastErrorType() == CE_Failure) throw error(gdal_error("cannot finish " + out.string()));
    if (rename_zip) std::filesystem::rename(target, out);
    if (progress && done == 0) progress(0, 0);
    return done;
}

// ---- GeoPackage: rows written with SQLite directly ------------------------------------------

struct sqlite_db_closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct sqlite_stmt_finalizer {
    void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};

/// A GeoPackage geometry blob: the "GP" header (version 0, little-endian, the SRS id, an xy
/// envelope for anything but a point) followed by the WKB.
void gpkg_geometry(std::string& out, const std::string& wkb, std::int32_t srs_id, const geo::bbox* envelope) {
    out.clear();
    out.push_back('G');
    out.push_back('P');
    out.push_back('\0');
    out.push_back(static_cast<char>(envelope ? 0x03 : 0x01)); // bit 0 little-endian; bits 1-3: envelope [minx, maxx, miny, maxy]
    const auto put = [&](const void* bytes, std::size_t n) { out.append(static_cast<const char*>(bytes), n); };
    put(&srs_id, sizeof srs_id);
    if (envelope) {
        for (const double d : {envelope->min_x, envelope->max_x, envelope->min_y, envelope->max_y}) put(&d, sizeof d);
    }
    out += wkb;
}

/// GeoPackage export. GDAL makes the file (metadata tables, the SRS, the layer and its
/// columns, the empty spatial index with its triggers), exactly as ogr2ogr leaves them; the
/// rows go through one prepared INSERT, without an OGR feature per plot, and the spatial index
/// is bulk-loaded once they are in (data/sqlite/rtree.hpp): GDAL's own fills it a row at a
/// time, more than half of a million-plot export.
std::int64_t export_gpkg(connection& conn, const export_options& o, const std::filesystem::path& out, const export_progress& progress) {
    register_gdal();
    const geo::crs& crs = output_crs(o);
    geo::transformer& t = geo::transformer_for(geo::crs84(), crs);
    const std::vector<const field*> columns = export_fields(o);
    std::error_code ec;
    std::filesystem::remove(out, ec);
    {
        GDALDriverH driver = GDALGetDriverByName("GPKG");
        if (driver == nullptr) throw error("GDAL has no GPKG driver");
        dataset_ptr ds(GDALCreate(driver, out.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds) throw error(gdal_error("cannot create " + out.string()));
        (void)create_layer(ds.get(), layer_spec{"plots", wkbUnknown, true, true}, o, crs, columns);
        CPLErrorReset();
        GDALClose(ds.release());
        if (CPLGetLastErrorType() == CE_Failure) throw error(gdal_error("cannot create " + out.string()));
    }

    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(out.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, sqlite_db_closer> db(raw);
    const auto check = [&](int rc, const char* what) {
        if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
            throw error("cannot write " + out.string() + " (" + what + "): " + (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
        }
    };
    check(opened, "open");
    // A new file nobody reads yet: no journal, no fsync until it is whole (a failed export is deleted).
    check(sqlite3_exec(db.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536", nullptr, nullptr, nullptr), "pragmas");
    const auto prepare = [&](const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        check(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st, nullptr), "prepare");
        return std::unique_ptr<sqlite3_stmt, sqlite_stmt_finalizer>(st);
    };
    std::int32_t srs_id = 0;
    std::string geometry_column;
    {
        auto st = prepare("SELECT srs_id, column_name FROM gpkg_geometry_columns WHERE table_name = 'plots'");
        if (sqlite3_step(st.get()) != SQLITE_ROW) throw error("cannot write " + out.string() + ": GDAL made no plots layer");
        srs_id = sqlite3_column_int(st.get(), 0);
        geometry_column = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 1));
    }
    // The R*Tree's insert trigger is set aside while the rows go in and the tree is loaded.
    const std::string rtree = "rtree_plots_" + geometry_column;
    std::string rtree_trigger;
    {
        auto st = prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '" + rtree + "_insert'");
        if (sqlite3_step(st.get()) != SQLITE_ROW) throw error("cannot write " + out.string() + ": GDAL made no spatial index");
        rtree_trigger = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
    }
    check(sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr), "shadow tables writable");
    check(sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr), "begin");
    check(sqlite3_exec(db.get(), ("DROP TRIGGER \"" + rtree + "_insert\"").c_str(), nullptr, nullptr, nullptr), "trigger");
    std::string sql = "INSERT INTO \"plots\" (\"fid\", \"" + geometry_column + "\"";
    for (const field* f : columns) sql += std::string(", \"") + f->name + "\"";
    sql += ") VALUES (?, ?";
    for (std::size_t i = 0; i < columns.size(); ++i) sql += ", ?";
    sql += ")";
    auto insert = prepare(sql);

    const std::int64_t total = progress ? count_plots(conn, o.query) : 0;
    std::int64_t done = 0;
    const names_map names(conn);
    plot_query q = o.query;
    q.admin_names = false;
    geo::bbox extent{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    std::vector<value> values(columns.size());
    std::string blob;
    std::vector<sqlite::rtree_box> boxes;
    boxes.reserve(static_cast<std::size_t>(total));
    for_each_plot_pipelined(conn, q, [&](const plot& p) {
        sqlite3_stmt* st = insert.get();
        sqlite3_bind_int64(st, 1, p.id);
        if (const auto geometry = geometry_for_file(p, t, true)) {
            gpkg_geometry(blob, geometry->wkb, srs_id, geometry->polygon ? &geometry->box : nullptr);
            sqlite3_bind_blob(st, 2, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
            const geo::bbox& box = geometry->box;
            boxes.push_back(sqlite::rtree_box_of(p.id, box.min_x, box.min_y, box.max_x, box.max_y));
            extent = {std::min(extent.min_x, box.min_x), std::min(extent.min_y, box.min_y), std::max(extent.max_x, box.max_x),
                      std::max(extent.max_y, box.max_y)};
        } else {
            sqlite3_bind_null(st, 2);
        }
        const bool personal = personal_for(o, p);
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const field& f = *columns[i];
            const int index = static_cast<int>(i) + 3;
            values[i] = column_value(f, p, personal, names);
            const value& v = values[i];
            if (v.null) {
                sqlite3_bind_null(st, index);
            } else if (f.type == field_type::text) {
                const std::string_view text = v.text();
                sqlite3_bind_text(st, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
            } else if (f.type == field_type::integer) {
                sqlite3_bind_int64(st, index, v.integer);
            } else {
                sqlite3_bind_double(st, index, v.real);
            }
        }
        check(sqlite3_step(st), "insert");
        sqlite3_reset(st);
        ++done;
        if (progress && (done % 10000 == 0 || done == total)) progress(done, total);
    });
    insert.reset();
    sqlite::bulk_load_rtree(db.get(), rtree, std::move(boxes));
    {
        // GDAL's count triggers add to a NULL count (unknown) for a layer it made empty.
        auto st = prepare("UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = 'plots'");
        sqlite3_bind_int64(st.get(), 1, done);
        check(sqlite3_step(st.get()), "feature count");
    }
    check(sqlite3_exec(db.get(), rtree_trigger.c_str(), nullptr, nullptr, nullptr), "trigger");
    check(sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr), "commit");
    if (done > 0) {
        auto st = prepare("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
                          "last_change = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE table_name = 'plots'");
        sqlite3_bind_double(st.get(), 1, extent.min_x);
        sqlite3_bind_double(st.get(), 2, extent.min_y);
        sqlite3_bind_double(st.get(), 3, extent.max_x);
        sqlite3_bind_double(st.get(), 4, extent.max_y);
        check(sqlite3_step(st.get()), "extent");
    }
    check(sqlite3_close_v2(db.release()), "close");
    if (progress && done == 0) progress(0, 0);
    return done;
}

// ---- FlatGeobuf: written directly ------------------------------------------------------------

/// The header's CRS: WKT2 always, the EPSG number when there is one.
flatgeobuf::crs_info fgb_crs(const geo::crs& crs) {
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, srs_deleter> srs(OSRNewSpatialReference(nullptr));
    if (OSRSetFromUserInput(srs.get(), crs.id.c_str()) != OGRERR_NONE) throw error("GDAL does not know the CRS " + crs.id);
    flatgeobuf::crs_info out;
    const char* authority = OSRGetAuthorityName(srs.get(), nullptr);
    const char* code = OSRGetAuthorityCode(srs.get(), nullptr);
    if (authority != nullptr && code != nullptr && std::string_view(authority) == "EPSG") {
        out.org = authority;
        out.code = std::atoi(code);
    }
    if (const char* name = OSRGetName(srs.get())) out.name = name;
    char* wkt = nullptr;
    const char* const options[] = {"FORMAT=WKT2_2019", "MULTILINE=NO", nullptr};
    if (OSRExportToWktEx(srs.get(), &wkt, options) == OGRERR_NONE && wkt != nullptr) out.wkt = wkt;
    CPLFree(wkt);
    return out;
}

std::int64_t export_fgb(connection& conn, const export_options& o, const std::filesystem::path& out, const export_progress& progress) {
    register_gdal();
    const geo::crs& crs = output_crs(o);
    geo::transformer& t = geo::transformer_for(geo::crs84(), crs);
    const std::vector<const field*> columns = export_fields(o);
    std::vector<flatgeobuf::column> schema;
    for (const field* f : columns) {
        schema.push_back({f->name, f->type == field_type::text      ? flatgeobuf::column_type::text
                                   : f->type == field_type::integer ? flatgeobuf::column_type::integer
                                                                    : flatgeobuf::column_type::real});
    }
    flatgeobuf::writer writer(out, "plots", std::move(schema), fgb_crs(crs));
    const std::int64_t total = progress ? count_plots(conn, o.query) : 0;
    std::int64_t done = 0;
    const names_map names(conn);
    plot_query q = o.query;
    q.admin_names = false;
    std::vector<value> values(columns.size());
    std::vector<flatgeobuf::property> properties(columns.size());
    geo::multi_polygon projected;
    for_each_plot_pipelined(conn, q, [&](const plot& p) {
        const bool personal = personal_for(o, p);
        for (std::size_t i = 0; i < columns.size(); ++i) {
            values[i] = column_value(*columns[i], p, personal, names);
            const value& v = values[i];
            properties[i] = {v.null, v.integer, v.real, v.null ? std::string_view() : v.text()};
        }
        if (p.boundary) {
            if (t.identity()) {
                writer.add(*p.boundary, properties);
            } else {
                projected = *p.boundary;
                t.apply(projected);
                writer.add(projected, properties);
            }
        } else if (p.pin || p.location) {
            writer.add(t.apply(p.pin ? *p.pin : *p.location), properties);
        } else {
            return; // never: the registry refuses a plot with neither pin nor boundary
        }
        ++done;
        if (progress && (done % 10000 == 0 || done == total)) progress(done, total);
    });
    writer.finish();
    if (progress && done == 0) progress(0, 0);
    return done;
}

} // namespace

export_format parse_export_format(std::string_view name) {
    if (name == "geojson" || name == "json") return export_format::geojson;
    if (name == "gpkg") return export_format::gpkg;
    if (name == "shp.zip" || name == "shp" || name == "zip") return export_format::shp_zip;
    if (name == "kml") return export_format::kml;
    if (name == "csv") return export_format::csv;
    if (name == "fgb") return export_format::fgb;
    throw bad_request("export format must be geojson, gpkg, shp.zip, kml, csv or fgb; got \"" + geo::utf8_prefix(name, 20) + "\"");
}

std::string_view export_extension(export_format f) noexcept {
    switch (f) {
    case export_format::geojson: return "geojson";
    case export_format::gpkg: return "gpkg";
    case export_format::shp_zip: return "shp.zip";
    case export_format::kml: return "kml";
    case export_format::csv: return "csv";
    case export_format::fgb: return "fgb";
    }
    return "";
}

std::string_view export_media_type(export_format f) noexcept {
    switch (f) {
    case export_format::geojson: return "application/geo+json";
    case export_format::gpkg: return "application/geopackage+sqlite3";
    case export_format::shp_zip: return "application/zip";
    case export_format::kml: return "application/vnd.google-earth.kml+xml";
    case export_format::csv: return "text/csv; charset=utf-8";
    case export_format::fgb: return "application/flatgeobuf";
    }
    return "application/octet-stream";
}

void append_geojson_feature(std::string& out, const plot& p, feature_geometry which, const geo::crs& crs, bool personal,
                            const admin_name_table* names) {
    append_feature(out, p, which, geo::transformer_for(geo::crs84(), crs), crs.lat_first, personal, names);
}

std::int64_t export_geojson(connection& conn, const export_options& o, const std::function<void(std::string_view)>& sink,
                            std::size_t chunk_bytes, const export_progress& progress) {
    const geo::crs& crs = output_crs(o);
    geo::transformer& t = geo::transformer_for(geo::crs84(), crs);
    const std::int64_t total = progress ? count_plots(conn, o.query) : 0;
    std::string buf;
    buf.reserve(chunk_bytes + 4096);
    buf += R"({"type":"FeatureCollection","name":"plots")";
    if (!(crs == geo::crs84())) buf += R"(,"crs":{"type":"name","properties":{"name":")" + crs.uri + "\"}}";
    buf += R"(,"features":[)";
    std::int64_t done = 0;
    const names_map names(conn);
    plot_query q = o.query;
    q.admin_names = false;
    for_each_plot_pipelined(conn, q, [&](const plot& p) {
        buf += done ? ",\n" : "\n";
        append_feature(buf, p, feature_geometry::boundary_or_pin, t, false, personal_for(o, p), &names);
        ++done;
        if (buf.size() >= chunk_bytes) {
            sink(buf);
            buf.clear();
        }
        if (progress && (done % 10000 == 0 || done == total)) progress(done, total);
    });
    buf += "\n]}\n";
    sink(buf);
    return done;
}

std::int64_t export_plots(connection& conn, const export_options& o, const std::filesystem::path& out, const export_progress& progress) {
    if (o.format == export_format::gpkg) return export_gpkg(conn, o, out, progress);
    if (o.format == export_format::fgb) return export_fgb(conn, o, out, progress);
    if (o.format != export_format::geojson) return export_with_gdal(conn, o, out, progress);
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(out.c_str(), "wb"), &std::fclose);
    if (!file) throw error("cannot write " + out.string());
    const std::int64_t n = export_geojson(
        conn, o,
        [&](std::string_view chunk) {
            if (std::fwrite(chunk.data(), 1, chunk.size(), file.get()) != chunk.size()) throw error("cannot write " + out.string());
        },
        1 << 20, progress);
    if (std::fflush(file.get()) != 0) throw error("cannot write " + out.string());
    return n;
}

} // namespace plotmap::data
