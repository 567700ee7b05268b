#include "data/postgis/driver.hpp"

#include "geo/error.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

namespace plotmap::data::postgis {
namespace {

// Type OIDs of the parameters plotmap binds (pg_type.h). NULL goes untyped, so that it takes
// the type of the column or function it meets.
constexpr Oid int8_oid = 20;
constexpr Oid float8_oid = 701;
constexpr Oid bytea_oid = 17;
constexpr Oid text_oid = 25;

struct conn_closer {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_clearer {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

/// The connection itself went (the server restarted, the network dropped it): caught inside
/// this file, which makes the connection again and either runs the command once more or
/// answers busy.
struct connection_lost {};

constexpr std::string_view lost_message = "the connection to the database was lost; try again";

bool ident_char(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || static_cast<unsigned char>(ch) >= 0x80; }

/// The exception for a failed result, by SQLSTATE (PostgreSQL Appendix A).
[[noreturn]] void throw_for(const PGresult* r, PGconn* c, const std::string& where, std::string_view context) {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message(context);
    message += ": ";
    message += primary != nullptr ? primary : PQerrorMessage(c);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    const std::string_view code = state != nullptr ? state : "";
    if (code.starts_with("23")) throw conflict(message); // integrity constraint violation
    if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014" || code.starts_with("53")) {
        throw busy("the database is busy, try again: " + message);
    }
    throw store_error("database error in " + where + ": " + message);
}

class pg_connection;

/// A prepared statement whose rows arrive one at a time (libpq's single-row mode), so a
/// million-row read holds one row in memory, not a million. While its rows are arriving the
/// connection can do nothing else: any other command on it first takes the rest of them into
/// memory (`take_the_rest`), as SQLite would let both statements step side by side.
class pg_statement final : public driver::statement {
public:
    pg_statement(pg_connection& conn, std::shared_ptr<const numbered_sql> sql)
        : conn_(conn), sql_(std::move(sql)), values_(sql_->names.size()), types_(sql_->names.size(), 0),
          formats_(sql_->names.size(), 0) {}
    ~pg_statement() override;
    pg_statement(const pg_statement&) = delete;
    pg_statement& operator=(const pg_statement&) = delete;

    void bind_int64(int index, std::int64_t value) override { set(index, std::to_string(value), int8_oid, 0); }
    void bind_double(int index, double value) override;
    void bind_text(int index, std::string_view text) override { set(index, std::string(text), text_oid, 0); }
    void bind_blob(int index, std::string_view bytes) override { set(index, std::string(bytes), bytea_oid, 1); }
    void bind_null(int index) override {
        slot(index);
        values_[static_cast<std::size_t>(index - 1)].reset();
        types_[static_cast<std::size_t>(index - 1)] = 0;
        formats_[static_cast<std::size_t>(index - 1)] = 0;
    }
    [[nodiscard]] int parameter_index(const char* name) const override {
        for (std::size_t i = 0; i < sql_->names.size(); ++i) {
            if (sql_->names[i] == name) return static_cast<int>(i + 1);
        }
        return 0;
    }

    bool step() override;
    void reset() override;
    /// Reads the rows still to arrive into memory: the connection is wanted for another command.
    void take_the_rest();

    [[nodiscard]] bool is_null(int column) const override { return PQgetisnull(result_.get(), row_, column) != 0; }
    [[nodiscard]] std::int64_t int64(int column) const override;
    [[nodiscard]] double real(int column) const override;
    [[nodiscard]] std::string_view text(int column) const override {
        return {PQgetvalue(result_.get(), row_, column), static_cast<std::size_t>(PQgetlength(result_.get(), row_, column))};
    }
    [[nodiscard]] std::string_view blob(int column) const override;

private:
    void slot(int index) const {
        if (index < 1 || static_cast<std::size_t>(index) > values_.size()) {
            throw store_error("binding parameter " + std::to_string(index) + " of a statement with " + std::to_string(values_.size()));
        }
    }
    void take(result_ptr r) {
        result_ = std::move(r);
        rows_ = PQntuples(result_.get());
        row_ = 0;
    }
    void set(int index, std::string value, Oid type, int format) {
        slot(index);
        const auto i = static_cast<std::size_t>(index - 1);
        values_[i] = std::move(value);
        types_[i] = type;
        formats_[i] = format;
    }

    pg_connection& conn_;
    std::shared_ptr<const numbered_sql> sql_;
    std::vector<std::optional<std::string>> values_;
    std::vector<Oid> types_;
    std::vector<int> formats_;
    bool started_ = false;
    result_ptr result_;             ///< the results whose row is current: one row, or all of them
    std::deque<result_ptr> rest_;   ///< rows taken in while another command needed the connection
    int row_ = -1;
    int rows_ = 0;
    mutable std::string blob_;
};

class pg_connection final : public driver::connection {
public:
    pg_connection(const std::string& url, open_mode m, int lock_timeout_ms);

    [[nodiscard]] backend kind() const noexcept override { return backend::postgresql; }
    [[nodiscard]] const std::string& location() const noexcept override { return where_; }

    void exec(std::string_view sql) override {
        const std::string text(sql);
        again(retry_safe(sql), [&] {
            const result_ptr r(PQexec(conn_.get(), text.c_str()));
            check(r.get(), "running \"" + text.substr(0, 80) + "\"");
        });
    }
    std::unique_ptr<driver::statement> prepare(std::string_view sql) override {
        std::string text(sql);
        auto it = numbered_.find(text);
        if (it == numbered_.end()) {
            if (numbered_.size() > 500) numbered_.clear();
            it = numbered_.emplace(text, std::make_shared<const numbered_sql>(number_parameters(sql))).first;
        }
        return std::make_unique<pg_statement>(*this, it->second);
    }

    [[nodiscard]] std::int64_t changes() override { return changes_; }

    [[nodiscard]] bool in_transaction() const override {
        const PGTransactionStatusType s = PQtransactionStatus(conn_.get());
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE; // not when the connection is gone
    }
    // One writer at a time across every plotmap server on this database, as SQLite's BEGIN
    // IMMEDIATE gives one file: the lock is the transaction's and goes with it.
    void begin() override {
        exec("BEGIN");
        try {
            exec("SELECT pg_advisory_xact_lock(" + std::to_string(writer_lock_key) + ")");
        } catch (...) {
            rollback(); // not begun after all (lock timeout): nothing is left open
            throw;
        }
    }
    void commit() override { exec("COMMIT"); }
    void rollback() noexcept override {
        if (streaming_ != nullptr) abandon(*streaming_);
        const result_ptr r(PQexec(conn_.get(), "ROLLBACK"));
    }

    [[nodiscard]] std::optional<std::int64_t> data_version() override { return std::nullopt; }
    [[nodiscard]] bool read_only() const noexcept override { return read_only_; }
    std::vector<std::string> drop_secondary_indexes(std::string_view table) override;
    std::function<void()> defer_spatial_index(std::string_view, std::string_view) override { return {}; }
    void batch_mode(bool /*on*/) override {}

    /// Starts a statement's SQL with its parameters (prepared once per connection and
    /// types), its rows to arrive one at a time. @returns the first result: a row, or the
    /// end (a command's, or a query's without rows).
    result_ptr start(pg_statement& who, const numbered_sql& sql, const std::vector<std::optional<std::string>>& values,
                     const std::vector<Oid>& types, const std::vector<int>& formats);
    /// Whether `who`'s rows are still arriving.
    [[nodiscard]] bool streams(const pg_statement& who) const noexcept { return streaming_ == &who; }
    /// The streaming statement's next result: a row, or the end (then the connection is free).
    result_ptr next();
    /// Lets the streaming statement go: the rest of its rows are read and dropped.
    void abandon(const pg_statement& who) noexcept;
    void check(const PGresult* r, std::string_view context) {
        const ExecStatusType s = PQresultStatus(r);
        if (r != nullptr && (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)) return;
        if (PQstatus(conn_.get()) == CONNECTION_BAD) throw connection_lost{};
        throw_for(r, conn_.get(), where_, context);
    }

    /// Runs `f` on a live connection. A connection found gone is made again first (between
    /// transactions a look at the socket, without waiting, tells whether the server closed
    /// it, as on a restart, so the command is never sent into a closed connection); one that
    /// goes during `f` is made again and `f` runs once more when that cannot do anything twice
    /// (`safe`: nothing was open and the command only reads or begins), otherwise the caller
    /// is told busy, as for a transaction that could not finish.
    template <class F> auto again(bool safe, F&& f) -> std::invoke_result_t<F&> {
        if (streaming_ != nullptr) streaming_->take_the_rest();
        if (PQstatus(conn_.get()) == CONNECTION_BAD || (!in_transaction() && closed_by_server())) reconnect();
        safe = safe && !in_transaction();
        try {
            return f();
        } catch (const connection_lost&) {
            if (!safe) throw busy(std::string(lost_message));
        }
        reconnect();
        try {
            return f();
        } catch (const connection_lost&) {
            throw busy(std::string(lost_message));
        }
    }
    /// Whether the server has closed this (idle) connection: poll() without waiting.
    [[nodiscard]] bool closed_by_server() const {
        pollfd p{PQsocket(conn_.get()), POLLIN | POLLRDHUP, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
    }
    /// A command that may run again on a new connection: it begins, or reads.
    [[nodiscard]] bool retry_safe(std::string_view sql) const {
        if (read_only_) return true;
        std::size_t i = 0;
        while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])) != 0) ++i;
        const auto starts = [&](std::string_view word) {
            if (sql.size() - i < word.size()) return false;
            for (std::size_t k = 0; k < word.size(); ++k) {
                if (std::toupper(static_cast<unsigned char>(sql[i + k])) != word[k]) return false;
            }
            return true;
        };
        return (starts("BEGIN") || starts("SELECT")) && sql.find(';') == std::string_view::npos;
    }

    static constexpr long long writer_lock_key = 0x706c6f746d6170; // "plotmap"

private:
    /// The session's settings, on the first connection and on every one made again.
    void set_up();
    void reconnect();

    std::string where_;
    int lock_timeout_ms_;
    bool read_only_ = false;
    std::unique_ptr<PGconn, conn_closer> conn_;
    std::unordered_map<std::string, std::shared_ptr<const numbered_sql>> numbered_;
    std::unordered_map<std::string, std::string> prepared_; // SQL + parameter types -> statement name
    /// Takes a statement's final result: what it changed; then the connection is free.
    void finish(const PGresult* last) noexcept;
    void send(const numbered_sql& sql, const std::vector<std::optional<std::string>>& values, const std::vector<Oid>& types,
              const std::vector<int>& formats);

    std::int64_t changes_ = 0;
    std::uint64_t next_name_ = 0;
    pg_statement* streaming_ = nullptr; ///< the statement whose rows are arriving, if any
};

// ---- connection ---------------------------------------------------------------------------

pg_connection::pg_connection(const std::string& url, open_mode m, int lock_timeout_ms)
    : where_(redact_password(url)), lock_timeout_ms_(lock_timeout_ms), read_only_(m == open_mode::read_only) {
    const char* keys[] = {"dbname", "application_name", "connect_timeout", "client_encoding", nullptr};
    const char* values[] = {url.c_str(), "plotmap", "10", "UTF8", nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
        std::string why = conn_ ? PQerrorMessage(conn_.get()) : "out of memory";
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        throw store_error("cannot open database " + where_ + ": " + why);
    }
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    try {
        set_up();
    } catch (const connection_lost&) {
        throw store_error("cannot open database " + where_ + ": " + std::string(lost_message));
    }
}

void pg_connection::set_up() {
    std::string sql = "SET TIME ZONE 'UTC'; SET client_min_messages = warning; SET lock_timeout = " + std::to_string(std::max(lock_timeout_ms_, 1));
    if (read_only_) sql += "; SET default_transaction_read_only = on";
    const result_ptr r(PQexec(conn_.get(), sql.c_str()));
    check(r.get(), "setting up the session");
}

void pg_connection::reconnect() {
    PQreset(conn_.get()); // the same parameters, a new session
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        std::string why = PQerrorMessage(conn_.get());
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        throw busy("the database " + where_ + " cannot be reached (" + why + "); try again");
    }
    prepared_.clear(); // prepared statements were the old session's
    changes_ = 0;
    try {
        set_up();
    } catch (const connection_lost&) {
        throw busy(std::string(lost_message));
    }
}

result_ptr pg_connection::start(pg_statement& who, const numbered_sql& sql, const std::vector<std::optional<std::string>>& values,
                                const std::vector<Oid>& types, const std::vector<int>& formats) {
    // Nothing has reached the caller until the first result is in: starting may run again.
    result_ptr first = again(retry_safe(sql.sql), [&] {
        send(sql, values, types, formats);
        result_ptr r(PQgetResult(conn_.get()));
        if (PQresultStatus(r.get()) != PGRES_SINGLE_TUPLE) {
            finish(r.get());
            check(r.get(), "running \"" + sql.sql.substr(0, 80) + "\"");
        }
        return r;
    });
    if (PQresultStatus(first.get()) == PGRES_SINGLE_TUPLE) streaming_ = &who;
    return first;
}

void pg_connection::send(const numbered_sql& sql, const std::vector<std::optional<std::string>>& values, const std::vector<Oid>& types,
                         const std::vector<int>& formats) {
    std::string key = sql.sql;
    key += '\0';
    for (const Oid t : types) key += std::to_string(t) + ",";
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
        if (prepared_.size() >= 1000) {
            exec("DEALLOCATE ALL");
            prepared_.clear();
        }
        std::string name = "p";
        name += std::to_string(next_name_++); // not "p" + ...: gcc 12 -O3 warns falsely (-Wrestrict)
        const result_ptr made(PQprepare(conn_.get(), name.c_str(), sql.sql.c_str(), static_cast<int>(types.size()), types.data()));
        check(made.get(), "preparing \"" + sql.sql.substr(0, 80) + "\"");
        it = prepared_.emplace(std::move(key), std::move(name)).first;
    }
    std::vector<const char*> pointers(values.size());
    std::vector<int> lengths(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i]) {
            pointers[i] = values[i]->data();
            lengths[i] = static_cast<int>(values[i]->size());
        }
    }
    if (PQsendQueryPrepared(conn_.get(), it->second.c_str(), static_cast<int>(values.size()), pointers.data(), lengths.data(),
                            formats.data(), 0) == 0 ||
        PQsetSingleRowMode(conn_.get()) == 0) {
        finish(nullptr);
        check(nullptr, "sending \"" + sql.sql.substr(0, 80) + "\"");
    }
}

result_ptr pg_connection::next() {
    result_ptr r(PQgetResult(conn_.get()));
    if (PQresultStatus(r.get()) == PGRES_SINGLE_TUPLE) return r;
    streaming_ = nullptr;
    finish(r.get());
    try {
        check(r.get(), "reading rows");
    } catch (const connection_lost&) {
        throw busy(std::string(lost_message)); // rows were read already: no running again
    }
    return r;
}

void pg_connection::finish(const PGresult* last) noexcept {
    const char* tuples = last != nullptr ? PQcmdTuples(const_cast<PGresult*>(last)) : "";
    changes_ = *tuples != '\0' ? std::strtoll(tuples, nullptr, 10) : 0;
    // A command's results end with a null one; only then can the connection take another.
    while (PGresult* more = PQgetResult(conn_.get())) PQclear(more);
}

void pg_connection::abandon(const pg_statement& who) noexcept {
    if (streaming_ != &who) return;
    streaming_ = nullptr;
    while (PGresult* more = PQgetResult(conn_.get())) PQclear(more);
}

std::vector<std::string> pg_connection::drop_secondary_indexes(std::string_view table) {
    std::vector<std::string> names;
    std::vector<std::string> sql;
    {
        pg_statement st(*this, std::make_shared<const numbered_sql>(number_parameters(
                                   "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                                   "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am a ON a.oid = i.relam "
                                   "WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace "
                                   "AND NOT x.indisunique AND NOT x.indisprimary AND a.amname = 'btree' ORDER BY 1")));
        st.bind_text(1, table);
        while (st.step()) {
            names.emplace_back(st.text(0));
            sql.emplace_back(st.text(1));
        }
    }
    for (const std::string& name : names) exec("DROP INDEX \"" + name + "\"");
    return sql;
}

// ---- statement ----------------------------------------------------------------------------

void pg_statement::bind_double(int index, double value) {
    if (std::isnan(value)) {
        set(index, "NaN", float8_oid, 0);
    } else if (std::isinf(value)) {
        set(index, value > 0 ? "Infinity" : "-Infinity", float8_oid, 0);
    } else {
        char buf[32];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value); // shortest exact text
        set(index, std::string(buf, end), float8_oid, 0);
    }
}

pg_statement::~pg_statement() { conn_.abandon(*this); }

bool pg_statement::step() {
    blob_.clear();
    if (!started_) {
        started_ = true;
        take(conn_.start(*this, *sql_, values_, types_, formats_));
    } else if (row_ < rows_) {
        ++row_;
    }
    while (row_ >= rows_) {
        if (!rest_.empty()) {
            take(std::move(rest_.front()));
            rest_.pop_front();
        } else if (conn_.streams(*this)) {
            take(conn_.next());
        } else {
            return false;
        }
    }
    return true;
}

void pg_statement::take_the_rest() {
    while (conn_.streams(*this)) rest_.push_back(conn_.next());
}

void pg_statement::reset() {
    conn_.abandon(*this);
    started_ = false;
    result_.reset();
    rest_.clear();
    row_ = -1;
    rows_ = 0;
    for (auto& v : values_) v.reset();
    std::fill(types_.begin(), types_.end(), 0);
    std::fill(formats_.begin(), formats_.end(), 0);
}

std::int64_t pg_statement::int64(int column) const {
    const std::string_view t = text(column);
    if (t.empty()) return 0;
    if (t == "t") return 1; // boolean
    if (t == "f") return 0;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec == std::errc() && end == t.data() + t.size()) return v;
    return static_cast<std::int64_t>(std::llround(real(column))); // numeric or double text
}

double pg_statement::real(int column) const {
    const std::string_view t = text(column);
    if (t.empty()) return 0;
    if (t == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (t == "Infinity") return std::numeric_limits<double>::infinity();
    if (t == "-Infinity") return -std::numeric_limits<double>::infinity();
    double v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
}

std::string_view pg_statement::blob(int column) const {
    const std::string_view t = text(column);
    if (!t.starts_with("\\x")) return t; // not bytea: the text itself
    // bytea in text form: \x and two hex digits a byte.
    const auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    blob_.resize((t.size() - 2) / 2);
    for (std::size_t i = 0; i < blob_.size(); ++i) {
        blob_[i] = static_cast<char>((nibble(t[2 + 2 * i]) << 4) | nibble(t[3 + 2 * i]));
    }
    return blob_;
}

} // namespace

std::unique_ptr<driver::connection> open(const std::string& url, open_mode m, int lock_timeout_ms) {
    return std::make_unique<pg_connection>(url, m, lock_timeout_ms);
}

std::string redact_password(std::string_view url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    const std::size_t at = url.find('@', scheme + 3);
    const std::size_t slash = url.find('/', scheme + 3);
    if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
    const std::size_t colon = url.find(':', scheme + 3);
    if (colon == std::string_view::npos || colon > at) return std::string(url);
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

numbered_sql number_parameters(std::string_view sql) {
    numbered_sql out;
    out.sql.reserve(sql.size() + 8);
    const auto number = [&](std::size_t n, const std::string& name) {
        if (out.names.size() < n) out.names.resize(n);
        if (!name.empty()) out.names[n - 1] = name;
        out.sql += '$';
        out.sql += std::to_string(n);
    };
    std::size_t i = 0;
    while (i < sql.size()) {
        const char ch = sql[i];
        if (ch == '\'' || ch == '"') { // a literal or quoted name; doubled quotes stay inside
            const std::size_t end = sql.find(ch, i + 1);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
            out.sql.append(sql.substr(i, stop - i));
            i = stop;
        } else if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
            const std::size_t end = sql.find('\n', i);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
            out.sql.append(sql.substr(i, stop - i));
            i = stop;
        } else if (ch == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            const std::size_t end = sql.find("*/", i + 2);
            const std::size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
            out.sql.append(sql.substr(i, stop - i));
            i = stop;
        } else if (ch == ':' && i + 1 < sql.size() && sql[i + 1] == ':') { // a cast
            out.sql += "::";
            i += 2;
        } else if (ch == '?') {
            std::size_t j = i + 1;
            while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) ++j;
            const std::size_t n = j > i + 1 ? std::strtoul(std::string(sql.substr(i + 1, j - i - 1)).c_str(), nullptr, 10)
                                            : out.names.size() + 1;
            number(n, "");
            i = j;
        } else if (ch == ':' && i + 1 < sql.size() && ident_char(sql[i + 1]) && std::isdigit(static_cast<unsigned char>(sql[i + 1])) == 0) {
            std::size_t j = i + 1;
            while (j < sql.size() && ident_char(sql[j])) ++j;
            const std::string name(sql.substr(i, j - i));
            std::size_t n = 0;
            for (std::size_t k = 0; k < out.names.size(); ++k) {
                if (out.names[k] == name) n = k + 1;
            }
            number(n != 0 ? n : out.names.size() + 1, name);
            i = j;
        } else {
            out.sql += ch;
            ++i;
        }
    }
    return out;
}

} // namespace plotmap::data::postgis
