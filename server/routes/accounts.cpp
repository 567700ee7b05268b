// Accounts (docs/security.md): signing in and out (/api/v1/session), user administration
// (/api/v1/users) and API tokens (/api/v1/tokens).

#include "geo/text.hpp"
#include "data/accounts.hpp"
#include "data/clock.hpp"
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

json scope_json(const data::area_scope& scope, const std::string& name) {
    return {{"scope", scope ? json(*scope) : json(nullptr)}, {"scope_name", name}};
}

json user_json(const data::user_view& v) {
    const data::user& u = v.user;
    json out{{"username", u.username},
             {"role", data::role_name(u.role)},
             {"disabled", u.disabled},
             {"created_at", u.created_at},
             {"created_by", u.created_by ? json(*u.created_by) : json(nullptr)},
             {"last_login_at", u.last_login_at ? json(*u.last_login_at) : json(nullptr)}};
    out.update(scope_json(u.scope, v.scope_name));
    return out;
}

json token_json(const data::token_view& v) {
    const data::api_token& t = v.token;
    json out{{"id", t.id},
             {"username", t.username},
             {"name", t.name ? json(*t.name) : json(nullptr)},
             {"write", t.can_write},
             {"prefix", t.prefix},
             {"created_at", t.created_at},
             {"last_used_at", t.last_used_at ? json(*t.last_used_at) : json(nullptr)},
             {"revoked_at", t.revoked_at ? json(*t.revoked_at) : json(nullptr)}};
    out.update(scope_json(t.scope, v.scope_name));
    return out;
}

std::int64_t parse_token_id(const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) throw bad_request("token id must be a positive whole number");
    return id;
}

json session_json(const data::accounts& accounts, const data::principal& who) {
    json out{{"username", who.username},
             {"role", data::role_name(who.role)},
             {"write", who.can_write},
             {"via", who.via_session ? "session" : "token"}};
    out.update(scope_json(who.scope, accounts.scope_name(who.scope)));
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
        return session_response(ctx, req, 201, user_json(data::accounts(ctx.store).view(user)), ctx.gate.start_session(req, user));
    });

    r.add("GET", "/api/v1/session", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        json out = session_json(data::accounts(ctx.store), caller(req));
        out["field"] = field_json(ctx.settings.field);
        return json_response(200, out);
    });

    r.add("DELETE", "/api/v1/session", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        if (!caller(req).via_session) throw bad_request("this request used an API token, not a session: revoke the token instead");
        data::accounts(ctx.store).end_session(*gatekeeper::session_token(req));
        response res = no_content();
        res.set("Set-Cookie", ctx.gate.session_cookie_header(req, "", 0));
        return res;
    });

    r.add("POST", "/api/v1/session/password", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const data::accounts accounts(ctx.store);
        const json body = parse_json_object(req, json_types);
        only_members(body, {"current_password", "new_password"});
        const std::string current = *text_member(body, "current_password", true);
        const std::string next = *text_member(body, "new_password", true);
        // The current password is checked like a sign-in (the same limits). Every session
        // ends with the old password; this one continues as a new session.
        const data::user user = accounts.change_password(caller(req), current, next, [&](const std::string& name, const std::string& password) {
            return ctx.gate.check_password(req, name, password);
        });
        return session_response(ctx, req, 200, user_json(accounts.view(user)), ctx.gate.start_session(req, user));
    });
}

void add_user_routes(router& r, const context& ctx) {
    r.add("GET", "/api/v1/users", access::manage_users, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        json users = json::array();
        for (const data::user_view& u : data::accounts(ctx.store).users_for(caller(req))) users.push_back(user_json(u));
        return json_response(200, json{{"users", std::move(users)}});
    });

    r.add("POST", "/api/v1/users", access::manage_users, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const json body = parse_json_object(req, json_types);
        only_members(body, {"username", "role", "scope", "password"});
        data::new_user u;
        u.username = *text_member(body, "username", true);
        u.role = data::parse_role(*text_member(body, "role", true));
        u.password = *text_member(body, "password", true);
        const data::user_view made = data::accounts(ctx.store).create_user(caller(req), u, text_member(body, "scope", false));
        response res = json_response(201, user_json(made));
        res.set("Location", "/api/v1/users/" + made.user.username);
        return res;
    });

    r.add("GET", "/api/v1/users/{username}", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        return json_response(200, user_json(data::accounts(ctx.store).user_for(caller(req), p.at("username"))));
    });

    r.add("PATCH", "/api/v1/users/{username}", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        const json body = parse_json_object(req, json_types);
        only_members(body, {"role", "scope", "disabled", "password"});
        data::user_change change;
        if (const auto disabled = body.find("disabled"); disabled != body.end()) {
            if (!disabled->is_boolean()) throw bad_request("\"disabled\" must be true or false");
            change.disabled = disabled->get<bool>();
        }
        change.role = text_member(body, "role", false);
        change.password = text_member(body, "password", false);
        if (body.contains("scope")) change.scope = text_member(body, "scope", false).value_or("");
        return json_response(200, user_json(data::accounts(ctx.store).change_user(caller(req), p.at("username"), change)));
    });

    r.add("DELETE", "/api/v1/users/{username}/sessions", access::manage_users, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        const std::string& username = p.at("username");
        const std::int64_t ended = data::accounts(ctx.store).sign_out_user(caller(req), username);
        return json_response(200, {{"username", username}, {"sessions_ended", ended}});
    });
}

void add_token_routes(router& r, const context& ctx) {
    r.add("GET", "/api/v1/tokens", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"username"});
        std::optional<std::string> username;
        if (const auto asked = req.query_value("username")) username = std::string(*asked);
        json tokens = json::array();
        for (const data::token_view& t : data::accounts(ctx.store).tokens_for(caller(req), username)) tokens.push_back(token_json(t));
        return json_response(200, json{{"tokens", std::move(tokens)}});
    });

    r.add("POST", "/api/v1/tokens", access::signed_in, [&ctx](const request& req, const path_params&) {
        allow_only(req, {});
        const json body = parse_json_object(req, json_types);
        only_members(body, {"name", "write", "scope"});
        const auto write = body.find("write");
        if (write != body.end() && !write->is_boolean()) throw bad_request("\"write\" must be true or false");
        const data::new_token made = data::accounts(ctx.store).create_token(caller(req), text_member(body, "name", false),
                                                                            write != body.end() && write->get<bool>(),
                                                                            text_member(body, "scope", false));
        json out = token_json(made.view);
        out["token"] = made.secret;
        return json_response(201, out);
    });

    r.add("DELETE", "/api/v1/tokens/{id}", access::signed_in, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {});
        data::accounts(ctx.store).revoke_token(caller(req), parse_token_id(p.at("id")));
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
