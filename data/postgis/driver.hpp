#pragma once
// The PostgreSQL + PostGIS backend's driver (data/driver.hpp), on libpq. Every PGconn* and
// PGresult* in plotmap lives inside this folder's types.

#include "data/driver.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data::postgis {

/// Connects to the database at `url` (postgresql://user:password@host:port/dbname?...).
/// Sessions run in UTC; a writer waits at most `lock_timeout_ms` for a lock (then `busy`);
/// readers' transactions are read-only.
/// @throws store_error naming the URL (without its password) if it cannot connect.
[[nodiscard]] std::unique_ptr<driver::connection> open(const std::string& url, open_mode m, int lock_timeout_ms);

/// A URL with its password, if any, replaced by "***", for messages and logs.
[[nodiscard]] std::string redact_password(std::string_view url);

/// SQL with SQLite's parameters (`?`, `?NNN`, `:name`) rewritten as PostgreSQL's `$N`,
/// numbered by SQLite's rules; text in quotes, comments and `::` casts left alone.
struct numbered_sql {
    std::string sql;
    std::vector<std::string> names; ///< names[i]: the name of parameter i + 1 (":x"), or ""
};
[[nodiscard]] numbered_sql number_parameters(std::string_view sql);

} // namespace plotmap::data::postgis
