#pragma once
// Connections and statements, whichever backend holds the data (data/driver.hpp): SQLite +
// SpatiaLite for a file path, PostgreSQL + PostGIS for a postgresql:// URL. Every sqlite3*
// and PGconn* lives inside a backend folder, behind these types.

#include "data/driver.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace plotmap::data {

namespace cql2 {
struct sql_filter;
}

/// Whether `location` names a PostgreSQL database (a postgresql:// or postgres:// URL).
[[nodiscard]] bool is_postgresql_url(std::string_view location) noexcept;

/// `location` as messages show it: a URL without its password.
[[nodiscard]] std::string display_location(const std::string& location);

/// Whether `location` is an SQLite file that does not exist (a PostgreSQL URL never is: the
/// connection says what is wrong with it).
[[nodiscard]] bool missing_database_file(const std::string& location);

class connection;

/// A prepared statement. Bind indexes start at 1, column indexes at 0 (as in SQLite);
/// parameters are written SQLite's way (`?`, `?NNN`, `:name`) for every backend.
class statement {
public:
    /// Prepares `sql`, or takes a statement of the same text the connection kept from an
    /// earlier use (parsing and planning cost more than many lookups themselves).
    statement(connection& conn, std::string_view sql);
    statement(statement&&) noexcept = default;
    statement& operator=(statement&&) noexcept = delete;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() = default;

    statement& bind(int index, std::int64_t value) {
        impl_->bind_int64(index, value);
        return *this;
    }
    statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    statement& bind(int index, double value) {
        impl_->bind_double(index, value);
        return *this;
    }
    statement& bind(int index, std::string_view text) {
        impl_->bind_text(index, text);
        return *this;
    }
    statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, std::nullptr_t) {
        impl_->bind_null(index);
        return *this;
    }
    template <typename T>
    statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }
    statement& bind_blob(int index, std::string_view bytes) {
        impl_->bind_blob(index, bytes);
        return *this;
    }
    /// Index of a named parameter (":name"), 0 if the statement has none of that name.
    [[nodiscard]] int parameter_index(const char* name) const { return impl_->parameter_index(name); }

    /// Runs one step. @returns true while a row is available.
    /// @throws busy when the database is locked, conflict on a constraint violation,
    /// store_error otherwise.
    bool step() { return impl_->step(); }
    /// Steps to completion, for statements that return no rows.
    void run() {
        while (step()) {
        }
    }
    /// Runs an `INSERT ... RETURNING id` to completion. @returns the id of the row it made.
    std::int64_t run_returning_id();
    /// Rewinds and clears bindings so the statement can be reused.
    void reset() { impl_->reset(); }

    [[nodiscard]] bool is_null(int column) const { return impl_->is_null(column); }
    [[nodiscard]] std::int64_t int64(int column) const { return impl_->int64(column); }
    [[nodiscard]] double real(int column) const { return impl_->real(column); }
    /// Text of a column; empty for NULL. Valid until the next step/reset.
    [[nodiscard]] std::string_view text(int column) const { return impl_->text(column); }
    [[nodiscard]] std::string_view blob(int column) const { return impl_->blob(column); }
    [[nodiscard]] std::optional<std::string> optional_text(int column) const {
        if (is_null(column)) return std::nullopt;
        return std::string(text(column));
    }

private:
    std::unique_ptr<driver::statement> impl_;
};

/// One connection to the database at a location: an SQLite file (SpatiaLite loaded, pragmas
/// of docs/storage.md) or a postgresql:// URL (PostGIS).
class connection {
public:
    using mode = open_mode;

    /// Opens `location` (a file path or a postgresql:// URL).
    /// @throws store_error naming the database if it cannot be opened.
    connection(const std::string& location, mode m, int busy_timeout_ms = 5000);
    /// Takes a backend's connection (tests, tools).
    explicit connection(std::unique_ptr<driver::connection> impl);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    [[nodiscard]] backend kind() const noexcept { return impl_->kind(); }
    /// Runs one or more statements that return no rows.
    void exec(std::string_view sql) { impl_->exec(sql); }
    [[nodiscard]] statement prepare(std::string_view sql) { return statement(*this, sql); }
    /// A statement prepared once per connection and reused (hot paths: inserts in loops).
    /// Returned reset, with no bindings. Only for statements that are run to completion
    /// (run()), so that none is left holding a read snapshot; never two uses at once.
    [[nodiscard]] statement& cached(const std::string& sql);
    /// First column of the first row as an integer (0 if there is no row).
    [[nodiscard]] std::int64_t scalar_int(std::string_view sql);

    /// Rows the last INSERT, UPDATE or DELETE changed.
    [[nodiscard]] std::int64_t changes() { return impl_->changes(); }
    [[nodiscard]] bool in_transaction() const { return impl_->in_transaction(); }

    /// A count remembered for `key` on a read-only connection, while no other connection has
    /// committed since (PRAGMA data_version); never on a writer, whose own commits do not
    /// change its data_version, nor on a backend that cannot tell.
    [[nodiscard]] std::optional<std::int64_t> remembered_count(const std::string& key);
    void remember_count(const std::string& key, std::int64_t n);
    /// The file path or the URL (without its password).
    [[nodiscard]] const std::string& path() const noexcept { return impl_->location(); }

    [[nodiscard]] driver::connection& impl() noexcept { return *impl_; }

private:
    std::int64_t counts_version_ = -1;
    std::unordered_map<std::string, std::int64_t> counts_;
    std::unique_ptr<driver::connection> impl_;
    // Declared after impl_: cached statements go before the connection closes.
    std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
};

/// Reads one keyset page from a query that asked for `limit` + 1 rows: appends up to
/// `limit` rows made by `read` to `out`. @returns whether more rows follow.
template <typename T, typename Read>
bool read_page(statement& st, int limit, std::vector<T>& out, Read read) {
    while (st.step()) {
        if (static_cast<int>(out.size()) == limit) return true;
        out.push_back(read(st));
    }
    return false;
}

/// A cached statement for a query that may stop before its last row (a lookup): it is
/// reset when this goes out of scope, however that happens, so the connection never keeps
/// an old read snapshot.
class cached_query {
public:
    cached_query(connection& conn, const std::string& sql) : st_(conn.cached(sql)) {}
    ~cached_query() { st_.reset(); }
    cached_query(const cached_query&) = delete;
    cached_query& operator=(const cached_query&) = delete;

    statement* operator->() noexcept { return &st_; }
    statement& operator*() noexcept { return st_; }

private:
    statement& st_;
};

/// Begins a transaction that holds the write lock on construction; commit() makes it
/// durable; the destructor rolls back whatever was not committed (cf. vtzero's
/// feature_builder). Inside another transaction it is a SAVEPOINT: commit() releases it into
/// the outer one, which decides.
class transaction {
public:
    explicit transaction(connection& conn);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;

    void commit();

private:
    connection& conn_;
    bool open_ = true;
    bool nested_ = false;
};

/// Bulk writes without index upkeep: drops the tables' secondary (non-unique) indexes inside
/// the caller's open transaction and makes them again, from the same SQL, in restore().
/// Sorting a whole table into a fresh index costs a fraction of keeping it in order row by
/// row when a batch is large next to the table. Unique indexes stay (they enforce rules and
/// serve the batch's lookups by uid and code). A rollback brings the indexes back with the
/// rows, so a batch that fails, or a dry run, needs no restore().
class deferred_indexes {
public:
    deferred_indexes(connection& conn, std::initializer_list<std::string_view> tables);
    deferred_indexes(const deferred_indexes&) = delete;
    deferred_indexes& operator=(const deferred_indexes&) = delete;

    /// Re-creates every dropped index (before the transaction commits).
    void restore();
    [[nodiscard]] std::size_t count() const noexcept { return sql_.size(); }

private:
    connection& conn_;
    std::vector<std::string> sql_;
};

/// A larger cache on a writer for one long transaction (an import): the pages it dirties
/// stay in memory until it commits instead of being spilled and written twice. The usual
/// size again (and the memory freed) when it goes out of scope.
class batch_cache {
public:
    explicit batch_cache(connection& conn);
    ~batch_cache();
    batch_cache(const batch_cache&) = delete;
    batch_cache& operator=(const batch_cache&) = delete;

private:
    connection& conn_;
};

/// Binds a compiled CQL2 filter's :cqlN parameters.
void bind_filter(statement& st, const cql2::sql_filter& f);

} // namespace plotmap::data
