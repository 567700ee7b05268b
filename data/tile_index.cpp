#include "data/tile_index.hpp"

#include "data/plot_store.hpp"
#include "data/database.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"

#include <cstdio>

namespace plotmap::data {
namespace {

/// The public attributes, separated by the ASCII unit separator (read by tile_features.cpp).
std::string packed_attributes(const plot& p) {
    const char sep = '\x1f';
    std::string out = p.stage + sep + p.code + sep + p.program + sep;
    if (p.area_m2) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *p.area_m2);
        out += buf;
    }
    out += sep + p.adm1.value_or("") + sep + p.adm2.value_or("") + sep + p.adm3.value_or("") + sep;
    if (p.budget_year) out += std::to_string(*p.budget_year);
    return out + sep + p.review_state;
}

} // namespace

void index_for_tiles(connection& conn, const plot& p, bool is_new) {
    if (!is_new) {
        conn.cached("DELETE FROM tile_shapes WHERE id = ?").bind(1, p.id).run();
        conn.cached("DELETE FROM tile_locations WHERE id = ?").bind(1, p.id).run();
    }
    if (p.deleted_at) return;
    const std::string attrs = packed_attributes(p);
    if (p.boundary) {
        const geo::bbox b = geo::envelope(*p.boundary);
        const std::string wkb = geo::to_wkb(*p.boundary);
        // North has the smaller row number: the box's corners give the cell range.
        const geo::tile_id nw = geo::tile_containing({b.min_x, b.max_y}, tile_cell_zoom);
        const geo::tile_id se = geo::tile_containing({b.max_x, b.min_y}, tile_cell_zoom);
        for (std::uint32_t cx = nw.x; cx <= se.x; ++cx) {
            for (std::uint32_t cy = nw.y; cy <= se.y; ++cy) {
                conn.cached("INSERT INTO tile_shapes (cx, cy, id, min_x, min_y, max_x, max_y, attrs, geom) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    .bind(1, static_cast<std::int64_t>(cx))
                    .bind(2, static_cast<std::int64_t>(cy))
                    .bind(3, p.id)
                    .bind(4, b.min_x)
                    .bind(5, b.min_y)
                    .bind(6, b.max_x)
                    .bind(7, b.max_y)
                    .bind(8, attrs)
                    .bind_blob(9, wkb)
                    .run();
            }
        }
    }
    if (p.location) {
        const geo::tile_id cell = geo::tile_containing(*p.location, tile_cell_zoom);
        conn.cached("INSERT INTO tile_locations (cx, cy, id, x, y, attrs) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(1, static_cast<std::int64_t>(cell.x))
            .bind(2, static_cast<std::int64_t>(cell.y))
            .bind(3, p.id)
            .bind(4, p.location->x)
            .bind(5, p.location->y)
            .bind(6, attrs)
            .run();
    }
}

void rebuild_tile_index(connection& conn) {
    conn.exec("DELETE FROM tile_shapes; DELETE FROM tile_locations");
    statement ids = conn.prepare("SELECT id FROM plots WHERE deleted_at IS NULL ORDER BY id");
    std::vector<std::int64_t> all;
    while (ids.step()) all.push_back(ids.int64(0));
    for (const std::int64_t id : all) {
        if (const auto p = find_plot(conn, id)) index_for_tiles(conn, *p);
    }
}

} // namespace plotmap::data
