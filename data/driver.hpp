#pragma once
// What a storage backend implements: one connection and its prepared statements. plotmap's
// repositories (data/*.cpp) speak to these through data/database.hpp and never see a backend's
// handle; each backend is one folder (data/sqlite/, data/postgis/) holding its driver, its
// migrations and its spatial SQL. See docs/architecture.md.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

/// The database engines plotmap runs on.
enum class backend {
    sqlite,     ///< SQLite + SpatiaLite, one file (the default)
    postgresql, ///< PostgreSQL + PostGIS, for several servers on one database
};

/// How a connection is opened.
enum class open_mode {
    create,     ///< read-write; an SQLite file is created if missing (init)
    read_write, ///< read-write, the database must exist (the writer)
    read_only,  ///< reads only (the readers' pool)
};

namespace driver {

/// One prepared statement. Parameters are numbered from 1 in the order of SQLite's rules
/// (`?`, `?NNN`, `:name`); columns from 0. Column values are valid until the next step().
class statement {
public:
    virtual ~statement() = default;
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    virtual void bind_int64(int index, std::int64_t value) = 0;
    virtual void bind_double(int index, double value) = 0;
    virtual void bind_text(int index, std::string_view text) = 0;
    virtual void bind_blob(int index, std::string_view bytes) = 0;
    virtual void bind_null(int index) = 0;
    /// Index of a named parameter (":name"), 0 if there is none of that name.
    [[nodiscard]] virtual int parameter_index(const char* name) const = 0;

    /// @returns true while a row is available.
    /// @throws busy, conflict or store_error (geo/error.hpp).
    virtual bool step() = 0;
    /// Rewinds and clears the bindings.
    virtual void reset() = 0;

    [[nodiscard]] virtual bool is_null(int column) const = 0;
    [[nodiscard]] virtual std::int64_t int64(int column) const = 0;
    [[nodiscard]] virtual double real(int column) const = 0;
    [[nodiscard]] virtual std::string_view text(int column) const = 0;
    [[nodiscard]] virtual std::string_view blob(int column) const = 0;
};

/// One connection to a database.
class connection {
public:
    virtual ~connection() = default;
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    [[nodiscard]] virtual backend kind() const noexcept = 0;
    /// Where the connection goes, for messages (an SQLite path, or a URL without its password).
    [[nodiscard]] virtual const std::string& location() const noexcept = 0;

    /// Runs one or more statements that return no rows.
    virtual void exec(std::string_view sql) = 0;
    /// Prepares one statement (a backend may hand back one it kept from an earlier use).
    virtual std::unique_ptr<statement> prepare(std::string_view sql) = 0;

    /// Rows the last INSERT, UPDATE or DELETE changed.
    [[nodiscard]] virtual std::int64_t changes() = 0;

    [[nodiscard]] virtual bool in_transaction() const = 0;
    /// Starts a transaction that takes the write lock at once (SQLite's BEGIN IMMEDIATE).
    virtual void begin() = 0;
    virtual void commit() = 0;
    /// Never throws: called from destructors.
    virtual void rollback() noexcept = 0;

    /// A number that changes whenever another connection commits, if the backend can tell
    /// cheaply (SQLite's PRAGMA data_version); nullopt otherwise.
    [[nodiscard]] virtual std::optional<std::int64_t> data_version() = 0;
    [[nodiscard]] virtual bool read_only() const noexcept = 0;

    /// Drops a table's secondary (non-unique, ordered) indexes inside the open transaction.
    /// @returns the SQL that makes each again.
    virtual std::vector<std::string> drop_secondary_indexes(std::string_view table) = 0;
    /// Leaves the spatial index of `table`.`column` alone while a batch inserts rows (inside
    /// its open transaction). @returns what fills it for the rows inserted since, in one
    /// pass, and takes its usual upkeep up again (run before the commit); an empty function
    /// when the backend keeps that index as cheaply row by row (PostGIS's GiST).
    virtual std::function<void()> defer_spatial_index(std::string_view table, std::string_view column) = 0;
    /// A larger cache for one long writing transaction (on), the usual one again (off).
    virtual void batch_mode(bool on) = 0;
};

} // namespace driver
} // namespace plotmap::data
