#include "data/database_copy.hpp"

#include "data/database.hpp"
#include "data/dialect.hpp"
#include "data/schema.hpp"
#include "geo/error.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace plotmap::data {
namespace {

/// Every plotmap table, parents before children. Not `sign_in_counts`: attempts counted in the
/// last minutes belong to the servers of the database they were made on.
constexpr const char* tables[] = {"adm1",           "adm2",          "adm3",        "users",          "plots",
                                  "plot_history",   "photos",        "photo_history", "progress_events", "sessions",
                                  "api_tokens",     "idempotency_keys", "pin_clusters", "tile_shapes",   "tile_locations",
                                  "plot_totals",    "stage_changes", "review_changes"};
/// Tables the schema's triggers fill as plots are written: what they made while plots were
/// copied gives way to the source's own rows.
constexpr std::array<std::string_view, 4> kept_by_triggers{"plot_totals", "stage_changes", "review_changes", "pin_clusters"};
/// Tables with a key that numbers new rows (PostgreSQL's identity sequences follow the copy).
constexpr const char* numbered[] = {"plots", "plot_history", "photos", "photo_history", "progress_events", "users", "api_tokens"};

enum class kind { integer, real, text, blob, geometry };

struct column {
    std::string name;
    kind k;
};

std::vector<column> columns_of(connection& c, const std::string& table) {
    statement st = c.prepare(dialect_of(c).table_columns_sql());
    st.bind(1, table);
    std::vector<column> out;
    while (st.step()) {
        const std::string_view k = st.text(1);
        out.push_back({std::string(st.text(0)), k == "integer" ? kind::integer
                                                : k == "real"  ? kind::real
                                                : k == "blob"  ? kind::blob
                                                : k == "geometry" ? kind::geometry
                                                                  : kind::text});
    }
    return out;
}

/// The columns of `from`'s table that `to`'s has too, in `from`'s order, with `from`'s kinds.
std::vector<column> shared_columns(connection& from, connection& to, const std::string& table) {
    const std::vector<column> theirs = columns_of(to, table);
    std::vector<column> out;
    for (const column& c : columns_of(from, table)) {
        for (const column& t : theirs) {
            if (t.name == c.name) out.push_back(c);
        }
    }
    if (out.empty()) throw store_error("table " + table + " is missing or has no columns in common");
    return out;
}

std::string select_sql(const std::string& table, const std::vector<column>& cols) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (i) sql += ", ";
        sql += cols[i].k == kind::geometry ? "AsBinary(\"" + cols[i].name + "\")" : "\"" + cols[i].name + "\"";
    }
    return sql + " FROM " + table;
}

/// An order-independent digest of a table's rows: the count and the sum of each row's
/// 64-bit BLAKE2b over its values, tagged by kind.
class table_digest {
public:
    void add(const statement& st, const std::vector<column>& cols) {
        row_.clear();
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const int c = static_cast<int>(i);
            if (st.is_null(c)) {
                row_ += 'n';
                continue;
            }
            switch (cols[i].k) {
            case kind::integer: row_ += 'i' + std::to_string(st.int64(c)) + ';'; break;
            case kind::real: {
                char buf[32];
                const auto end = std::to_chars(buf, buf + sizeof buf, st.real(c)).ptr;
                row_ += 'r';
                row_.append(buf, end);
                row_ += ';';
                break;
            }
            case kind::text: {
                const std::string_view t = st.text(c);
                row_ += 't' + std::to_string(t.size()) + ':';
                row_.append(t);
                break;
            }
            case kind::blob:
            case kind::geometry: {
                const std::string_view b = st.blob(c);
                row_ += 'b' + std::to_string(b.size()) + ':';
                row_.append(b);
                break;
            }
            }
        }
        unsigned char h[8];
        crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(row_.data()), row_.size(), nullptr, 0);
        std::uint64_t v = 0;
        std::memcpy(&v, h, sizeof v);
        sum_ += v;
        ++rows_;
    }
    [[nodiscard]] std::int64_t rows() const noexcept { return rows_; }
    [[nodiscard]] std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(sum_));
        return buf;
    }

private:
    std::string row_;
    std::uint64_t sum_ = 0;
    std::int64_t rows_ = 0;
};

/// One value read from the source, held until its batch is written.
struct held_value {
    bool null = true;
    std::int64_t i = 0;
    double r = 0;
    std::string bytes; ///< text, blob or WKB
};

/// `INSERT INTO table (columns) VALUES (...), (...)` for `rows` rows.
std::string insert_sql(const std::string& table, const std::vector<column>& cols, std::size_t rows) {
    std::string sql = "INSERT INTO " + table + " (";
    for (std::size_t i = 0; i < cols.size(); ++i) sql += std::string(i ? ", " : "") + "\"" + cols[i].name + "\"";
    sql += ") VALUES ";
    std::size_t n = 0;
    for (std::size_t row = 0; row < rows; ++row) {
        sql += row ? ", (" : "(";
        for (std::size_t i = 0; i < cols.size(); ++i) {
            std::string p = "?";
            p += std::to_string(++n); // not "?" + ...: gcc 12 -O3 warns falsely (-Wrestrict) on that
            sql += std::string(i ? ", " : "") + (cols[i].k == kind::geometry ? "GeomFromWKB(" + p + ", 4326)" : p);
        }
        sql += ")";
    }
    return sql;
}

/// Copies one table's rows, up to 100 a statement (a round trip each on PostGIS); @returns the
/// digest of what was read.
table_digest copy_table(connection& from, connection& to, const std::string& table, const std::vector<column>& cols) {
    const std::size_t batch = std::max<std::size_t>(1, std::min<std::size_t>(100, 30000 / cols.size())); // parameters per statement
    std::vector<held_value> held;
    held.reserve(batch * cols.size());
    const auto write = [&] {
        const std::size_t rows = held.size() / cols.size();
        if (rows == 0) return;
        statement& put = to.cached(insert_sql(table, cols, rows)); // two shapes: a full batch, the last one
        int p = 0;
        for (std::size_t v = 0; v < held.size(); ++v) {
            const held_value& h = held[v];
            ++p;
            if (h.null) {
                put.bind(p, nullptr);
                continue;
            }
            switch (cols[v % cols.size()].k) {
            case kind::integer: put.bind(p, h.i); break;
            case kind::real: put.bind(p, h.r); break;
            case kind::text: put.bind(p, std::string_view(h.bytes)); break;
            case kind::blob:
            case kind::geometry: put.bind_blob(p, h.bytes); break;
            }
        }
        put.run();
        held.clear();
    };
    statement get = from.prepare(select_sql(table, cols));
    table_digest digest;
    while (get.step()) {
        digest.add(get, cols);
        for (std::size_t i = 0; i < cols.size(); ++i) {
            const int c = static_cast<int>(i);
            held_value& h = held.emplace_back();
            if (get.is_null(c)) continue;
            h.null = false;
            switch (cols[i].k) {
            case kind::integer: h.i = get.int64(c); break;
            case kind::real: h.r = get.real(c); break;
            case kind::text: h.bytes = get.text(c); break;
            case kind::blob:
            case kind::geometry: h.bytes = get.blob(c); break;
            }
        }
        if (held.size() == batch * cols.size()) write();
    }
    write();
    return digest;
}

table_digest digest_of(connection& c, const std::string& table, const std::vector<column>& cols) {
    statement st = c.prepare(select_sql(table, cols));
    table_digest d;
    while (st.step()) d.add(st, cols);
    return d;
}

} // namespace

copy_result copy_database(const std::string& from, const std::string& to, const std::function<void(const std::string&, std::int64_t)>& progress) {
    connection source(from, connection::mode::read_only);
    require_current_schema(source);
    // Every table from one snapshot, while servers may go on writing.
    source.exec(source.kind() == backend::postgresql ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
    connection target(to, connection::mode::create);
    if (schema_version(target) != 0) {
        throw store_error("database " + target.path() + " has a plotmap schema already (version " + std::to_string(schema_version(target)) +
                          "): migrate into a new, empty database");
    }
    const bool pg = target.kind() == backend::postgresql;
    copy_result out;
    {
        const batch_cache cache(target);
        // The schema too is made in the one transaction: a copy that fails leaves nothing.
        transaction tx(target);
        migrate(target); // refuses a database with tables of its own
        out.schema_version = schema_version(target);
        // The servers on a PostgreSQL target hear of the copy once, at the end, not per plot.
        if (pg) target.exec("ALTER TABLE plots DISABLE TRIGGER plot_notify");
        std::vector<std::pair<std::vector<column>, table_digest>> copied;
        for (const char* table : tables) {
            const std::vector<column> cols = shared_columns(source, target, table);
            if (std::ranges::find(kept_by_triggers, std::string_view(table)) != kept_by_triggers.end()) {
                target.exec(std::string("DELETE FROM ") + table);
            }
            copied.emplace_back(cols, copy_table(source, target, table, cols));
            if (progress) progress(table, copied.back().second.rows());
        }
        if (pg) {
            target.exec("ALTER TABLE plots ENABLE TRIGGER plot_notify");
            for (const char* table : numbered) {
                target.exec(std::string("SELECT setval(pg_get_serial_sequence('") + table + "', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM " +
                            table);
            }
        }
        // What the target now holds, read back inside the transaction: a difference rolls it all back.
        for (std::size_t i = 0; i < copied.size(); ++i) {
            const std::string table = tables[i];
            const table_digest back = digest_of(target, table, copied[i].first);
            if (back.rows() != copied[i].second.rows() || back.hex() != copied[i].second.hex()) {
                throw store_error("the copy of " + table + " differs from its source (" + std::to_string(back.rows()) + " rows, checksum " +
                                  back.hex() + "; the source has " + std::to_string(copied[i].second.rows()) + ", " + copied[i].second.hex() +
                                  "): nothing was copied");
            }
            out.tables.push_back({table, back.rows(), back.hex()});
        }
        tx.commit();
    }
    refresh_statistics(target);
    if (pg) target.exec("SELECT pg_notify('plotmap_plots', '-180 -90 180 90')");
    return out;
}

} // namespace plotmap::data
