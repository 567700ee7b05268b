#pragma once
// Backups of the database while the server keeps writing (SQLite's online backup API reads
// one consistent snapshot; WAL lets writers go on meanwhile), their verification, and
// restoring one. See docs/storage.md.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace plotmap::data {

/// What a backup holds, read back from the copy itself.
struct backup_summary {
    std::int64_t bytes = 0;
    int schema_version = 0;
    std::int64_t plots = 0;        ///< every plot row, deleted ones included
    std::int64_t history = 0;      ///< rows of plot history
    std::int64_t users = 0;
    std::int64_t photos = 0;       ///< photo rows, deleted ones included
    std::int64_t photo_files = 0;  ///< files of those photos in the backup's photo folder
    std::int64_t photo_bytes = 0;
};

/// A backup's photo folder: "<backup>.photos" beside it.
[[nodiscard]] std::filesystem::path backup_photo_dir(const std::filesystem::path& backup);

/// The current UTC time for file names: "20261130T120620Z".
[[nodiscard]] std::string file_stamp();

/// Copies the database at `source` to `out` (which must not exist) as one consistent
/// snapshot, then, with `photos` (the source's photo folder), the files of every photo the
/// snapshot names into backup_photo_dir(out), and verifies the copy. Safe while other
/// connections write: photo files are written before their rows and never change, so the
/// snapshot's photos all have their files.
/// @throws store_error if `out` exists or either file cannot be used; the partial copy
///         is removed.
backup_summary backup_database(const std::string& source, const std::filesystem::path& out,
                               const std::optional<std::filesystem::path>& photos = std::nullopt);

/// Checks a backup file: SQLite's integrity check, SpatiaLite's spatial index checks, a
/// schema version this program knows, and with `with_photos` that backup_photo_dir(file)
/// holds every file of every photo row. @throws store_error naming what is wrong.
backup_summary verify_backup(const std::filesystem::path& file, bool with_photos = false);

/// Replaces the database at `target` with the verified backup `from`. The database it
/// replaces, if any, is first kept beside it as `<target>.before-restore-<file_stamp()>`, whose
/// path is returned in `kept`. Stop the server first: its caches would not know.
/// @throws store_error (a bad backup is refused before anything changes).
/// With `photos` (the target's photo folder), the backup's photo files are copied into it
/// (files already there are kept; `plotmap photos sweep` removes those no row names).
backup_summary restore_database(const std::filesystem::path& from, const std::string& target, std::filesystem::path& kept,
                                const std::optional<std::filesystem::path>& photos = std::nullopt);

} // namespace plotmap::data
