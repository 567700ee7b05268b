#pragma once
// Backups of the database while the server keeps writing (SQLite's online backup API reads
// one consistent snapshot; WAL lets writers go on meanwhile), their verification, and
// restoring one. See docs/storage.md.

#include <cstdint>
#include <filesystem>
#include <string>

namespace plotmap::data {

/// What a backup holds, read back from the copy itself.
struct backup_summary {
    std::int64_t bytes = 0;
    int schema_version = 0;
    std::int64_t plots = 0;        ///< every plot row, deleted ones included
    std::int64_t history = 0;      ///< rows of plot history
    std::int64_t users = 0;
};

/// The current UTC time for file names: "20261130T120620Z".
[[nodiscard]] std::string file_stamp();

/// Copies the database at `source` to `out` (which must not exist) as one consistent
/// snapshot, then verifies the copy. Safe while other connections write.
/// @throws store_error if `out` exists or either file cannot be used; the partial copy
///         is removed.
backup_summary backup_database(const std::string& source, const std::filesystem::path& out);

/// Checks a backup file: SQLite's integrity check, SpatiaLite's spatial index checks, a
/// schema version this program knows. @throws store_error naming what is wrong.
backup_summary verify_backup(const std::filesystem::path& file);

/// Replaces the database at `target` with the verified backup `from`. The database it
/// replaces, if any, is first kept beside it as `<target>.before-restore-<file_stamp()>`, whose
/// path is returned in `kept`. Stop the server first: its caches would not know.
/// @throws store_error (a bad backup is refused before anything changes).
backup_summary restore_database(const std::filesystem::path& from, const std::string& target, std::filesystem::path& kept);

} // namespace plotmap::data
