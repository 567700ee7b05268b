#pragma once
// Who is calling and what they may do (docs/security.md). The gatekeeper identifies the
// caller from a session cookie, an `Authorization: Bearer` API token or a `?token=` query
// parameter (GET only, for tile URLs in tools that cannot set headers), enforces each
// route's access level and CSRF, and runs sign-in with its rate limits. Handlers use the
// helpers below for the checks that depend on the data (scope, personal fields).

#include "config/config.hpp"
#include "data/plot.hpp"
#include "data/plot_registry.hpp"
#include "data/users.hpp"
#include "server/http.hpp"
#include "server/rate_limit.hpp"
#include "server/router.hpp"

#include <string>

namespace plotmap::data {
class store;
}

namespace plotmap::server {

/// The session cookie's name.
inline constexpr const char* session_cookie = "plotmap_session";

class gatekeeper {
public:
    gatekeeper(data::store& store, const config::settings& settings);

    /// Fills req.who from its credentials and checks `level`, CSRF for cookie-authenticated
    /// writes, and the Origin of every write. Strips a ?token= parameter from req.query.
    /// @throws unauthorized (no or bad credentials where needed), forbidden (role, read-only
    ///         token, CSRF, foreign Origin), bad_request (?token= on a write).
    void admit(request& req, access level) const;

    /// Whether anonymous callers may read public data.
    [[nodiscard]] bool anonymous_public() const noexcept { return anonymous_public_; }

    /// Checks the request rate of the caller's address. @throws too_many_requests.
    void limit_rate(const request& req) const;

    /// Checks a username and password under the sign-in limits (per username and per
    /// address). @throws unauthorized ("wrong username or password"), too_many_requests.
    [[nodiscard]] data::user check_password(const request& req, const std::string& username, const std::string& password) const;

    /// Starts a session for a user whose password checked out.
    [[nodiscard]] data::session_grant start_session(const request& req, const data::user& u) const;

    /// The Set-Cookie value for a session (or, with an empty token, one that clears it).
    [[nodiscard]] std::string session_cookie_header(const request& req, const std::string& token, std::int64_t max_age_s) const;

    /// The address limits and logs count: X-Forwarded-For's first entry when
    /// server.trust_proxy, else the socket's peer.
    [[nodiscard]] std::string client_address(const request& req) const;

    /// The session cookie's value, if sent.
    [[nodiscard]] static std::optional<std::string> session_token(const request& req);

    [[nodiscard]] const data::session_limits& session_limits() const noexcept { return limits_; }

private:
    [[nodiscard]] std::optional<data::principal> identify(request& req, access level) const;

    data::store& store_;
    const config::settings& settings_;
    bool anonymous_public_;
    data::session_limits limits_;
    data::sign_in_limits sign_in_limits_;
    mutable token_buckets requests_;
};

/// The signed-in caller. @throws unauthorized for an anonymous request.
[[nodiscard]] const data::principal& caller(const request& req);

/// Whether the caller may see the plot's personal fields (owner name and phone, title-deed
/// number, notes, who edited): a signed-in user or token whose scope holds the plot.
[[nodiscard]] bool sees_personal(const request& req, const data::plot& p);

/// The caller as an editor of plots (username and scope for the registry).
/// @pre the route's access level is `edit`.
[[nodiscard]] data::editor editor_of(const request& req);

/// Requires at least `r`. @throws forbidden naming the role needed.
void require_role(const request& req, data::role r);

} // namespace plotmap::server
