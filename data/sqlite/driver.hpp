#pragma once
// The SQLite + SpatiaLite backend's driver (data/driver.hpp). Every sqlite3* and
// sqlite3_stmt* in plotmap lives inside this folder's types.

#include "data/driver.hpp"

#include <memory>
#include <string>
#include <string_view>

struct sqlite3;

namespace plotmap::data {
class connection;
}

namespace plotmap::data::sqlite {

/// Opens the SQLite file at `path` with SpatiaLite loaded. Pragmas (docs/storage.md): WAL,
/// synchronous=FULL, foreign keys on, the busy timeout as given; readers map the file.
/// @throws store_error naming the file if it cannot be opened.
[[nodiscard]] std::unique_ptr<driver::connection> open(const std::string& path, open_mode m, int busy_timeout_ms);

/// The sqlite3 handle of an SQLite connection, for SQLite's own APIs (online backup,
/// R*Tree bulk loads). @throws store_error if the connection is to another backend.
[[nodiscard]] sqlite3* handle(connection& conn);

/// Throws the exception matching an SQLite result code, with the connection's message.
[[noreturn]] void fail(connection& conn, int rc, std::string_view context);

} // namespace plotmap::data::sqlite
