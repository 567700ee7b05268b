#pragma once
// The PostgreSQL + PostGIS backend's schema. A new database gets the current version in one
// migration (PostgreSQL came in at version 12, so it has no older ones); later versions add a
// migration here and in data/sqlite/schema.cpp. The version lives in plotmap_schema.

namespace plotmap::data {
class connection;
}

namespace plotmap::data::postgis {

[[nodiscard]] int schema_version(connection& conn);
/// Whether the database's schema has tables that are not plotmap's, at version 0.
[[nodiscard]] bool has_other_tables(connection& conn);
/// Brings the schema from `current` to the current version. @returns migrations applied.
int migrate_from(connection& conn, int current);
void refresh_statistics(connection& conn);

} // namespace plotmap::data::postgis
