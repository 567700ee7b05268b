#pragma once
// Tile feature tables: every live plot's public attributes and geometry, stored clustered by
// the zoom-14 Web Mercator cell(s) it lies in, so a tile reads a few contiguous key ranges and
// nothing else (no R*Tree node walks, no per-row seek into the wide plots table). Kept in step
// with every plot write in the same transaction (plot_registry, demo), the way PostGIS users
// keep a precomputed tile geometry column.

#include "data/plot.hpp"

namespace plotmap::data {

class connection;

/// The zoom of the cells the tables are clustered by.
inline constexpr int tile_cell_zoom = 14;

/// Puts the plot in the tile tables, replacing what was there; removes it when deleted.
/// `is_new`: the plot was just created, so there is nothing to replace.
void index_for_tiles(connection& conn, const plot& p, bool is_new = false);

/// Rebuilds the tables from the plots table (migrations, repairs).
void rebuild_tile_index(connection& conn);

} // namespace plotmap::data
