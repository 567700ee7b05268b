#pragma once
// The SQLite backend's schema: its migrations (one per version, since version 1), the version
// in PRAGMA user_version, statistics by ANALYZE. Called through data/schema.hpp.

namespace plotmap::data {
class connection;
}

namespace plotmap::data::sqlite {

[[nodiscard]] int schema_version(connection& conn);
/// Whether the file has tables of its own (a file that is not plotmap's, at version 0).
[[nodiscard]] bool has_other_tables(connection& conn);
/// Applies every migration above `current`, each in its own transaction with its version.
void migrate_from(connection& conn, int current);
void refresh_statistics(connection& conn);

} // namespace plotmap::data::sqlite
