#include "data/tile_features.hpp"

#include "data/database.hpp"
#include "data/dialect.hpp"
#include "data/plot_store.hpp"
#include "data/tile_index.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <set>
#include <unordered_set>

namespace plotmap::data {
namespace {

/// Unpacks the attributes tile_index.cpp stores: stage, code, program, area_m2, adm1, adm2,
/// adm3, budget_year, review_state, separated by 0x1f. Rows written before the review state
/// was kept (schema 11 and older) end at budget_year: their plots were all unchecked.
plot_tile_attributes read_attributes(std::int64_t id, std::string_view packed) {
    std::array<std::string_view, 9> f{};
    for (std::size_t i = 0; i < f.size(); ++i) {
        const auto sep = packed.find('\x1f');
        f[i] = packed.substr(0, sep);
        packed = sep == std::string_view::npos ? std::string_view{} : packed.substr(sep + 1);
    }
    const auto text = [](std::string_view v) { return v.empty() ? std::nullopt : std::optional<std::string>(v); };
    plot_tile_attributes a;
    a.id = id;
    a.stage = f[0];
    a.code = f[1];
    a.program = f[2];
    double area = 0;
    if (!f[3].empty() && std::from_chars(f[3].data(), f[3].data() + f[3].size(), area).ec == std::errc{}) a.area_m2 = area;
    a.adm1 = text(f[4]);
    a.adm2 = text(f[5]);
    a.adm3 = text(f[6]);
    std::int64_t year = 0;
    if (!f[7].empty() && std::from_chars(f[7].data(), f[7].data() + f[7].size(), year).ec == std::errc{}) a.budget_year = year;
    a.review_state = f[8].empty() ? std::string("unchecked") : std::string(f[8]);
    return a;
}

void bind_box(statement& st, const geo::bbox& box) {
    st.bind(1, box.min_x).bind(2, box.min_y).bind(3, box.max_x).bind(4, box.max_y);
}

/// The zoom-14 cell columns and row range a lon/lat box covers.
struct cell_range {
    std::uint32_t x0, x1, y0, y1;
};

cell_range cells_of(const geo::bbox& box) {
    const geo::tile_id nw = geo::tile_containing({box.min_x, box.max_y}, tile_cell_zoom);
    const geo::tile_id se = geo::tile_containing({box.max_x, box.min_y}, tile_cell_zoom);
    return {nw.x, se.x, nw.y, se.y};
}

/// Runs `sql` (parameters: cx, cy range, then the box) once per zoom-14 cell column the box
/// covers: one contiguous key range each. The statement is stepped to the end every time, so
/// it stays prepared on the connection.
template <typename Row>
void scan_cells(connection& conn, const std::string& sql, const geo::bbox& box, Row on_row) {
    const cell_range cells = cells_of(box);
    statement& st = conn.cached(sql);
    for (std::uint32_t cx = cells.x0; cx <= cells.x1; ++cx) {
        st.reset();
        st.bind(1, static_cast<std::int64_t>(cx)).bind(2, static_cast<std::int64_t>(cells.y0)).bind(3, static_cast<std::int64_t>(cells.y1));
        st.bind(4, box.min_x).bind(5, box.min_y).bind(6, box.max_x).bind(7, box.max_y);
        while (st.step()) on_row(st);
    }
}

} // namespace

std::vector<plot_shape> plot_shapes_in(connection& conn, const geo::bbox& box) {
    std::vector<plot_shape> out;
    std::unordered_set<std::int64_t> seen; // a boundary across cells is stored in each
    scan_cells(conn,
               "SELECT id, attrs, geom FROM tile_shapes WHERE cx = ?1 AND cy BETWEEN ?2 AND ?3 "
               "AND max_x >= ?4 AND min_x <= ?6 AND max_y >= ?5 AND min_y <= ?7",
               box, [&](const statement& st) {
                   const std::int64_t id = st.int64(0);
                   if (seen.insert(id).second) {
                       out.push_back({read_attributes(id, st.text(1)), geo::multi_polygon_from_wkb(st.blob(2))});
                   }
               });
    return out;
}

std::vector<plot_location> plot_locations_in(connection& conn, const geo::bbox& box) {
    std::vector<plot_location> out;
    scan_cells(conn,
               "SELECT id, attrs, x, y FROM tile_locations WHERE cx = ?1 AND cy BETWEEN ?2 AND ?3 "
               "AND x BETWEEN ?4 AND ?6 AND y BETWEEN ?5 AND ?7",
               box, [&](const statement& st) {
                   out.push_back({read_attributes(st.int64(0), st.text(1)), geo::point{st.real(2), st.real(3)}});
               });
    return out;
}

std::vector<admin_shape> admin_shapes_in(connection& conn, int level, const geo::bbox& box) {
    const std::string table = "adm" + std::to_string(level);
    statement st = conn.prepare("SELECT a.code, a.name_th, a.name_en, AsBinary(a.geom) FROM " + table + " a WHERE " +
                                dialect_of(conn).box_meets("a", table, "geom", {"?1", "?2", "?3", "?4"}));
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
    statement st = conn.prepare("SELECT min(x), min(y), max(x), max(y) FROM tile_locations");
    geo::bbox b;
    if (st.step() && !st.is_null(0)) b = {st.real(0), st.real(1), st.real(2), st.real(3)};
    return b;
}

std::int64_t last_history_id(connection& conn) { return conn.scalar_int("SELECT coalesce(max(id), 0) FROM plot_history"); }

namespace {

/// Extends `box` by every position in a GeoJSON geometry's coordinates (any nesting).
void extend_by_coordinates(geo::bbox& box, const nlohmann::json& c) {
    if (!c.is_array()) return;
    if (c.size() >= 2 && c[0].is_number() && c[1].is_number()) {
        box.extend(geo::point{c[0].get<double>(), c[1].get<double>()});
        return;
    }
    for (const auto& inner : c) extend_by_coordinates(box, inner);
}

} // namespace

plot_changes plot_changes_since(connection& conn, std::int64_t after) {
    plot_changes out;
    out.last_history_id = after;
    std::set<std::int64_t> ids;
    statement st = conn.prepare("SELECT id, plot_id, changes FROM plot_history WHERE id > ? ORDER BY id");
    st.bind(1, after);
    while (st.step()) {
        out.last_history_id = st.int64(0);
        ++out.entries;
        ids.insert(st.int64(1));
        const nlohmann::json changes = nlohmann::json::parse(st.text(2), nullptr, false);
        if (!changes.is_object()) continue;
        for (const char* shape : {"boundary", "pin"}) {
            const auto it = changes.find(shape);
            if (it == changes.end() || !it->is_array()) continue;
            for (const auto& side : *it) { // [old, new]
                geo::bbox b;
                if (side.is_object() && side.contains("coordinates")) extend_by_coordinates(b, side["coordinates"]);
                if (!b.empty()) out.boxes.push_back(b);
            }
        }
    }
    for (const std::int64_t id : ids) {
        const std::optional<plot> p = find_plot(conn, id);
        if (!p) continue;
        geo::bbox now;
        if (p->boundary) now.extend(geo::envelope(*p->boundary));
        if (p->pin) now.extend(*p->pin);
        if (p->location) now.extend(*p->location);
        if (!now.empty()) out.boxes.push_back(now);
    }
    out.plots = static_cast<std::int64_t>(ids.size());
    return out;
}

} // namespace plotmap::data
