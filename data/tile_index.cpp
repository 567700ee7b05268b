#include "data/tile_index.hpp"

#include "data/plot_store.hpp"
#include "data/sqlite.hpp"
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
    return out;
}

void insert(connection& conn, const char* table, std::int64_t id, const geo::bbox& b, const std::string& attrs,
            const std::string& wkb) {
    conn.cached(std::string("INSERT INTO ") + table + " (id, min_x, max_x, min_y, max_y, attrs, geom) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, id)
        .bind(2, b.min_x)
        .bind(3, b.max_x)
        .bind(4, b.min_y)
        .bind(5, b.max_y)
        .bind(6, attrs)
        .bind_blob(7, wkb)
        .run();
}

} // namespace

void index_for_tiles(connection& conn, const plot& p) {
    conn.cached("DELETE FROM tile_shapes WHERE id = ?").bind(1, p.id).run();
    conn.cached("DELETE FROM tile_locations WHERE id = ?").bind(1, p.id).run();
    if (p.deleted_at) return;
    const std::string attrs = packed_attributes(p);
    if (p.boundary) insert(conn, "tile_shapes", p.id, geo::envelope(*p.boundary), attrs, geo::to_wkb(*p.boundary));
    if (p.location) {
        insert(conn, "tile_locations", p.id, {p.location->x, p.location->y, p.location->x, p.location->y}, attrs,
               geo::to_wkb(*p.location));
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
