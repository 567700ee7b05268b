#include "server/access.hpp"

#include "data/clock.hpp"
#include "data/store.hpp"
#include "geo/error.hpp"
#include "geo/text.hpp"

#include <sodium.h>

#include <algorithm>

namespace plotmap::server {
namespace {

bool is_safe(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// "http://host:port" of an Origin header equals the Host the request was sent to.
bool origin_matches_host(std::string_view origin, std::string_view host) {
    for (const std::string_view scheme : {"http://", "https://"}) {
        if (origin.starts_with(scheme)) return ascii_lower(origin.substr(scheme.size())) == ascii_lower(host);
    }
    return false;
}

const char* role_needed(data::role r) {
    switch (r) {
    case data::role::admin: return "an admin";
    case data::role::supervisor: return "a supervisor or admin";
    case data::role::staff: return "staff, a supervisor or an admin";
    case data::role::viewer: break;
    }
    return "a signed-in user";
}

} // namespace

gatekeeper::gatekeeper(data::store& store, const config::settings& settings)
    : store_(store), settings_(settings), anonymous_public_(settings.auth.anonymous == "public"),
      limits_{settings.auth.session_idle_timeout_s, settings.auth.session_lifetime_s},
      sign_in_limits_{settings.auth.login_attempts_per_user, settings.auth.login_attempts_per_address, settings.auth.login_window_s},
      requests_(settings.server.requests_per_s, settings.server.request_burst) {}

std::optional<std::string> gatekeeper::session_token(const request& req) {
    for (const auto& [name, value] : req.headers) {
        if (name != "cookie") continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto semi = rest.find(';');
            const std::string_view pair = trim(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == session_cookie && eq + 1 < pair.size()) {
                return std::string(pair.substr(eq + 1));
            }
        }
    }
    return std::nullopt;
}

std::string gatekeeper::client_address(const request& req) const {
    if (settings_.server.trust_proxy) {
        if (auto address = forwarded(req, "for")) return std::move(*address);
    }
    return req.remote;
}

std::optional<data::principal> gatekeeper::identify(request& req, access level) const {
    // Presented credentials must be valid except on open routes; a stale session cookie on
    // public reads just reads as anonymous (a public map keeps working after sign-out),
    // while a wrong API token is always reported to the tool that sent it.
    const bool strict_token = level != access::open;
    const bool strict_cookie = strict_token && !(level == access::read && anonymous_public_);
    // ?token= is taken out of the query so routes never see it (their parameter checks stay
    // strict) and kept for URLs the response hands out (TileJSON, styles).
    const auto it = std::find_if(req.query.begin(), req.query.end(), [](const auto& kv) { return kv.first == "token"; });
    std::optional<std::string> query_token;
    if (it != req.query.end()) {
        query_token = it->second;
        req.query.erase(it);
        if (!is_safe(req.method)) throw bad_request("send API tokens for writes in the Authorization header, not ?token=");
        req.url_token = query_token;
    }
    std::optional<std::string> bearer;
    if (const auto auth = req.header("authorization")) {
        const std::string_view v = trim(*auth);
        if (v.size() > 7 && ascii_lower(v.substr(0, 7)) == "bearer ") {
            bearer = std::string(trim(v.substr(7)));
        } else if (strict_token) {
            throw unauthorized("Authorization must be \"Bearer <API token>\"");
        }
    }
    const std::optional<std::string> token = bearer ? bearer : query_token;
    const std::optional<std::string> cookie = token ? std::nullopt : session_token(req);
    if (!token && !cookie) return std::nullopt;

    const std::int64_t now = data::unix_now();
    std::optional<data::principal> who = store_.read([&](data::connection& c) {
        return token ? data::token_principal(c, *token) : data::session_principal(c, *cookie, limits_, now);
    });
    if (!who) {
        if (token ? !strict_token : !strict_cookie) return std::nullopt;
        throw unauthorized(token ? "this API token is not valid (revoked, mistyped, or its user disabled)"
                                 : "your session has ended (signed out, expired or revoked); sign in again");
    }
    if (data::needs_marking(*who, limits_, now)) {
        store_.write([&](data::connection& c) { data::mark_used(c, *who, now); });
    }
    return who;
}

void gatekeeper::admit(request& req, access level) const {
    const bool write = !is_safe(req.method);
    if (write) {
        // A browser always names the page that sent a write; a foreign page is refused even
        // before credentials are looked at (this also guards the sign-in form).
        if (const auto origin = req.header("origin"); origin && *origin != "null") {
            const auto host = req.header("host");
            if (!host || !origin_matches_host(*origin, *host)) {
                throw forbidden("cross-site request refused: Origin " + geo::utf8_prefix(*origin, 100) +
                                " is not this server");
            }
        }
    }
    req.who = identify(req, level);
    if (req.who && req.who->via_session && write && level != access::open) {
        const auto sent = req.header("x-csrf-token");
        if (!sent || !same_secret(*sent, req.who->csrf_token)) {
            throw forbidden("missing or wrong X-CSRF-Token header: send the csrf_token from sign-in "
                            "(or GET /api/v1/session) with every change");
        }
    }
    switch (level) {
    case access::open:
        return;
    case access::read:
        if (!req.who && !anonymous_public_) throw unauthorized("sign in or send an API token to read this");
        return;
    case access::signed_in:
        (void)caller(req);
        return;
    case access::edit:
        if (!caller(req).can_write) throw forbidden("this API token is read-only");
        require_role(req, data::role::staff);
        return;
    case access::manage_users:
        if (write && !caller(req).can_write) throw forbidden("this API token is read-only");
        require_role(req, data::role::supervisor);
        return;
    }
}

void gatekeeper::limit_rate(const request& req) const {
    if (settings_.server.requests_per_s == 0) return;
    if (const int wait = requests_.take(client_address(req)); wait > 0) {
        throw too_many_requests("too many requests from your address; slow down (limit " +
                                    std::to_string(settings_.server.requests_per_s) + " per second)",
                                wait);
    }
}

data::user gatekeeper::check_password(const request& req, const std::string& username, const std::string& password) const {
    // Counted in the database before the password is checked, so every server on it shares
    // the limits and concurrent guesses are counted one after the other.
    const std::optional<data::sign_in_refusal> refused = store_.write(
        [&](data::connection& c) { return data::count_sign_in(c, sign_in_limits_, client_address(req), username, data::unix_now()); });
    if (refused) {
        const int wait = static_cast<int>(std::max<std::int64_t>(1, refused->retry_after_s));
        const std::string minutes = std::to_string((wait + 59) / 60) + " minute(s)";
        if (refused->by_address) throw too_many_requests("too many sign-in attempts from your address; try again in " + minutes, wait);
        throw too_many_requests("too many failed sign-ins for \"" + geo::utf8_prefix(username, 64) + "\"; try again in " + minutes, wait);
    }
    // Argon2id verification runs outside the writer lock (it takes a tenth of a second).
    std::optional<data::user> user = store_.read([&](data::connection& c) { return data::check_login(c, username, password); });
    if (!user) throw unauthorized("wrong username or password, or the account is disabled");
    store_.write([&](data::connection& c) { data::clear_sign_ins(c, username); });
    return std::move(*user);
}

data::session_grant gatekeeper::start_session(const request& req, const data::user& u) const {
    return store_.write([&](data::connection& c) {
        data::record_login(c, u.id);
        return data::create_session(c, u.id, limits_, client_address(req));
    });
}

std::string gatekeeper::session_cookie_header(const request& req, const std::string& token, std::int64_t max_age_s) const {
    std::string v = std::string(session_cookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                    std::to_string(max_age_s);
    if (settings_.server.trust_proxy && ascii_lower(forwarded(req, "proto").value_or("")) == "https") v += "; Secure";
    return v;
}

const data::principal& caller(const request& req) {
    if (!req.who) throw unauthorized("sign in or send an API token to do this");
    return *req.who;
}

bool sees_personal(const request& req, const data::plot& p) {
    return req.who && data::codes_in_scope(req.who->scope, p.adm1, p.adm2, p.adm3);
}

data::editor editor_of(const request& req) {
    const data::principal& who = caller(req);
    return {who.username, who.scope, who.role >= data::role::supervisor};
}

void require_role(const request& req, data::role r) {
    if (caller(req).role < r) {
        throw forbidden(std::string("this needs ") + role_needed(r) + "; you are " + std::string(data::role_name(caller(req).role)));
    }
}

} // namespace plotmap::server
