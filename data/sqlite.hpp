#pragma once
// RAII owners for SQLite handles, with SpatiaLite initialised on every connection.
// Every sqlite3* and sqlite3_stmt* in plotmap lives inside one of these types.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace plotmap::data {

struct sqlite_closer {
    void operator()(sqlite3* db) const noexcept;
};
struct spatialite_cache_releaser {
    void operator()(void* cache) const noexcept;
};
struct statement_finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};

class connection;

/// A prepared statement. Bind indexes start at 1, column indexes at 0 (as in SQLite).
namespace cql2 {
struct sql_filter;
}

class statement {
public:
    /// Prepares `sql`, or takes a statement of the same text the connection kept from an
    /// earlier use (parsing and planning cost more than many lookups themselves).
    statement(connection& conn, std::string_view sql);
    /// Hands the statement back to its connection, reset and unbound, for the next use.
    ~statement();
    statement(statement&&) noexcept = default;
    statement& operator=(statement&&) noexcept = delete;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int index, std::int64_t value);
    statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    statement& bind(int index, double value);
    statement& bind(int index, std::string_view text);
    statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    statement& bind(int index, std::nullptr_t);
    template <typename T>
    statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }
    statement& bind_blob(int index, std::string_view bytes);
    /// Index of a named parameter (":name"), 0 if the statement has none of that name.
    [[nodiscard]] int parameter_index(const char* name) const;

    /// Runs one step. @returns true while a row is available.
    /// @throws busy on SQLITE_BUSY, conflict on a constraint violation, store_error otherwise.
    bool step();
    /// Steps to completion, for statements that return no rows.
    void run();
    /// Rewinds and clears bindings so the statement can be reused.
    void reset();

    [[nodiscard]] bool is_null(int column) const;
    [[nodiscard]] std::int64_t int64(int column) const;
    [[nodiscard]] double real(int column) const;
    /// Text of a column; empty for NULL. Valid until the next step/reset.
    [[nodiscard]] std::string_view text(int column) const;
    [[nodiscard]] std::string_view blob(int column) const;
    [[nodiscard]] std::optional<std::string> optional_text(int column) const;

private:
    connection* conn_;
    std::string sql_;
    std::unique_ptr<sqlite3_stmt, statement_finalizer> stmt_;
};

/// One SQLite connection with SpatiaLite loaded and plotmap's pragmas applied.
class connection {
public:
    enum class mode {
        create,     ///< read-write, creating the file if missing (init)
        read_write, ///< read-write, the file must exist (the writer)
        read_only,  ///< query_only, the file must exist (readers)
    };

    /// Opens `path`. Pragmas (see docs/storage.md): WAL, synchronous=FULL, foreign keys on,
    /// busy timeout as given.
    /// @throws store_error naming the file if it cannot be opened.
    connection(const std::string& path, mode m, int busy_timeout_ms = 5000);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs one or more statements that return no rows.
    void exec(std::string_view sql);
    [[nodiscard]] statement prepare(std::string_view sql) { return statement(*this, sql); }
    /// A statement prepared once per connection and reused (hot paths: inserts in loops).
    /// Returned reset, with no bindings. Only for statements that are run to completion
    /// (run()), so that none is left holding a read snapshot; never two uses at once.
    [[nodiscard]] statement& cached(const std::string& sql);
    /// First column of the first row as an integer (0 if there is no row).
    [[nodiscard]] std::int64_t scalar_int(std::string_view sql);

    [[nodiscard]] std::int64_t last_insert_rowid() const;

    /// A count remembered for `key` on a read-only connection, while no other connection has
    /// committed since (PRAGMA data_version); never on a writer, whose own commits do not
    /// change its data_version.
    [[nodiscard]] std::optional<std::int64_t> remembered_count(const std::string& key);
    void remember_count(const std::string& key, std::int64_t n);
    [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

    /// Throws the exception matching an SQLite result code, with the connection's message.
    [[noreturn]] void fail(int rc, std::string_view context) const;

private:
    friend class statement;
    /// A kept statement for `sql`, or nullptr.
    sqlite3_stmt* take_kept(const std::string& sql);
    /// Keeps a finished statement (reset, unbound) for the next use of its SQL.
    void keep(std::string sql, sqlite3_stmt* stmt) noexcept;

    std::string path_;
    bool read_only_ = false;
    std::int64_t counts_version_ = -1;
    std::unordered_map<std::string, std::int64_t> counts_;
    // Declared before db_ so that it is released after the connection is closed.
    std::unique_ptr<void, spatialite_cache_releaser> spatialite_cache_;
    std::unique_ptr<sqlite3, sqlite_closer> db_;
    // Declared after db_: statements are finalised before the connection closes.
    std::unordered_multimap<std::string, std::unique_ptr<sqlite3_stmt, statement_finalizer>> kept_;
    bool closing_ = false;
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

/// BEGIN IMMEDIATE on construction; commit() makes it durable; the destructor rolls back
/// whatever was not committed (cf. vtzero's feature_builder). Inside another transaction it
/// is a SAVEPOINT: commit() releases it into the outer one, which decides.
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

/// A larger page cache on a writer for one long transaction (an import): the pages it dirties
/// stay in memory until it commits instead of being spilled to the WAL and written twice.
/// The usual size again (and the memory freed) when it goes out of scope.
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
