#pragma once
// Counts of plot locations per Web Mercator grid cell, kept up to date in the same
// transaction as every plot write, so low-zoom tiles can show clusters (with counts by
// stage) of a million plots without reading a million rows.
//
// Cells are tiles of zoom 5, 8, 11 and 14 (every third level); a tile at zoom z wants cells
// of zoom z+3 (8 x 8 per tile) and sums them up from the nearest stored level below.

#include "geo/geometry.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace plotmap::data {

class connection;

/// Zoom levels at which cells are stored.
inline constexpr std::array<int, 4> cluster_cell_levels{5, 8, 11, 14};

/// Adds (delta +1) or removes (-1) one plot location of `stage` from every level.
void adjust_clusters(connection& conn, geo::point lonlat, const std::string& stage, int delta);

/// Accumulates many adjustments in memory and writes them in one go (bulk loads).
class cluster_batch {
public:
    /// Adds (delta +1) or removes (-1) one plot location of `stage`.
    void add(geo::point lonlat, const std::string& stage, int delta = 1);
    /// Writes and clears the accumulated counts. Call inside the caller's transaction.
    void flush(connection& conn);

private:
    struct sums {
        long long n = 0;
        double x = 0;
        double y = 0;
    };
    std::map<std::tuple<int, std::uint32_t, std::uint32_t, std::string>, sums> cells_;
};

/// Rebuilds every cell from the plots table (migrations, repairs).
void rebuild_clusters(connection& conn);

struct cluster_cell {
    std::uint32_t x = 0;            ///< cell column at `zoom`
    std::uint32_t y = 0;            ///< cell row at `zoom`
    int zoom = 0;
    long long count = 0;
    geo::point mean_mercator;       ///< mean location of the plots, Web Mercator metres
    std::map<std::string, long long> by_stage;
};

/// The cells of zoom `cell_zoom` inside the tile range [x0, x1] x [y0, y1] (in cells of
/// that zoom). @pre cell_zoom <= 14.
[[nodiscard]] std::vector<cluster_cell> read_clusters(connection& conn, int cell_zoom, std::uint32_t x0, std::uint32_t y0,
                                                      std::uint32_t x1, std::uint32_t y1);

} // namespace plotmap::data
