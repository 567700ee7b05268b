#pragma once
// `plotmap migrate`: a whole plotmap database copied between backends (SpatiaLite file to
// PostgreSQL + PostGIS, or back), ids unchanged, in one transaction, then verified.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace plotmap::data {

/// What one table held and whether the copy holds the same.
struct table_copy {
    std::string table;
    std::int64_t rows = 0;
    std::string checksum; ///< of the rows, whatever their order (hex)
};

struct copy_result {
    std::vector<table_copy> tables;
    int schema_version = 0;
};

/// Copies every row of every plotmap table from the database at `from` into the one at `to`
/// (an SQLite path or a postgresql:// URL each), which must be new or empty: its schema is
/// made first, in the same transaction as the rows. Every column both schemas have is copied, geometries as WKB; the tables kept
/// by triggers (totals, stage and review changes) are copied as they are, not remade. Then
/// each table's rows are counted and checksummed on both sides.
/// `progress(table, rows)` is called as tables finish.
/// @throws store_error if `to` holds data, `from` is not at the current schema, or the copy
///         differs (nothing is committed then).
copy_result copy_database(const std::string& from, const std::string& to,
                          const std::function<void(const std::string&, std::int64_t)>& progress = {});

} // namespace plotmap::data
