#include "data/sqlite.hpp"

#include "data/cql2.hpp"

#include "geo/error.hpp"

#include <sqlite3.h>
// spatialite.h uses sqlite3 types without including sqlite3.h itself.
#include <spatialite.h>

#include <string>

namespace plotmap::data {
namespace {

constexpr int writer_cache_kib = 128 * 1024;  // a writer's page cache
constexpr int batch_cache_kib = 1024 * 1024;  // while a batch_cache is alive (pages are allocated as used)

} // namespace

void sqlite_closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void spatialite_cache_releaser::operator()(void* cache) const noexcept { spatialite_cleanup_ex(cache); }
void statement_finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

// ---- connection ---------------------------------------------------------------------------

namespace {

/// Process-wide SQLite settings, before SQLite's first use. Memory statistics off: with them
/// every allocation of every connection takes one global mutex, which two threads writing and
/// reading at once (an import, the server's pool) fight over; plotmap reads none of them.
/// (Refused, harmlessly, if something initialised SQLite first.)
void configure_sqlite() {
    static const bool configured = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
    (void)configured;
}

} // namespace

connection::connection(const std::string& path, mode m, int busy_timeout_ms) : path_(path) {
    configure_sqlite();
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
    if (m == mode::create) flags |= SQLITE_OPEN_CREATE;
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
    if (m != mode::read_only) {
        exec("PRAGMA journal_mode=WAL");
        // The writer's page cache (see batch_cache for imports). Statement journals in memory:
        // in a long transaction each insert's went to a temporary file, millions of writes.
        exec("PRAGMA cache_size=" + std::to_string(-writer_cache_kib) + "; PRAGMA temp_store=MEMORY");
    }
    exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    if (m == mode::read_only) {
        // Readers map the file instead of copying pages through read(2): tile queries touch
        // many pages and the system call per page showed up as a third of tile time.
        exec("PRAGMA query_only=1; PRAGMA mmap_size=4294967296; PRAGMA cache_size=-16384");
        read_only_ = true;
    }
}

batch_cache::batch_cache(connection& conn) : conn_(conn) {
    conn_.exec("PRAGMA cache_size=" + std::to_string(-batch_cache_kib));
}

batch_cache::~batch_cache() {
    try {
        conn_.exec("PRAGMA cache_size=" + std::to_string(-writer_cache_kib));
    } catch (const std::exception&) {
        // Keeping the larger cache costs memory, not correctness.
    }
}

deferred_indexes::deferred_indexes(connection& conn, std::initializer_list<std::string_view> tables) : conn_(conn) {
    if (sqlite3_get_autocommit(conn.handle()) != 0) throw error("deferred_indexes needs an open transaction");
    std::vector<std::string> names;
    for (const std::string_view table : tables) {
        statement st = conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name");
        st.bind(1, table);
        while (st.step()) {
            names.emplace_back(st.text(0));
            sql_.emplace_back(st.text(1));
        }
    }
    for (const std::string& name : names) conn.exec("DROP INDEX \"" + name + "\"");
}

void deferred_indexes::restore() {
    for (const std::string& sql : sql_) conn_.exec(sql);
    sql_.clear();
}

std::optional<std::int64_t> connection::remembered_count(const std::string& key) {
    if (!read_only_) return std::nullopt;
    const std::int64_t version = scalar_int("PRAGMA data_version");
    if (version != counts_version_) {
        counts_.clear();
        counts_version_ = version;
        return std::nullopt;
    }
    const auto it = counts_.find(key);
    return it == counts_.end() ? std::nullopt : std::optional(it->second);
}

void connection::remember_count(const std::string& key, std::int64_t n) {
    if (!read_only_ || counts_version_ < 0) return;
    if (counts_.size() > 256) counts_.clear(); // bounded: a few hundred filter combinations
    counts_[key] = n;
}

void connection::exec(std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string why = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        fail(rc, why + " (in: " + text.substr(0, 80) + ")");
    }
}

connection::~connection() {
    closing_ = true;
    cache_.clear();
    kept_.clear();
}

sqlite3_stmt* connection::take_kept(const std::string& sql) {
    const auto it = kept_.find(sql);
    if (it == kept_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second.release();
    kept_.erase(it);
    return stmt;
}

void connection::keep(std::string sql, sqlite3_stmt* stmt) noexcept {
    // Reset ends any read the statement still held (no old snapshot is kept) and unbinds.
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (closing_) {
        sqlite3_finalize(stmt);
        return;
    }
    // Bounded: SQL built per request (filters, IN lists) would otherwise pile up; an
    // arbitrary kept one makes room.
    if (kept_.size() >= 200) kept_.erase(kept_.begin());
    try {
        kept_.emplace(std::move(sql), stmt);
    } catch (...) {
        sqlite3_finalize(stmt);
    }
}

statement& connection::cached(const std::string& sql) {
    auto& slot = cache_[sql];
    if (!slot) {
        slot = std::make_unique<statement>(*this, sql);
    } else {
        slot->reset();
    }
    return *slot;
}

std::int64_t connection::scalar_int(std::string_view sql) {
    statement st(*this, sql);
    return st.step() ? st.int64(0) : 0;
}

std::int64_t connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

void connection::fail(int rc, std::string_view context) const {
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

statement::statement(connection& conn, std::string_view sql) : conn_(&conn), sql_(sql) {
    if (sqlite3_stmt* kept = conn.take_kept(sql_)) {
        stmt_.reset(kept);
        return;
    }
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(conn.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) conn.fail(rc, "preparing \"" + std::string(sql.substr(0, 80)) + "\"");
}

statement::~statement() {
    if (stmt_ && conn_ != nullptr) conn_->keep(std::move(sql_), stmt_.release());
}

statement& statement::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
    if (rc != SQLITE_OK) conn_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, double value) {
    const int rc = sqlite3_bind_double(stmt_.get(), index, value);
    if (rc != SQLITE_OK) conn_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, std::string_view text) {
    const int rc = sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) conn_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

statement& statement::bind(int index, std::nullptr_t) {
    const int rc = sqlite3_bind_null(stmt_.get(), index);
    if (rc != SQLITE_OK) conn_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
    const int rc = sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) conn_->fail(rc, "binding parameter " + std::to_string(index));
    return *this;
}

int statement::parameter_index(const char* name) const { return sqlite3_bind_parameter_index(stmt_.get(), name); }

bool statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    const std::string sql = sqlite3_sql(stmt_.get());
    sqlite3_reset(stmt_.get());
    conn_->fail(rc, "running \"" + sql.substr(0, 80) + "\"");
}

void statement::run() {
    while (step()) {
    }
}

void statement::reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

bool statement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }
std::int64_t statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
double statement::real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string_view statement::text(int column) const {
    const auto* p = sqlite3_column_text(stmt_.get(), column);
    if (p == nullptr) return {};
    return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

std::string_view statement::blob(int column) const {
    const void* p = sqlite3_column_blob(stmt_.get(), column);
    if (p == nullptr) return {};
    return {static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

std::optional<std::string> statement::optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return std::string(text(column));
}

// ---- transaction --------------------------------------------------------------------------

transaction::transaction(connection& conn) : conn_(conn), nested_(sqlite3_get_autocommit(conn.handle()) == 0) {
    // Prepared once per connection: an import opens a savepoint per row.
    conn_.cached(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE").run();
}

transaction::~transaction() {
    if (!open_) return;
    if (nested_) {
        sqlite3_exec(conn_.handle(), "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
    } else {
        sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void transaction::commit() {
    conn_.cached(nested_ ? "RELEASE nested" : "COMMIT").run();
    open_ = false;
}

void bind_filter(statement& st, const cql2::sql_filter& f) {
    for (std::size_t i = 0; i < f.params.size(); ++i) {
        const int index = st.parameter_index((":cql" + std::to_string(i + 1)).c_str());
        if (index <= 0) continue;
        std::visit([&](const auto& v) { st.bind(index, v); }, f.params[i]);
    }
}

} // namespace plotmap::data
