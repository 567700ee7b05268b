#include "data/schema.hpp"

#include "data/database.hpp"
#include "data/postgis/schema.hpp"
#include "data/sqlite/schema.hpp"
#include "geo/error.hpp"

#include <string>

namespace plotmap::data {

int schema_version(connection& conn) {
    return conn.kind() == backend::postgresql ? postgis::schema_version(conn) : sqlite::schema_version(conn);
}

int migrate(connection& conn) {
    const bool pg = conn.kind() == backend::postgresql;
    const int current = schema_version(conn);
    if (current > latest_schema_version()) {
        throw store_error("database " + conn.path() + " has schema version " + std::to_string(current) +
                          ", newer than this plotmap (" + std::to_string(latest_schema_version()) +
                          "): upgrade plotmap before opening it");
    }
    if (current == 0 && (pg ? postgis::has_other_tables(conn) : sqlite::has_other_tables(conn))) {
        throw store_error("database " + conn.path() + " is not a plotmap database (it has tables but no plotmap schema version)");
    }
    if (pg) {
        return postgis::migrate_from(conn, current);
    }
    sqlite::migrate_from(conn, current);
    return latest_schema_version() - current;
}

void refresh_statistics(connection& conn) {
    if (conn.kind() == backend::postgresql) {
        postgis::refresh_statistics(conn);
    } else {
        sqlite::refresh_statistics(conn);
    }
}

void require_current_schema(connection& conn) {
    const int current = schema_version(conn);
    if (current == latest_schema_version()) return;
    if (current > latest_schema_version()) migrate(conn); // throws the "newer" message
    throw store_error("database " + conn.path() + " has schema version " + std::to_string(current) + ", expected " +
                      std::to_string(latest_schema_version()) + ": run `plotmap init --db " + conn.path() + "`");
}

} // namespace plotmap::data
