// Accounts (docs/security.md): signing in and out (/api/v1/session), user administration
// (/api/v1/users) and API tokens (/api/v1/tokens).

#include "geo/text.hpp"
#include "data/clock.hpp"
#include "data/store.hpp"
#include "server/access.hpp"
#include "server/json_body.hpp"
#include "server/routes/routes.hpp"

#include <charconv>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 2> json_types{"application/json", "application/merge-patch+json"};

response json_response(int status, const json& body) {
    response r = make_response(status, "application/json", geo::json_text(body));
    r.set("Cache-Control", "no-store");
    return r;
}

response no_content() {
    response r;
    r.status = 204;
    r.set("Cache-Control", "no-store");
    return r;
}

/// A string member; `required` ones must be present and non-empty.
std::optional<std::string> text_member(const json& body, const char* name, bool required) {
    const auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
        if (required) throw bad_request(std::string("\"") + name + "\" is required");
        return std::nullopt;
    }
    if (!it->is_string()) throw bad_request(std::string("\"") + name + "\" must be a string");
    return it->get<std::string>();
}

void only_members(const json& body, std::initializer_list<std::string_view> names) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(names.begin(), names.end(), key) == names.end()) {
            throw bad_request("unknown member \"" + key.substr(0, 40) + "\"");
        }
    }
}

json scope_json(data::connection& c, const data::area_scope& scope) {
    return {{"scope", scope ? json(*scope) : json(nullptr)}, {"scope_name", data::describe_scope(c, scope)}};
}

json user_json(data::connection& c, const data::user& u) {
    json out{{"username", u.username},
             {"role", data::role_name(u.role)},
             {"disabled", u.disabled},
             {"created_at", u.created_at},
             {"created_by", u.created_by ? json(*u.created_by) : json(nullptr)},
             {"last_login_at", u.last_login_at ? json(*u.last_login_at) : json(nullptr)}};
    out.update(scope_json(c, u.scope));
    return out;
}

json token_json(data::connection& c, const data::api_token& t) {
    json out{{"id", t.id},
             {"username", t.username},
             {"name", t.name ? json(*t.name) : json(nullptr)},
             {"write", t.can_write},
             {"prefix", t.prefix},
             {"created_at", t.created_at},
             {"last_used_at", t.last_used_at ? json(*t.last_used_at) : json(nullptr)},
             {"revoked_at", t.revoked_at ? json(*t.revoked_at) : json(nullptr)}};
    out.update(scope_json(c, t.scope));
    return out;
}

/// Supervisors manage staff and viewers inside their own scope; admins manage everyone.
void require_manages(const data::principal& who, data::role r, const data::area_scope& scope, const std::string& what) {
    if (who.role == data::role::admin) return;
    if (r >= data::role::supervisor) {
        throw forbidden("only an admin can " + what + " a " + std::string(data::role_name(r)));
    }
    if (!data::scope_within(scope, who.scope)) {
        throw forbidden("supervisors can " + what + " users only inside their own scope");
    }
}

std::int64_t parse_token_id(const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) throw bad_request("token id must be a positive whole number");
    return id;
}

json session_json(data::connection& c, const data::principal& who) {
    json out{{"username", who.username},
             {"role", data::role_name(who.role)},
             {"write", who.can_write},
             {"via", who.via_session ? "session" : "token"}};
    out.update(scope_json(c, who.scope));
    if (who.via_session) out["csrf_token"] = who.csrf_token;
    return out;
}

/// What the field app needs to know of the server's settings (config [field]).
json field_json(const config::field_settings& f) {
    return {{"pin_accuracy_m", f.pin_accuracy_m}, {"pin_min_fixes", f.pin_min_fixes}, {"walk_max_accuracy_m", f.walk_max_accuracy_m}};
}

/// The answer to a sign-in: the user, the CSRF token for changes, the field app's settings, and the cookie.
response session_response(const context& ctx, const request& req, int status, json out, const data::session_grant& s) {
    out["csrf_token"] = s.csrf_token;
    out["field"] = field_json(ctx.settings.field);
    out["expires_at"] = data::iso_utc(s.expires_at);
    response res = json_response(status, out);
    res.set("Set-Cookie", ctx.gate.session_cookie_header(req, s.token, ctx.gate.session_limits().lifetime_s));
    return res;
}

void add_session_routes(router& r, const context& ctx) {
    r.add("POST", "/api/v1/session", access::open, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const json body = parse_json_object(req, json_types);
        only_members(body, {"username", "password"});
        const std::string username = *text_member(body, "username", true);
        const std::string password = *text_member(body, "password", true);
        const data::user user = ctx.gate.check_password(req, username, password);
        json out = ctx.store.read([&](data::connection& c) { return user_json(c, user); });
        return session_response(ctx, req, 201, std::move(out), ctx.gate.start_session(req, user));
    });

    r.add("GET", "/api/v1/session", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        json out = ctx.store.read([&](data::connection& c) { return session_json(c, caller(req)); });
        out["field"] = field_json(ctx.settings.field);
        return json_response(200, out);
    });

    r.add("DELETE", "/api/v1/session", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        if (!caller(req).via_session) throw bad_request("this request used an API token, not a session: revoke the token instead");
        const std::string token = *gatekeeper::session_token(req);
        ctx.store.write([&](data::connection& c) { data::end_session(c, token); });
        response res = no_content();
        res.set("Set-Cookie", ctx.gate.session_cookie_header(req, "", 0));
        return res;
    });

    r.add("POST", "/api/v1/session/password", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const data::principal& who = caller(req);
        if (!who.via_session) throw forbidden("change your password from a signed-in session, not with an API token");
        const json body = parse_json_object(req, json_types);
        only_members(body, {"current_password", "new_password"});
        const std::string current = *text_member(body, "current_password", true);
        const std::string next = *text_member(body, "new_password", true);
        // Checked like a sign-in (same limits), so a stolen session cannot guess the password.
        const data::user user = ctx.gate.check_password(req, who.username, current);
        // Every session ends with the old password; this one continues as a new session.
        ctx.store.write([&](data::connection& c) { data::set_password(c, who.username, next); });
        json out = ctx.store.read([&](data::connection& c) { return user_json(c, user); });
        return session_response(ctx, req, 200, std::move(out), ctx.gate.start_session(req, user));
    });
}

void add_user_routes(router& r, const context& ctx) {
    r.add("GET", "/api/v1/users", access::manage_users, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const data::principal& who = caller(req);
        return json_response(200, ctx.store.read([&](data::connection& c) {
            json users = json::array();
            for (const data::user& u : data::list_users(c, who.role == data::role::admin ? std::nullopt : who.scope)) {
                if (who.role == data::role::admin || u.role < data::role::supervisor) users.push_back(user_json(c, u));
            }
            return json{{"users", std::move(users)}};
        }));
    });

    r.add("POST", "/api/v1/users", access::manage_users, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const data::principal& who = caller(req);
        const json body = parse_json_object(req, json_types);
        only_members(body, {"username", "role", "scope", "password"});
        data::new_user u;
        u.username = *text_member(body, "username", true);
        u.role = data::parse_role(*text_member(body, "role", true));
        u.password = *text_member(body, "password", true);
        const std::optional<std::string> scope_text = text_member(body, "scope", false);
        return ctx.store.write([&](data::connection& c) {
            u.scope = data::parse_scope(c, scope_text.value_or(""));
            require_manages(who, u.role, u.scope, "create");
            response res = json_response(201, user_json(c, data::add_user(c, u, who.username)));
            res.set("Location", "/api/v1/users/" + u.username);
            return res;
        });
    });

    r.add("GET", "/api/v1/users/{username}", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        return json_response(200, ctx.store.read([&](data::connection& c) {
            const data::user u = data::find_user(c, p.at("username"));
            require_manages(caller(req), u.role, u.scope, "see");
            return user_json(c, u);
        }));
    });

    r.add("PATCH", "/api/v1/users/{username}", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        const data::principal& who = caller(req);
        const json body = parse_json_object(req, json_types);
        only_members(body, {"role", "scope", "disabled", "password"});
        const auto disabled = body.find("disabled");
        if (disabled != body.end() && !disabled->is_boolean()) throw bad_request("\"disabled\" must be true or false");
        const std::optional<std::string> role_text = text_member(body, "role", false);
        const std::optional<std::string> password = text_member(body, "password", false);
        return ctx.store.write([&](data::connection& c) {
            data::transaction tx(c);
            const data::user u = data::find_user(c, p.at("username"));
            require_manages(who, u.role, u.scope, "change");
            const data::role new_role = role_text ? data::parse_role(*role_text) : u.role;
            const data::area_scope new_scope =
                body.contains("scope") ? data::parse_scope(c, text_member(body, "scope", false).value_or("")) : u.scope;
            if (new_role != u.role || new_scope != u.scope) {
                require_manages(who, new_role, new_scope, "make");
                data::set_role(c, u.username, new_role, new_scope);
            }
            if (disabled != body.end() && disabled->get<bool>() != u.disabled) {
                if (u.id == who.user_id) throw conflict("you cannot disable your own account");
                data::set_disabled(c, u.username, disabled->get<bool>());
            }
            if (password) data::set_password(c, u.username, *password);
            json out = user_json(c, data::find_user(c, u.username));
            tx.commit();
            return json_response(200, out);
        });
    });

    r.add("DELETE", "/api/v1/users/{username}/sessions", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        return ctx.store.write([&](data::connection& c) {
            const data::user u = data::find_user(c, p.at("username"));
            require_manages(caller(req), u.role, u.scope, "sign out");
            return json_response(200, {{"username", u.username}, {"sessions_ended", data::end_sessions(c, u.id)}});
        });
    });
}

void add_token_routes(router& r, const context& ctx) {
    r.add("GET", "/api/v1/tokens", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"username"});
        const data::principal& who = caller(req);
        std::optional<std::string> username = who.username;
        if (const auto asked = req.query_value("username")) {
            if (*asked != who.username) require_role(req, data::role::admin);
            username = std::string(*asked);
        } else if (who.role == data::role::admin) {
            username = std::nullopt; // admins see every token
        }
        return json_response(200, ctx.store.read([&](data::connection& c) {
            json tokens = json::array();
            for (const data::api_token& t : data::list_tokens(c, username)) tokens.push_back(token_json(c, t));
            return json{{"tokens", std::move(tokens)}};
        }));
    });

    r.add("POST", "/api/v1/tokens", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const data::principal& who = caller(req);
        // A leaked token must not be able to mint more.
        if (!who.via_session) throw forbidden("create API tokens from a signed-in session");
        const json body = parse_json_object(req, json_types);
        only_members(body, {"name", "write", "scope"});
        const auto write = body.find("write");
        if (write != body.end() && !write->is_boolean()) throw bad_request("\"write\" must be true or false");
        const std::optional<std::string> name = text_member(body, "name", false);
        const std::optional<std::string> scope_text = text_member(body, "scope", false);
        return ctx.store.write([&](data::connection& c) {
            const data::area_scope scope = scope_text ? data::parse_scope(c, *scope_text) : who.scope;
            const data::token_grant g =
                data::create_token(c, who.username, name, write != body.end() && write->get<bool>(), scope);
            json out = token_json(c, g.info);
            out["token"] = g.token;
            return json_response(201, out);
        });
    });

    r.add("DELETE", "/api/v1/tokens/{id}", access::signed_in, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        const std::int64_t id = parse_token_id(p.at("id"));
        ctx.store.write([&](data::connection& c) {
            const data::api_token t = data::find_token(c, id);
            if (t.username != caller(req).username) require_role(req, data::role::admin);
            data::revoke_token(c, id);
        });
        return no_content();
    });
}

} // namespace

void add_accounts(router& r, const context& ctx) {
    add_session_routes(r, ctx);
    add_user_routes(r, ctx);
    add_token_routes(r, ctx);
}

} // namespace plotmap::server::routes
