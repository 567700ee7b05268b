#pragma once
// Covering R*Trees for tiles: every live plot's box with its public attributes and geometry
// stored beside it (SQLite R*Tree auxiliary columns), so a tile is one index scan with no
// join back to the wide plots table. Kept in step with every plot write, in the same
// transaction (plot_registry, demo), like PostGIS users keep a precomputed tile column.

#include "data/plot.hpp"

namespace plotmap::data {

class connection;

/// Puts the plot in the tile index, replacing what was there; removes it when deleted.
void index_for_tiles(connection& conn, const plot& p);

/// Rebuilds both indexes from the plots table (migrations, repairs).
void rebuild_tile_index(connection& conn);

} // namespace plotmap::data
