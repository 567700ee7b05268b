#include "data/pin_clusters.hpp"

#include "data/database.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"

#include <algorithm>

namespace plotmap::data {
namespace {

constexpr const char* upsert_sql = R"sql(
INSERT INTO pin_clusters (cz, cx, cy, stage, n, sum_x, sum_y) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (cz, cx, cy, stage) DO UPDATE SET n = pin_clusters.n + excluded.n,
  sum_x = pin_clusters.sum_x + excluded.sum_x, sum_y = pin_clusters.sum_y + excluded.sum_y)sql";

void upsert(connection& conn, int cz, std::uint32_t cx, std::uint32_t cy, const std::string& stage, long long n, double sx,
            double sy) {
    conn.cached(upsert_sql)
        .bind(1, cz)
        .bind(2, static_cast<std::int64_t>(cx))
        .bind(3, static_cast<std::int64_t>(cy))
        .bind(4, stage)
        .bind(5, static_cast<std::int64_t>(n))
        .bind(6, sx)
        .bind(7, sy)
        .run();
    if (n < 0) {
        conn.cached("DELETE FROM pin_clusters WHERE cz = ?1 AND cx = ?2 AND cy = ?3 AND stage = ?4 AND n <= 0")
            .bind(1, cz)
            .bind(2, static_cast<std::int64_t>(cx))
            .bind(3, static_cast<std::int64_t>(cy))
            .bind(4, stage)
            .run();
    }
}

} // namespace

void adjust_clusters(connection& conn, geo::point lonlat, const std::string& stage, int delta) {
    cluster_batch one;
    one.add(lonlat, stage, delta);
    one.flush(conn);
}

void cluster_batch::add(geo::point lonlat, const std::string& stage, int delta) {
    const geo::point m = geo::lonlat_to_mercator(lonlat);
    for (const int level : cluster_cell_levels) {
        const geo::tile_id cell = geo::tile_containing(lonlat, level);
        sums& s = cells_[{level, cell.x, cell.y, stage}];
        s.n += delta;
        s.x += delta * m.x;
        s.y += delta * m.y;
    }
}

void cluster_batch::flush(connection& conn) {
    for (const auto& [key, s] : cells_) {
        const auto& [level, x, y, stage] = key;
        if (s.n != 0 || s.x != 0 || s.y != 0) upsert(conn, level, x, y, stage, s.n, s.x, s.y); // a move inside a cell keeps n
    }
    cells_.clear();
}

void rebuild_clusters(connection& conn) {
    conn.exec("DELETE FROM pin_clusters");
    cluster_batch batch;
    statement st = conn.prepare("SELECT AsBinary(location), stage FROM plots WHERE deleted_at IS NULL AND location IS NOT NULL");
    while (st.step()) batch.add(geo::point_from_wkb(st.blob(0)), std::string(st.text(1)));
    batch.flush(conn);
}

std::vector<cluster_cell> read_clusters(connection& conn, int cell_zoom, std::uint32_t x0, std::uint32_t y0, std::uint32_t x1,
                                        std::uint32_t y1) {
    const int stored = *std::find_if(cluster_cell_levels.begin(), cluster_cell_levels.end(),
                                     [&](int level) { return level >= cell_zoom; });
    const int shift = stored - cell_zoom;
    statement& st = conn.cached(
        "SELECT cx, cy, stage, n, sum_x, sum_y FROM pin_clusters WHERE cz = ?1 AND cx BETWEEN ?2 AND ?3 AND cy BETWEEN ?4 AND ?5");
    st.bind(1, stored)
        .bind(2, static_cast<std::int64_t>(std::uint64_t{x0} << shift))
        .bind(3, static_cast<std::int64_t>(((std::uint64_t{x1} + 1) << shift) - 1))
        .bind(4, static_cast<std::int64_t>(std::uint64_t{y0} << shift))
        .bind(5, static_cast<std::int64_t>(((std::uint64_t{y1} + 1) << shift) - 1));
    std::map<std::pair<std::uint32_t, std::uint32_t>, cluster_cell> cells;
    std::map<std::pair<std::uint32_t, std::uint32_t>, geo::point> sums;
    while (st.step()) {
        const auto x = static_cast<std::uint32_t>(st.int64(0) >> shift);
        const auto y = static_cast<std::uint32_t>(st.int64(1) >> shift);
        cluster_cell& c = cells[{x, y}];
        c.x = x;
        c.y = y;
        c.zoom = cell_zoom;
        const long long n = st.int64(3);
        c.count += n;
        c.by_stage[std::string(st.text(2))] += n;
        geo::point& s = sums[{x, y}];
        s.x += st.real(4);
        s.y += st.real(5);
    }
    std::vector<cluster_cell> out;
    out.reserve(cells.size());
    for (auto& [key, c] : cells) {
        const geo::point s = sums[key];
        c.mean_mercator = {s.x / static_cast<double>(c.count), s.y / static_cast<double>(c.count)};
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace plotmap::data
