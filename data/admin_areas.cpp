#include "data/admin_areas.hpp"

#include "data/database.hpp"
#include "data/dialect.hpp"
#include "geo/error.hpp"
#include "geo/geojson.hpp"
#include "geo/wkb.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace plotmap::data {
namespace {

struct level {
    int number;               // 1, 2, 3
    const char* table;        // adm1..3
    const char* file;         // th_adm1.geojson...
    std::vector<const char*> parents; // parent levels stored on the row
};

const std::array<level, 3> levels{{
    {1, "adm1", "th_adm1.geojson", {}},
    {2, "adm2", "th_adm2.geojson", {"adm1"}},
    {3, "adm3", "th_adm3.geojson", {"adm1", "adm2"}},
}};

nlohmann::json read_json(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw store_error("cannot read admin boundaries " + file.string() + ": file not found");
    std::stringstream buffer;
    buffer << in.rdbuf();
    try {
        return nlohmann::json::parse(buffer.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw store_error("admin boundaries " + file.string() + " are not valid JSON: " + e.what());
    }
}

/// 'TH6401' -> '6401'
std::string numeric_code(const std::string& pcode) {
    return pcode.rfind("TH", 0) == 0 ? pcode.substr(2) : pcode;
}

std::string property(const nlohmann::json& props, const std::string& key, const std::string& where) {
    const auto it = props.find(key);
    if (it == props.end() || !it->is_string()) throw store_error(where + ": property \"" + key + "\" is missing");
    return it->get<std::string>();
}

void load_level(connection& conn, const level& lv, const std::filesystem::path& dir) {
    const std::filesystem::path file = dir / lv.file;
    const nlohmann::json doc = read_json(file);
    const std::string prefix = "adm" + std::to_string(lv.number);

    std::string sql = std::string("INSERT INTO ") + lv.table + " (code, pcode, name_th, name_en";
    for (const char* p : lv.parents) sql += std::string(", ") + p;
    sql += ", geom) VALUES (?, ?, ?, ?";
    for (std::size_t i = 0; i < lv.parents.size(); ++i) sql += ", ?";
    sql += ", CastToMultiPolygon(GeomFromWKB(?, 4326)))";
    statement insert = conn.prepare(sql);

    const auto& features = doc.at("features");
    for (std::size_t i = 0; i < features.size(); ++i) {
        const auto& f = features[i];
        const std::string where = file.string() + " feature " + std::to_string(i);
        const auto& props = f.at("properties");
        const std::string pcode = property(props, prefix + "_pcode", where);
        int col = 1;
        insert.bind(col++, numeric_code(pcode));
        insert.bind(col++, pcode);
        insert.bind(col++, property(props, prefix + "_th", where));
        insert.bind(col++, property(props, prefix + "_en", where));
        for (const char* p : lv.parents) insert.bind(col++, numeric_code(property(props, std::string(p) + "_pcode", where)));
        geo::multi_polygon geometry;
        try {
            geometry = geo::multi_polygon_from_geojson(f.at("geometry"));
        } catch (const invalid_geometry& e) {
            throw store_error(where + " (" + pcode + "): " + e.what());
        }
        geo::orient_rfc7946(geometry);
        insert.bind_blob(col, geo::to_wkb(geometry));
        insert.run();
        insert.reset();
    }
}

} // namespace

namespace {

const char* admin_table(int level) {
    switch (level) {
    case 1: return "adm1";
    case 2: return "adm2";
    case 3: return "adm3";
    default: throw bad_request("admin level must be 1, 2 or 3");
    }
}

std::string admin_columns(int level) {
    return std::string("code, pcode, name_th, name_en, ") + (level >= 2 ? "adm1" : "NULL") + ", " + (level == 3 ? "adm2" : "NULL") +
           ", AsBinary(geom)";
}

admin_area read_admin_area(const statement& st) {
    admin_area a;
    a.code = st.text(0);
    a.pcode = st.text(1);
    a.name_th = st.text(2);
    a.name_en = st.text(3);
    a.adm1 = st.optional_text(4);
    a.adm2 = st.optional_text(5);
    a.geometry = geo::multi_polygon_from_wkb(st.blob(6));
    return a;
}

} // namespace

cql2::target admin_filter_target(int level, backend b) {
    using cql2::value_type;
    const std::string table = admin_table(level);
    cql2::target t;
    t.backend = b;
    t.properties = {{"code", table + ".code", value_type::text},
                    {"pcode", table + ".pcode", value_type::text},
                    {"name_th", table + ".name_th", value_type::text},
                    {"name_en", table + ".name_en", value_type::text}};
    if (level >= 2) t.properties.push_back({"adm1", table + ".adm1", value_type::text});
    if (level == 3) t.properties.push_back({"adm2", table + ".adm2", value_type::text});
    t.geometry = {"geometry", table + ".geom", table, "geom", table};
    return t;
}

admin_page list_admin_areas(connection& conn, const admin_query& q) {
    const std::string table = admin_table(q.level);
    std::string where = " WHERE TRUE";
    if (q.adm1 && q.level >= 2) where += " AND adm1 = :adm1";
    if (q.adm2 && q.level == 3) where += " AND adm2 = :adm2";
    if (q.filter) where += " AND " + q.filter->sql;
    if (q.bbox) {
        const dialect& d = dialect_of(conn);
        where += " AND " + d.box_meets(table, table, "geom", {":minx", ":miny", ":maxx", ":maxy"}) + " AND " +
                 d.holds("ST_Intersects(geom, BuildMbr(:minx, :miny, :maxx, :maxy, 4326))");
    }
    const auto bind = [&](statement& st) {
        const auto named = [&](const char* name, const auto& value) {
            if (const int i = st.parameter_index(name); i > 0) st.bind(i, value);
        };
        if (q.adm1) named(":adm1", *q.adm1);
        if (q.adm2) named(":adm2", *q.adm2);
        if (q.filter) bind_filter(st, *q.filter);
        if (q.bbox) {
            named(":minx", q.bbox->min_x);
            named(":miny", q.bbox->min_y);
            named(":maxx", q.bbox->max_x);
            named(":maxy", q.bbox->max_y);
        }
    };
    admin_page page;
    statement count = conn.prepare("SELECT count(*) FROM " + table + where);
    bind(count);
    if (count.step()) page.number_matched = count.int64(0);
    statement st = conn.prepare("SELECT " + admin_columns(q.level) + " FROM " + table + where +
                                " AND code > :after ORDER BY code LIMIT :limit");
    bind(st);
    st.bind(st.parameter_index(":after"), q.after_code);
    st.bind(st.parameter_index(":limit"), std::int64_t{q.limit} + 1);
    page.more = read_page(st, q.limit, page.areas, read_admin_area);
    return page;
}

std::optional<admin_area> find_admin_area(connection& conn, int level, std::string_view code) {
    statement st = conn.prepare("SELECT " + admin_columns(level) + " FROM " + admin_table(level) + " WHERE code = ?1");
    st.bind(1, code);
    if (!st.step()) return std::nullopt;
    return read_admin_area(st);
}

admin_counts count_admin_areas(connection& conn) {
    return {conn.scalar_int("SELECT count(*) FROM adm1"), conn.scalar_int("SELECT count(*) FROM adm2"),
            conn.scalar_int("SELECT count(*) FROM adm3")};
}

admin_counts load_admin_areas(connection& conn, const std::filesystem::path& dir) {
    if (conn.scalar_int("SELECT count(*) FROM adm1") > 0) return count_admin_areas(conn);
    transaction tx(conn);
    for (const level& lv : levels) load_level(conn, lv, dir);
    tx.commit();
    return count_admin_areas(conn);
}

std::vector<subdistrict> read_subdistricts(connection& conn, const std::vector<std::string>& adm1_codes) {
    statement st = conn.prepare("SELECT adm1, adm2, code, name_th, AsBinary(geom) FROM adm3 ORDER BY code");
    std::vector<subdistrict> out;
    while (st.step()) {
        std::string adm1(st.text(0));
        if (!adm1_codes.empty() && std::find(adm1_codes.begin(), adm1_codes.end(), adm1) == adm1_codes.end()) continue;
        subdistrict s{std::move(adm1), std::string(st.text(1)), std::string(st.text(2)), std::string(st.text(3)),
                      geo::multi_polygon_from_wkb(st.blob(4)), {}};
        s.bounds = geo::envelope(s.geometry);
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace plotmap::data
