#include "data/sqlite/driver.hpp"

#include "data/database.hpp"
#include "geo/error.hpp"

#include <sqlite3.h>
// spatialite.h uses sqlite3 types without including sqlite3.h itself.
#include <spatialite.h>

#include <string>
#include <unordered_map>

namespace plotmap::data::sqlite {
namespace {

constexpr int writer_cache_kib = 128 * 1024;  // a writer's page cache
constexpr int batch_cache_kib = 1024 * 1024;  // in batch mode (pages are allocated as used)

struct sqlite_closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct spatialite_cache_releaser {
    void operator()(void* cache) const noexcept { spatialite_cleanup_ex(cache); }
};
struct statement_finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

/// Process-wide SQLite settings, before SQLite's first use. Memory statistics off: with them
/// every allocation of every connection takes one global mutex, which two threads writing and
/// reading at once (an import, the server's pool) fight over; plotmap reads none of them.
/// (Refused, harmlessly, if something initialised SQLite first.)
void configure_sqlite() {
    static const bool configured = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
    (void)configured;
}

class sqlite_connection;

class sqlite_statement final : public driver::statement {
public:
    sqlite_statement(sqlite_connection& conn, std::string sql, stmt_ptr stmt) : conn_(conn), sql_(std::move(sql)), stmt_(std::move(stmt)) {}
    ~sqlite_statement() override;

    void bind_int64(int index, std::int64_t value) override { check(sqlite3_bind_int64(stmt_.get(), index, value), index); }
    void bind_double(int index, double value) override { check(sqlite3_bind_double(stmt_.get(), index, value), index); }
    void bind_text(int index, std::string_view text) override {
        check(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
    }
    void bind_blob(int index, std::string_view bytes) override {
        check(sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
    }
    void bind_null(int index) override { check(sqlite3_bind_null(stmt_.get(), index), index); }
    [[nodiscard]] int parameter_index(const char* name) const override { return sqlite3_bind_parameter_index(stmt_.get(), name); }

    bool step() override;
    void reset() override {
        sqlite3_reset(stmt_.get());
        sqlite3_clear_bindings(stmt_.get());
    }

    [[nodiscard]] bool is_null(int column) const override { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }
    [[nodiscard]] std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_.get(), column); }
    [[nodiscard]] double real(int column) const override { return sqlite3_column_double(stmt_.get(), column); }
    [[nodiscard]] std::string_view text(int column) const override {
        const auto* p = sqlite3_column_text(stmt_.get(), column);
        if (p == nullptr) return {};
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
    }
    [[nodiscard]] std::string_view blob(int column) const override {
        const void* p = sqlite3_column_blob(stmt_.get(), column);
        if (p == nullptr) return {};
        return {static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
    }

private:
    void check(int rc, int index) const;

    sqlite_connection& conn_;
    std::string sql_;
    stmt_ptr stmt_;
};

class sqlite_connection final : public driver::connection {
public:
    sqlite_connection(const std::string& path, open_mode m, int busy_timeout_ms);
    ~sqlite_connection() override {
        closing_ = true;
        kept_.clear();
    }

    [[nodiscard]] backend kind() const noexcept override { return backend::sqlite; }
    [[nodiscard]] const std::string& location() const noexcept override { return path_; }

    void exec(std::string_view sql) override;
    std::unique_ptr<driver::statement> prepare(std::string_view sql) override;

    [[nodiscard]] std::int64_t changes() override { return sqlite3_changes64(db_.get()); }

    [[nodiscard]] bool in_transaction() const override { return sqlite3_get_autocommit(db_.get()) == 0; }
    void begin() override { run_kept("BEGIN IMMEDIATE"); }
    void commit() override { run_kept("COMMIT"); }
    void rollback() noexcept override { sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); }

    [[nodiscard]] std::optional<std::int64_t> data_version() override;
    [[nodiscard]] bool read_only() const noexcept override { return read_only_; }
    std::vector<std::string> drop_secondary_indexes(std::string_view table) override;
    std::function<void()> defer_spatial_index(std::string_view table, std::string_view column) override;
    void batch_mode(bool on) override {
        exec("PRAGMA cache_size=" + std::to_string(-(on ? batch_cache_kib : writer_cache_kib)));
    }

    [[nodiscard]] sqlite3* handle() const noexcept { return db_.get(); }
    [[noreturn]] void fail(int rc, std::string_view context) const;

    /// Keeps a finished statement (reset, unbound) for the next use of its SQL.
    void keep(std::string sql, stmt_ptr stmt) noexcept;

private:
    void run_kept(const char* sql) {
        const std::unique_ptr<driver::statement> st = prepare(sql);
        while (st->step()) {
        }
    }

    std::string path_;
    bool read_only_ = false;
    // Declared before db_ so that it is released after the connection is closed.
    std::unique_ptr<void, spatialite_cache_releaser> spatialite_cache_;
    std::unique_ptr<sqlite3, sqlite_closer> db_;
    // Declared after db_: statements are finalised before the connection closes.
    std::unordered_multimap<std::string, stmt_ptr> kept_;
    bool closing_ = false;
};

// ---- connection ---------------------------------------------------------------------------

sqlite_connection::sqlite_connection(const std::string& path, open_mode m, int busy_timeout_ms) : path_(path) {
    configure_sqlite();
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
    if (m == open_mode::create) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
        const std::string why = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        throw store_error("cannot open database " + path + ": " + why);
    }
    sqlite3_extended_result_codes(raw, 1);
    spatialite_cache_.reset(spatialite_alloc_connection());
    spatialite_init_ex(raw, spatialite_cache_.get(), 0);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    // Durability: in WAL mode synchronous=FULL fsyncs the WAL at every commit, so a
    // committed (acknowledged) write survives kill -9 and power loss. See docs/storage.md.
    if (m != open_mode::read_only) {
        exec("PRAGMA journal_mode=WAL");
        // The writer's page cache (see batch_mode for imports). Statement journals in memory:
        // in a long transaction each insert's went to a temporary file, millions of writes.
        exec("PRAGMA cache_size=" + std::to_string(-writer_cache_kib) + "; PRAGMA temp_store=MEMORY");
    }
    exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    if (m == open_mode::read_only) {
        // Readers map the file instead of copying pages through read(2): tile queries touch
        // many pages and the system call per page showed up as a third of tile time.
        exec("PRAGMA query_only=1; PRAGMA mmap_size=4294967296; PRAGMA cache_size=-16384");
        read_only_ = true;
    }
}

void sqlite_connection::exec(std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string why = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        fail(rc, why + " (in: " + text.substr(0, 80) + ")");
    }
}

std::unique_ptr<driver::statement> sqlite_connection::prepare(std::string_view sql) {
    std::string text(sql);
    if (const auto it = kept_.find(text); it != kept_.end()) {
        stmt_ptr kept = std::move(it->second);
        kept_.erase(it);
        return std::make_unique<sqlite_statement>(*this, std::move(text), std::move(kept));
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt_ptr stmt(raw);
    if (rc != SQLITE_OK) fail(rc, "preparing \"" + std::string(sql.substr(0, 80)) + "\"");
    return std::make_unique<sqlite_statement>(*this, std::move(text), std::move(stmt));
}

void sqlite_connection::keep(std::string sql, stmt_ptr stmt) noexcept {
    // Reset ends any read the statement still held (no old snapshot is kept) and unbinds.
    sqlite3_reset(stmt.get());
    sqlite3_clear_bindings(stmt.get());
    if (closing_) return;
    // Bounded: SQL built per request (filters, IN lists) would otherwise pile up; an
    // arbitrary kept one makes room.
    if (kept_.size() >= 200) kept_.erase(kept_.begin());
    try {
        kept_.emplace(std::move(sql), std::move(stmt));
    } catch (...) {
        // Finalised by stmt's owner.
    }
}

std::optional<std::int64_t> sqlite_connection::data_version() {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "PRAGMA data_version", -1, &raw, nullptr) != SQLITE_OK) return std::nullopt;
    const stmt_ptr st(raw);
    if (sqlite3_step(raw) != SQLITE_ROW) return std::nullopt;
    return sqlite3_column_int64(raw, 0);
}

// SpatiaLite keeps a geometry column's R*Tree (idx_<table>_<column>) with triggers; the insert
// trigger (gii_<table>_<column>) is dropped for the batch and the R*Tree filled for the new
// rows at the end. OR REPLACE: a row of the batch updated later in it is in the R*Tree
// already (the update triggers stay).
std::function<void()> sqlite_connection::defer_spatial_index(std::string_view table, std::string_view column) {
    const std::string t(table);
    const std::string c(column);
    const std::string trigger = "gii_" + t + "_" + c;
    std::string made;
    {
        const std::unique_ptr<driver::statement> st = prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?");
        st->bind_text(1, trigger);
        if (!st->step()) return {};
        made = st->text(0);
    }
    std::int64_t first_new = 1;
    {
        const std::unique_ptr<driver::statement> st = prepare("SELECT coalesce(max(rowid), 0) + 1 FROM \"" + t + "\"");
        if (st->step()) first_new = st->int64(0);
    }
    exec("DROP TRIGGER \"" + trigger + "\"");
    return [this, t, c, made, first_new] {
        const std::unique_ptr<driver::statement> st =
            prepare("INSERT OR REPLACE INTO \"idx_" + t + "_" + c + "\" (pkid, xmin, xmax, ymin, ymax) SELECT rowid, MbrMinX(" + c +
                    "), MbrMaxX(" + c + "), MbrMinY(" + c + "), MbrMaxY(" + c + ") FROM \"" + t + "\" WHERE rowid >= ? AND " + c +
                    " IS NOT NULL");
        st->bind_int64(1, first_new);
        while (st->step()) {
        }
        exec(made);
    };
}

std::vector<std::string> sqlite_connection::drop_secondary_indexes(std::string_view table) {
    std::vector<std::string> names;
    std::vector<std::string> sql;
    {
        const std::unique_ptr<driver::statement> st = prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                                              "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name");
        st->bind_text(1, table);
        while (st->step()) {
            names.emplace_back(st->text(0));
            sql.emplace_back(st->text(1));
        }
    }
    for (const std::string& name : names) exec("DROP INDEX \"" + name + "\"");
    return sql;
}

void sqlite_connection::fail(int rc, std::string_view context) const {
    const std::string message = std::string(context) + ": " + sqlite3_errmsg(db_.get());
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw busy("the database is busy, try again: " + message);
    case SQLITE_CONSTRAINT:
        throw conflict(message);
    default:
        throw store_error("database error in " + path_ + ": " + message);
    }
}

// ---- statement ----------------------------------------------------------------------------

sqlite_statement::~sqlite_statement() { conn_.keep(std::move(sql_), std::move(stmt_)); }

void sqlite_statement::check(int rc, int index) const {
    if (rc != SQLITE_OK) conn_.fail(rc, "binding parameter " + std::to_string(index));
}

bool sqlite_statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const std::string sql = sqlite3_sql(stmt_.get());
    sqlite3_reset(stmt_.get());
    conn_.fail(rc, "running \"" + sql.substr(0, 80) + "\"");
}

sqlite_connection& sqlite_of(connection& conn) {
    auto* c = dynamic_cast<sqlite_connection*>(&conn.impl());
    if (c == nullptr) throw store_error("database " + conn.path() + " is not an SQLite file");
    return *c;
}

} // namespace

std::unique_ptr<driver::connection> open(const std::string& path, open_mode m, int busy_timeout_ms) {
    return std::make_unique<sqlite_connection>(path, m, busy_timeout_ms);
}

sqlite3* handle(connection& conn) { return sqlite_of(conn).handle(); }

void fail(connection& conn, int rc, std::string_view context) { sqlite_of(conn).fail(rc, context); }

} // namespace plotmap::data::sqlite
