#pragma once
// Versioned schema migrations, one list per backend (data/sqlite/schema.cpp,
// data/postgis/schema.cpp) leading to the same schema version. Each migration runs in its own
// transaction together with the version bump, so a crash mid-migration leaves the previous
// version intact.

namespace plotmap::data {

class connection;

/// The schema version this binary writes and expects, on every backend.
inline constexpr int current_schema_version = 13;

[[nodiscard]] constexpr int latest_schema_version() noexcept { return current_schema_version; }

/// The schema version of the open database (0 for a new, empty one).
[[nodiscard]] int schema_version(connection& conn);

/// Applies every migration above the current version.
/// @returns the number of migrations applied (0 when already current).
/// @throws store_error if the database is newer than this binary, or is not plotmap's.
int migrate(connection& conn);

/// Refreshes the query planner's statistics (on SQLite ANALYZE, sampling at most 1,000 rows
/// per index, so it takes well under a second on a million plots). Without them SQLite
/// cannot tell that a district narrows a million plots to a thousand while a stage narrows
/// them to a quarter million, and searches by district and stage scan the stage index.
void refresh_statistics(connection& conn);

/// @throws store_error unless the database is exactly at latest_schema_version(), with a
///         message that says which command fixes it.
void require_current_schema(connection& conn);

} // namespace plotmap::data
