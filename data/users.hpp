#pragma once
// Users, their sign-in sessions and API tokens (docs/security.md). Passwords are stored only
// as Argon2id hashes (libsodium); session and API tokens only as BLAKE2b hashes, so the
// database never holds a credential that works if copied. Roles and area scopes decide what
// a user may read and change; the checks themselves live with the data they guard
// (plot_registry) and the routes (server/access).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

class connection;

/// In increasing power: each role may do what the ones before it may.
enum class role { viewer, staff, supervisor, admin };

[[nodiscard]] std::string_view role_name(role r) noexcept;
/// @throws bad_request naming the allowed roles.
[[nodiscard]] role parse_role(std::string_view text);

/// An area scope: an admin-code prefix ("64" province, "6401" district, "640101"
/// subdistrict); nullopt is the whole country.
using area_scope = std::optional<std::string>;

/// The scope a user typed ("64", "TH64", "6401", "TH" or "" for the whole country), checked
/// against the loaded admin areas. @throws bad_request if no such area exists.
[[nodiscard]] area_scope parse_scope(connection& c, std::string_view text);

/// Whether the admin codes (the most detailed one present) fall inside `scope`.
[[nodiscard]] bool codes_in_scope(const area_scope& scope, const std::optional<std::string>& adm1,
                                  const std::optional<std::string>& adm2, const std::optional<std::string>& adm3);
/// Whether `inner` lies within `outer` (a subdistrict within its province, say).
[[nodiscard]] bool scope_within(const area_scope& inner, const area_scope& outer);
/// "6401 (เมืองเชียงใหม่)" or "the whole country", for messages.
[[nodiscard]] std::string describe_scope(connection& c, const area_scope& scope);

struct user {
    std::int64_t id = 0;
    std::string username;
    data::role role = role::viewer;
    area_scope scope;
    bool disabled = false;
    std::string created_at;
    std::optional<std::string> created_by;
    std::optional<std::string> last_login_at;
};

/// Who is making a request, once their session or token checked out.
struct principal {
    std::int64_t user_id = 0;
    std::string username;
    data::role role = role::viewer;
    area_scope scope;          ///< the token's scope when narrower than its user's
    bool can_write = true;     ///< false for read-only API tokens
    bool via_session = false;  ///< cookie session (CSRF applies) rather than a bearer token
    std::string csrf_token;    ///< the session's CSRF token (empty for tokens)
    std::optional<std::int64_t> token_id;
    std::int64_t last_seen_at = 0; ///< unix seconds the session/token was last marked used
    std::string session_hash;      ///< the session's stored hash (to mark it used or end it)
};

/// Argon2id (libsodium's crypto_pwhash_str, interactive limits): the encoded hash string.
/// @throws bad_request if the password is shorter than 8 or longer than 1024 bytes.
[[nodiscard]] std::string hash_password(std::string_view password);
/// Constant-time check of a password against an encoded hash.
[[nodiscard]] bool verify_password(std::string_view encoded_hash, std::string_view password);

struct new_user {
    std::string username;
    data::role role = role::viewer;
    area_scope scope;
    std::string password;
};

/// @throws bad_request (username spelling, password length), conflict (username taken).
user add_user(connection& c, const new_user& u, const std::optional<std::string>& created_by);
/// @throws not_found.
[[nodiscard]] user find_user(connection& c, std::string_view username);
/// How many users are enabled (none: nobody can sign in yet).
[[nodiscard]] std::int64_t count_enabled_users(connection& c);
/// All users, or only those whose scope lies within `within`.
[[nodiscard]] std::vector<user> list_users(connection& c, const area_scope& within);
/// Sets a new password and ends the user's sessions. @throws not_found, bad_request.
void set_password(connection& c, std::string_view username, std::string_view password);
/// Disables (ending every session and revoking every token) or re-enables a user.
void set_disabled(connection& c, std::string_view username, bool disabled);
/// Changes role and scope; ends the user's sessions so the change applies at once.
void set_role(connection& c, std::string_view username, data::role r, const area_scope& scope);

/// The user if the password is right and the account enabled; nullopt otherwise. Takes
/// the same time whether or not the user exists. Read-only (a reader connection will do).
[[nodiscard]] std::optional<user> check_login(connection& c, std::string_view username, std::string_view password);
/// Records a successful sign-in's time.
void record_login(connection& c, std::int64_t user_id);

/// Sign-in limits: attempts per username and per client address within a window. The counts
/// are rows in the database, so every server on it shares them (and a restart keeps them).
struct sign_in_limits {
    int per_user = 5;
    int per_address = 20;
    std::int64_t window_s = 900;
};

/// A sign-in refused before the password was checked: which limit, and for how long.
struct sign_in_refusal {
    bool by_address = false; ///< the address's limit (else the username's)
    std::int64_t retry_after_s = 0;
};

/// Counts one sign-in attempt for `address` and `username` (compared case-insensitively),
/// unless either is at its limit already; then nothing is counted and the refusal says
/// which. Counts older than their window are forgotten. One transaction: concurrent
/// attempts through different servers are counted one after the other.
[[nodiscard]] std::optional<sign_in_refusal> count_sign_in(connection& c, const sign_in_limits& limits, std::string_view address,
                                                           std::string_view username, std::int64_t now);
/// Forgets a username's attempts: its password checked out.
void clear_sign_ins(connection& c, std::string_view username);

struct session_grant {
    std::string token;       ///< the cookie value; only its hash is stored
    std::string csrf_token;
    std::int64_t expires_at = 0; ///< unix seconds (absolute lifetime)
};

struct session_limits {
    std::int64_t idle_timeout_s = 604800;
    std::int64_t lifetime_s = 2592000;
};

session_grant create_session(connection& c, std::int64_t user_id, const session_limits& limits, std::string_view remote);
/// The principal of a live session; nullopt if unknown, revoked, expired (idle or absolute)
/// or its user is disabled. Read-only: see mark_used() for the sliding idle timeout.
[[nodiscard]] std::optional<principal> session_principal(connection& c, std::string_view token, const session_limits& limits,
                                                         std::int64_t now);
/// Whether the principal's last-used time is stale enough to record again (at most once a
/// minute, more often when the idle timeout is short).
[[nodiscard]] bool needs_marking(const principal& p, const session_limits& limits, std::int64_t now);
/// Records that the principal's session or token was used at `now` (a session's idle
/// timeout slides from here; a token shows when it was last used).
void mark_used(connection& c, const principal& p, std::int64_t now);
void end_session(connection& c, std::string_view token);
/// Ends every session of a user. @returns how many were live.
int end_sessions(connection& c, std::int64_t user_id);

struct api_token {
    std::int64_t id = 0;
    std::string username;
    std::optional<std::string> name;
    bool can_write = false;
    area_scope scope;
    std::string prefix;       ///< the first characters, to recognise it
    std::string created_at;
    std::optional<std::string> last_used_at;
    std::optional<std::string> revoked_at;
};

struct token_grant {
    api_token info;
    std::string token; ///< shown once; only its hash is stored
};

/// A token for `username` reaching `scope` (nullopt: the whole country), which must lie
/// within the user's own scope.
/// @throws forbidden if `scope` is wider than the user's, bad_request for write on a viewer.
token_grant create_token(connection& c, std::string_view username, const std::optional<std::string>& name, bool can_write,
                         const area_scope& scope);
[[nodiscard]] std::vector<api_token> list_tokens(connection& c, const std::optional<std::string>& username);
[[nodiscard]] api_token find_token(connection& c, std::int64_t id);
/// @throws not_found.
void revoke_token(connection& c, std::int64_t id);
/// The principal of a live token of an enabled user.
[[nodiscard]] std::optional<principal> token_principal(connection& c, std::string_view token);

} // namespace plotmap::data
