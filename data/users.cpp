#include "data/users.hpp"

#include "data/clock.hpp"
#include "data/database.hpp"
#include "geo/error.hpp"
#include "geo/text.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <mutex>

namespace plotmap::data {
namespace {

constexpr std::array<std::string_view, 4> role_names{"viewer", "staff", "supervisor", "admin"};
constexpr std::size_t min_password = 8;
constexpr std::size_t max_password = 1024; // Argon2 cost does not depend on length, but bodies do
constexpr std::int64_t touch_every_s = 60;

void init_sodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) throw error("libsodium could not be initialised");
    });
}

/// 32 random bytes as unpadded base64url (43 characters), with a prefix.
std::string random_token(std::string_view prefix) {
    init_sodium();
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    std::array<char, 64> text{};
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return std::string(prefix) + text.data();
}

/// BLAKE2b-256 of a token: tokens are 256 random bits, so a fast hash is enough.
std::string token_hash(std::string_view token) {
    init_sodium();
    std::array<unsigned char, 32> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
    return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

void check_username(std::string_view name) {
    const bool ok_length = name.size() >= 2 && name.size() <= 64;
    bool ok_chars = ok_length;
    for (const char ch : name) {
        const bool allowed = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        ok_chars = ok_chars && allowed;
    }
    if (!ok_chars) {
        throw bad_request("username must be 2-64 characters of a-z, 0-9, '.', '_' or '-' (lower case), got \"" +
                          geo::utf8_prefix(name, 64) + "\"");
    }
}

void check_password(std::string_view password) {
    if (password.size() < min_password) {
        throw bad_request("password must be at least " + std::to_string(min_password) + " characters");
    }
    if (password.size() > max_password) throw bad_request("password must be at most " + std::to_string(max_password) + " bytes");
}

constexpr const char* user_columns = "id, username, role, scope, disabled_at IS NOT NULL, created_at, created_by, last_login_at";

user read_user(const statement& st) {
    user u;
    u.id = st.int64(0);
    u.username = st.text(1);
    u.role = parse_role(st.text(2));
    u.scope = st.optional_text(3);
    u.disabled = st.int64(4) != 0;
    u.created_at = st.text(5);
    u.created_by = st.optional_text(6);
    u.last_login_at = st.optional_text(7);
    return u;
}

void require_changed(connection& c, std::string_view username) {
    if (c.changes() == 0) throw not_found("no user named \"" + geo::utf8_prefix(username, 64) + "\"");
}

/// The user columns every credential lookup starts with: id, username, role, scope.
principal principal_of(const statement& st) {
    principal p;
    p.user_id = st.int64(0);
    p.username = st.text(1);
    p.role = parse_role(st.text(2));
    p.scope = st.optional_text(3);
    return p;
}

const std::string& dummy_hash() {
    static const std::string hash = hash_password(random_token("dummy-"));
    return hash;
}

} // namespace

std::string_view role_name(role r) noexcept { return role_names[static_cast<std::size_t>(r)]; }

role parse_role(std::string_view text) {
    for (std::size_t i = 0; i < role_names.size(); ++i) {
        if (text == role_names[i]) return static_cast<role>(i);
    }
    throw bad_request("role must be admin, supervisor, staff or viewer, got \"" + geo::utf8_prefix(text, 32) + "\"");
}

area_scope parse_scope(connection& c, std::string_view text) {
    std::string code(text);
    if (code.size() >= 2 && (code.starts_with("TH") || code.starts_with("th"))) code = code.substr(2);
    if (code.empty()) return std::nullopt;
    const char* table = code.size() == 2 ? "adm1" : code.size() == 4 ? "adm2" : code.size() == 6 ? "adm3" : nullptr;
    if (table != nullptr) {
        cached_query q(c, std::string("SELECT 1 FROM ") + table + " WHERE code = ?1");
        q->bind(1, code);
        if (q->step()) return code;
    }
    throw bad_request("scope must be a province (2 digits, like 50), district (4, like 5001) or subdistrict (6) code that "
                      "exists, or empty for the whole country; got \"" +
                      geo::utf8_prefix(text, 32) + "\"");
}

bool codes_in_scope(const area_scope& scope, const std::optional<std::string>& adm1, const std::optional<std::string>& adm2,
                    const std::optional<std::string>& adm3) {
    if (!scope) return true;
    const std::optional<std::string>& code = adm3 ? adm3 : adm2 ? adm2 : adm1;
    return code && code->starts_with(*scope);
}

bool scope_within(const area_scope& inner, const area_scope& outer) {
    if (!outer) return true;
    return inner && inner->starts_with(*outer);
}

std::string describe_scope(connection& c, const area_scope& scope) {
    if (!scope) return "the whole country";
    const char* table = scope->size() == 2 ? "adm1" : scope->size() == 4 ? "adm2" : "adm3";
    cached_query q(c, std::string("SELECT name_th FROM ") + table + " WHERE code = ?1");
    q->bind(1, *scope);
    return *scope + (q->step() ? " (" + std::string(q->text(0)) + ")" : "");
}

std::string hash_password(std::string_view password) {
    check_password(password);
    init_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw error("out of memory hashing a password");
    }
    return out.data();
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
    init_sodium();
    if (password.size() > max_password || encoded_hash.size() >= crypto_pwhash_STRBYTES) return false;
    std::array<char, crypto_pwhash_STRBYTES> hash{};
    std::copy(encoded_hash.begin(), encoded_hash.end(), hash.begin());
    return crypto_pwhash_str_verify(hash.data(), password.data(), password.size()) == 0;
}

user add_user(connection& c, const new_user& u, const std::optional<std::string>& created_by) {
    check_username(u.username);
    const std::string hash = hash_password(u.password);
    statement st(c, "INSERT INTO users (username, role, scope, password_hash, created_at, created_by) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO NOTHING");
    st.bind(1, u.username).bind(2, role_name(u.role)).bind(3, u.scope).bind(4, hash).bind(5, now_utc()).bind(6, created_by);
    st.run();
    if (c.changes() == 0) throw conflict("a user named \"" + u.username + "\" already exists");
    return find_user(c, u.username);
}

user find_user(connection& c, std::string_view username) {
    statement st(c, std::string("SELECT ") + user_columns + " FROM users WHERE username = ?1");
    st.bind(1, username);
    if (!st.step()) throw not_found("no user named \"" + geo::utf8_prefix(username, 64) + "\"");
    return read_user(st);
}

std::int64_t count_enabled_users(connection& c) { return c.scalar_int("SELECT count(*) FROM users WHERE disabled_at IS NULL"); }

std::vector<user> list_users(connection& c, const area_scope& within) {
    statement st(c, std::string("SELECT ") + user_columns + " FROM users ORDER BY username");
    std::vector<user> out;
    while (st.step()) {
        user u = read_user(st);
        if (scope_within(u.scope, within)) out.push_back(std::move(u));
    }
    return out;
}

void set_password(connection& c, std::string_view username, std::string_view password) {
    const std::string hash = hash_password(password);
    transaction tx(c);
    statement st(c, "UPDATE users SET password_hash = ?2 WHERE username = ?1");
    st.bind(1, username).bind(2, hash);
    st.run();
    require_changed(c, username);
    end_sessions(c, find_user(c, username).id);
    tx.commit();
}

void set_disabled(connection& c, std::string_view username, bool disabled) {
    transaction tx(c);
    statement st(c, disabled ? "UPDATE users SET disabled_at = coalesce(disabled_at, ?2) WHERE username = ?1"
                             : "UPDATE users SET disabled_at = NULL WHERE username = ?1 AND ?2 IS NOT NULL");
    st.bind(1, username).bind(2, now_utc());
    st.run();
    require_changed(c, username);
    if (disabled) {
        const std::int64_t id = find_user(c, username).id;
        end_sessions(c, id);
        statement revoke(c, "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL");
        revoke.bind(1, id).bind(2, now_utc());
        revoke.run();
    }
    tx.commit();
}

void set_role(connection& c, std::string_view username, role r, const area_scope& scope) {
    transaction tx(c);
    statement st(c, "UPDATE users SET role = ?2, scope = ?3 WHERE username = ?1");
    st.bind(1, username).bind(2, role_name(r)).bind(3, scope);
    st.run();
    require_changed(c, username);
    end_sessions(c, find_user(c, username).id);
    tx.commit();
}

std::optional<user> check_login(connection& c, std::string_view username, std::string_view password) {
    statement st(c, std::string("SELECT ") + user_columns + ", password_hash FROM users WHERE username = ?1");
    st.bind(1, username);
    if (!st.step()) {
        (void)verify_password(dummy_hash(), password); // the same work as for a real user
        return std::nullopt;
    }
    user u = read_user(st);
    const std::string hash(st.text(8));
    if (!verify_password(hash, password) || u.disabled) return std::nullopt;
    return u;
}

void record_login(connection& c, std::int64_t user_id) {
    statement mark(c, "UPDATE users SET last_login_at = ?2 WHERE id = ?1");
    mark.bind(1, user_id).bind(2, now_utc());
    mark.run();
}

namespace {

/// The attempts counted for (kind, key) in the current window, and when it ends.
struct sign_in_count {
    std::int64_t count = 0;
    std::int64_t ends_at = 0;
};

sign_in_count sign_ins(connection& c, std::string_view kind, std::string_view key) {
    statement st(c, "SELECT count, ends_at FROM sign_in_counts WHERE kind = ?1 AND key = ?2");
    st.bind(1, kind).bind(2, key);
    if (!st.step()) return {};
    return {st.int64(0), st.int64(1)};
}

void add_sign_in(connection& c, std::string_view kind, std::string_view key, std::int64_t ends_at) {
    statement st(c, "INSERT INTO sign_in_counts (kind, key, count, ends_at) VALUES (?1, ?2, 1, ?3) "
                    "ON CONFLICT (kind, key) DO UPDATE SET count = sign_in_counts.count + 1");
    st.bind(1, kind).bind(2, key).bind(3, ends_at);
    st.run();
}

} // namespace

/// Keys are cut to a length no real username (64 at most) or address reaches, so a client
/// cannot fill the table with long ones; longer names, which cannot sign in, share a count.
constexpr std::size_t sign_in_key_bytes = 100;

std::optional<sign_in_refusal> count_sign_in(connection& c, const sign_in_limits& limits, std::string_view address,
                                             std::string_view username, std::int64_t now) {
    const std::string user_key = geo::ascii_lower(username.substr(0, sign_in_key_bytes));
    address = address.substr(0, sign_in_key_bytes);
    transaction tx(c);
    statement forget(c, "DELETE FROM sign_in_counts WHERE ends_at <= ?1");
    forget.bind(1, now);
    forget.run();
    const sign_in_count by_address = sign_ins(c, "address", address);
    if (by_address.count >= limits.per_address) return sign_in_refusal{true, by_address.ends_at - now};
    const sign_in_count by_user = sign_ins(c, "user", user_key);
    if (by_user.count >= limits.per_user) return sign_in_refusal{false, by_user.ends_at - now};
    add_sign_in(c, "address", address, now + limits.window_s);
    add_sign_in(c, "user", user_key, now + limits.window_s);
    tx.commit();
    return std::nullopt;
}

void clear_sign_ins(connection& c, std::string_view username) {
    statement st(c, "DELETE FROM sign_in_counts WHERE kind = 'user' AND key = ?1");
    st.bind(1, geo::ascii_lower(username.substr(0, sign_in_key_bytes)));
    st.run();
}

session_grant create_session(connection& c, std::int64_t user_id, const session_limits& limits, std::string_view remote) {
    session_grant g;
    g.token = random_token("");
    g.csrf_token = random_token("");
    const std::int64_t now = unix_now();
    g.expires_at = now + limits.lifetime_s;
    statement st(c, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, remote) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6)");
    st.bind_blob(1, token_hash(g.token)).bind(2, user_id).bind(3, g.csrf_token).bind(4, now).bind(5, g.expires_at).bind(6, remote);
    st.run();
    return g;
}

std::optional<principal> session_principal(connection& c, std::string_view token, const session_limits& limits,
                                           std::int64_t now) {
    cached_query q(c, "SELECT u.id, u.username, u.role, u.scope, s.csrf_token, s.last_seen_at FROM sessions s "
                      "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.ended_at IS NULL "
                      "AND s.expires_at > ?2 AND s.last_seen_at >= ?3 AND u.disabled_at IS NULL");
    statement& st = *q;
    st.bind_blob(1, token_hash(token)).bind(2, now).bind(3, now - limits.idle_timeout_s);
    if (!st.step()) return std::nullopt;
    principal p = principal_of(st);
    p.via_session = true;
    p.csrf_token = st.text(4);
    p.last_seen_at = st.int64(5);
    p.session_hash = token_hash(token);
    return p;
}

bool needs_marking(const principal& p, const session_limits& limits, std::int64_t now) {
    return now - p.last_seen_at >= std::min(touch_every_s, limits.idle_timeout_s / 4);
}

void mark_used(connection& c, const principal& p, std::int64_t now) {
    if (p.via_session) {
        statement st(c, "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1");
        st.bind_blob(1, p.session_hash).bind(2, now);
        st.run();
    } else if (p.token_id) {
        statement st(c, "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1");
        st.bind(1, *p.token_id).bind(2, now);
        st.run();
    }
}

void end_session(connection& c, std::string_view token) {
    statement st(c, "UPDATE sessions SET ended_at = ?2 WHERE token_hash = ?1 AND ended_at IS NULL");
    st.bind_blob(1, token_hash(token)).bind(2, unix_now());
    st.run();
}

int end_sessions(connection& c, std::int64_t user_id) {
    const std::int64_t now = unix_now();
    statement st(c, "UPDATE sessions SET ended_at = ?2 WHERE user_id = ?1 AND ended_at IS NULL AND expires_at > ?2");
    st.bind(1, user_id).bind(2, now);
    st.run();
    return static_cast<int>(c.changes());
}

namespace {

constexpr const char* token_columns = "t.id, u.username, t.name, t.can_write, coalesce(t.scope, u.scope), t.prefix, t.created_at, "
                                      "t.last_used_at, t.revoked_at";

api_token read_token(const statement& st) {
    api_token t;
    t.id = st.int64(0);
    t.username = st.text(1);
    t.name = st.optional_text(2);
    t.can_write = st.int64(3) != 0;
    t.scope = st.optional_text(4);
    t.prefix = st.text(5);
    t.created_at = st.text(6);
    if (!st.is_null(7)) t.last_used_at = iso_utc(st.int64(7));
    t.revoked_at = st.optional_text(8);
    return t;
}

} // namespace

token_grant create_token(connection& c, std::string_view username, const std::optional<std::string>& name, bool can_write,
                         const area_scope& scope) {
    const user u = find_user(c, username);
    if (u.disabled) throw conflict("user \"" + u.username + "\" is disabled");
    if (!scope_within(scope, u.scope)) {
        throw forbidden("a token cannot reach beyond its user's scope (" + describe_scope(c, u.scope) + ")");
    }
    if (can_write && u.role == role::viewer) throw bad_request("viewers cannot have write tokens");
    if (name && name->size() > 200) throw bad_request("token name must be at most 200 characters");
    token_grant g;
    g.token = random_token("pm_");
    statement st(c, "INSERT INTO api_tokens (token_hash, prefix, user_id, name, can_write, scope, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
    st.bind_blob(1, token_hash(g.token)).bind(2, g.token.substr(0, 7)).bind(3, u.id).bind(4, name);
    st.bind(5, can_write ? 1 : 0).bind(6, scope == u.scope ? std::nullopt : scope).bind(7, now_utc());
    g.info = find_token(c, st.run_returning_id());
    return g;
}

std::vector<api_token> list_tokens(connection& c, const std::optional<std::string>& username) {
    statement st(c, std::string("SELECT ") + token_columns +
                        " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE CAST(?1 AS TEXT) IS NULL OR u.username = ?1 ORDER BY t.id");
    st.bind(1, username);
    std::vector<api_token> out;
    while (st.step()) out.push_back(read_token(st));
    return out;
}

api_token find_token(connection& c, std::int64_t id) {
    statement st(c, std::string("SELECT ") + token_columns + " FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?1");
    st.bind(1, id);
    if (!st.step()) throw not_found("no API token with id " + std::to_string(id));
    return read_token(st);
}

void revoke_token(connection& c, std::int64_t id) {
    (void)find_token(c, id);
    statement st(c, "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1");
    st.bind(1, id).bind(2, now_utc());
    st.run();
}

std::optional<principal> token_principal(connection& c, std::string_view token) {
    cached_query q(c, "SELECT u.id, u.username, u.role, u.scope, t.can_write, t.id, "
                      "coalesce(t.last_used_at, 0), t.scope FROM api_tokens t JOIN users u ON u.id = t.user_id "
                      "WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL");
    statement& st = *q;
    st.bind_blob(1, token_hash(token));
    if (!st.step()) return std::nullopt;
    principal p = principal_of(st);
    p.can_write = st.int64(4) != 0 && p.role != role::viewer;
    p.token_id = st.int64(5);
    p.last_seen_at = st.int64(6);
    // A token narrower than its user keeps its own scope; if the user was since narrowed
    // below it, the user's scope wins.
    const area_scope own = st.optional_text(7);
    if (own && scope_within(own, p.scope)) p.scope = own;
    return p;
}

} // namespace plotmap::data
