#include "data/tile_features.hpp"

#include "data/spatialite_blob.hpp"
#include "data/sqlite.hpp"
#include "geo/wkb.hpp"

namespace plotmap::data {
namespace {

// Attribute columns, in the order read_attributes expects them. Subdistrict names are not
// joined here: callers keep them (they never change) and fill adm3_name.
constexpr const char* attribute_columns = "p.id, p.code, p.program, p.stage, p.area_m2, p.adm1, p.adm2, p.adm3, p.budget_year";

plot_tile_attributes read_attributes(const statement& st) {
    plot_tile_attributes a;
    a.id = st.int64(0);
    a.code = st.text(1);
    a.program = st.text(2);
    a.stage = st.text(3);
    if (!st.is_null(4)) a.area_m2 = st.real(4);
    a.adm1 = st.optional_text(5);
    a.adm2 = st.optional_text(6);
    a.adm3 = st.optional_text(7);
    if (!st.is_null(8)) a.budget_year = st.int64(8);
    return a;
}

void bind_box(statement& st, const geo::bbox& box) {
    st.bind(1, box.min_x).bind(2, box.min_y).bind(3, box.max_x).bind(4, box.max_y);
}

/// Live plots found through the R*Tree of one geometry column, with that column as WKB last.
template <typename Row, typename Read>
std::vector<Row> plots_through_index(connection& conn, const geo::bbox& box, const char* column, Read read_geometry) {
    // Stepped to the end every time, so the statement can be kept prepared on the connection.
    statement& st = conn.cached(std::string("SELECT ") + attribute_columns + ", p." + column + " FROM idx_plots_" + column +
                                R"sql( r JOIN plots p ON p.id = r.pkid
        WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4 AND r.ymax >= ?2 AND p.deleted_at IS NULL)sql");
    bind_box(st, box);
    std::vector<Row> out;
    while (st.step()) out.push_back({read_attributes(st), read_geometry(st.blob(9))});
    return out;
}

} // namespace

std::vector<plot_shape> plot_shapes_in(connection& conn, const geo::bbox& box) {
    return plots_through_index<plot_shape>(conn, box, "boundary", multi_polygon_from_spatialite);
}

std::vector<plot_location> plot_locations_in(connection& conn, const geo::bbox& box) {
    return plots_through_index<plot_location>(conn, box, "location", point_from_spatialite);
}

std::vector<admin_shape> admin_shapes_in(connection& conn, int level, const geo::bbox& box) {
    const std::string table = "adm" + std::to_string(level);
    statement st = conn.prepare("SELECT a.code, a.name_th, a.name_en, AsBinary(a.geom) FROM idx_" + table +
                                "_geom r JOIN " + table +
                                " a ON a.ROWID = r.pkid WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4 AND r.ymax >= ?2");
    bind_box(st, box);
    std::vector<admin_shape> out;
    while (st.step()) {
        out.push_back({std::string(st.text(0)), std::string(st.text(1)), std::string(st.text(2)),
                       geo::multi_polygon_from_wkb(st.blob(3))});
    }
    return out;
}

std::unordered_map<std::string, std::string> subdistrict_names(connection& conn) {
    std::unordered_map<std::string, std::string> names;
    statement st = conn.prepare("SELECT code, name_th FROM adm3");
    while (st.step()) names.emplace(std::string(st.text(0)), std::string(st.text(1)));
    return names;
}

geo::bbox plots_extent(connection& conn) {
    // The R*Tree's root covers everything indexed; deleted plots may widen it slightly.
    statement st = conn.prepare(
        "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_plots_location");
    geo::bbox b;
    if (st.step() && !st.is_null(0)) b = {st.real(0), st.real(1), st.real(2), st.real(3)};
    return b;
}

} // namespace plotmap::data
