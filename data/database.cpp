#include "data/database.hpp"

#include "data/cql2.hpp"
#include "data/dialect.hpp"
#include "data/postgis/dialect.hpp"
#include "data/postgis/driver.hpp"
#include "data/sqlite/dialect.hpp"
#include "data/sqlite/driver.hpp"
#include "geo/error.hpp"

#include <filesystem>
#include <variant>

namespace plotmap::data {

bool is_postgresql_url(std::string_view location) noexcept {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string display_location(const std::string& location) {
    return is_postgresql_url(location) ? postgis::redact_password(location) : location;
}

bool missing_database_file(const std::string& location) {
    return !is_postgresql_url(location) && !std::filesystem::exists(location);
}

namespace {

std::unique_ptr<driver::connection> open(const std::string& location, open_mode m, int busy_timeout_ms) {
    if (is_postgresql_url(location)) return postgis::open(location, m, busy_timeout_ms);
    return sqlite::open(location, m, busy_timeout_ms);
}

} // namespace

// ---- statement ----------------------------------------------------------------------------

statement::statement(connection& conn, std::string_view sql) : impl_(conn.impl().prepare(sql)) {}

// ---- connection ---------------------------------------------------------------------------

connection::connection(const std::string& location, mode m, int busy_timeout_ms) : impl_(open(location, m, busy_timeout_ms)) {}

connection::connection(std::unique_ptr<driver::connection> impl) : impl_(std::move(impl)) {}

connection::~connection() { cache_.clear(); }

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

std::optional<std::int64_t> connection::remembered_count(const std::string& key) {
    if (!impl_->read_only()) return std::nullopt;
    const std::optional<std::int64_t> version = impl_->data_version();
    if (!version) return std::nullopt;
    if (*version != counts_version_) {
        counts_.clear();
        counts_version_ = *version;
        return std::nullopt;
    }
    const auto it = counts_.find(key);
    return it == counts_.end() ? std::nullopt : std::optional(it->second);
}

void connection::remember_count(const std::string& key, std::int64_t n) {
    if (!impl_->read_only() || counts_version_ < 0) return;
    if (counts_.size() > 256) counts_.clear(); // bounded: a few hundred filter combinations
    counts_[key] = n;
}

std::int64_t statement::run_returning_id() {
    if (!step()) throw store_error("an INSERT ... RETURNING id gave no row");
    const std::int64_t id = int64(0);
    run();
    return id;
}

// ---- transaction --------------------------------------------------------------------------

transaction::transaction(connection& conn) : conn_(conn), nested_(conn.in_transaction()) {
    // Prepared once per connection: an import opens a savepoint per row.
    if (nested_) {
        conn_.cached("SAVEPOINT nested").run();
    } else {
        conn_.impl().begin();
    }
}

transaction::~transaction() {
    if (!open_) return;
    if (nested_) {
        try {
            conn_.exec("ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested");
        } catch (const std::exception&) {
            // The outer transaction is rolled back by its own guard.
        }
    } else {
        conn_.impl().rollback();
    }
}

void transaction::commit() {
    if (nested_) {
        conn_.cached("RELEASE SAVEPOINT nested").run();
    } else {
        conn_.impl().commit();
    }
    open_ = false;
}

// ---- bulk writes --------------------------------------------------------------------------

deferred_indexes::deferred_indexes(connection& conn, std::initializer_list<std::string_view> tables) : conn_(conn) {
    if (!conn.in_transaction()) throw error("deferred_indexes needs an open transaction");
    for (const std::string_view table : tables) {
        for (std::string& sql : conn.impl().drop_secondary_indexes(table)) sql_.push_back(std::move(sql));
    }
}

void deferred_indexes::restore() {
    for (const std::string& sql : sql_) conn_.exec(sql);
    sql_.clear();
}

batch_cache::batch_cache(connection& conn) : conn_(conn) { conn_.impl().batch_mode(true); }

batch_cache::~batch_cache() {
    try {
        conn_.impl().batch_mode(false);
    } catch (const std::exception&) {
        // Keeping the larger cache costs memory, not correctness.
    }
}

void bind_filter(statement& st, const cql2::sql_filter& f) {
    for (std::size_t i = 0; i < f.params.size(); ++i) {
        const int index = st.parameter_index((":cql" + std::to_string(i + 1)).c_str());
        if (index <= 0) continue;
        std::visit([&](const auto& v) { st.bind(index, v); }, f.params[i]);
    }
}

const dialect& dialect_of(backend b) { return b == backend::postgresql ? postgis::sql_dialect() : sqlite::sql_dialect(); }

const dialect& dialect_of(connection& c) { return dialect_of(c.kind()); }

backend sql_per_backend::kind_of(connection& c) { return c.kind(); }

} // namespace plotmap::data
