#pragma once
// Files written so that a crash or a power cut leaves either the old file or the whole new
// one: data fsynced before it is renamed into place, the folder fsynced after.

#include <filesystem>

namespace plotmap::geo {

/// Flushes a file's (or, with `directory`, a folder's) data to the disk.
/// @throws error naming the path when it cannot be opened or synced.
void fsync_path(const std::filesystem::path& path, bool directory);

/// Moves the finished file `from` to `to` (same file system), durably: `from` is synced
/// first, the folder of `to` after the rename.
void publish_file(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace plotmap::geo
