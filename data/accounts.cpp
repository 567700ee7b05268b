#include "data/accounts.hpp"

#include "data/database.hpp"
#include "data/store.hpp"
#include "geo/error.hpp"

namespace plotmap::data {
namespace {

/// Supervisors manage staff and viewers inside their own scope; admins manage everyone.
void require_manages(const principal& who, role r, const area_scope& scope, const std::string& what) {
    if (who.role == role::admin) return;
    if (r >= role::supervisor) throw forbidden("only an admin can " + what + " a " + std::string(role_name(r)));
    if (!scope_within(scope, who.scope)) throw forbidden("supervisors can " + what + " users only inside their own scope");
}

void require_admin(const principal& who) {
    if (who.role != role::admin) throw forbidden("this needs an admin; you are " + std::string(role_name(who.role)));
}

user_view view_in(connection& c, user u) {
    std::string name = describe_scope(c, u.scope);
    return {std::move(u), std::move(name)};
}

token_view view_in(connection& c, api_token t) {
    std::string name = describe_scope(c, t.scope);
    return {std::move(t), std::move(name)};
}

} // namespace

user_view accounts::view(const user& u) const {
    return store_.read([&](connection& c) { return view_in(c, u); });
}

std::string accounts::scope_name(const area_scope& scope) const {
    return store_.read([&](connection& c) { return describe_scope(c, scope); });
}

std::vector<user_view> accounts::users_for(const principal& who) const {
    return store_.read([&](connection& c) {
        std::vector<user_view> out;
        for (user& u : list_users(c, who.role == role::admin ? std::nullopt : who.scope)) {
            if (who.role == role::admin || u.role < role::supervisor) out.push_back(view_in(c, std::move(u)));
        }
        return out;
    });
}

user_view accounts::user_for(const principal& who, const std::string& username) const {
    return store_.read([&](connection& c) {
        user u = find_user(c, username);
        require_manages(who, u.role, u.scope, "see");
        return view_in(c, std::move(u));
    });
}

user_view accounts::create_user(const principal& who, new_user u, const std::optional<std::string>& scope) const {
    return store_.write([&](connection& c) {
        u.scope = parse_scope(c, scope.value_or(""));
        require_manages(who, u.role, u.scope, "create");
        return view_in(c, add_user(c, u, who.username));
    });
}

user_view accounts::change_user(const principal& who, const std::string& username, const user_change& change) const {
    return store_.write([&](connection& c) {
        transaction tx(c);
        const user u = find_user(c, username);
        require_manages(who, u.role, u.scope, "change");
        const role new_role = change.role ? parse_role(*change.role) : u.role;
        const area_scope new_scope = change.scope ? parse_scope(c, *change.scope) : u.scope;
        if (new_role != u.role || new_scope != u.scope) {
            require_manages(who, new_role, new_scope, "make");
            set_role(c, u.username, new_role, new_scope);
        }
        if (change.disabled && *change.disabled != u.disabled) {
            if (u.id == who.user_id) throw conflict("you cannot disable your own account");
            set_disabled(c, u.username, *change.disabled);
        }
        if (change.password) set_password(c, u.username, *change.password);
        user_view out = view_in(c, find_user(c, u.username));
        tx.commit();
        return out;
    });
}

std::int64_t accounts::sign_out_user(const principal& who, const std::string& username) const {
    return store_.write([&](connection& c) {
        const user u = find_user(c, username);
        require_manages(who, u.role, u.scope, "sign out");
        return static_cast<std::int64_t>(end_sessions(c, u.id));
    });
}

std::vector<token_view> accounts::tokens_for(const principal& who, const std::optional<std::string>& username) const {
    std::optional<std::string> whose = who.username;
    if (username) {
        if (*username != who.username) require_admin(who);
        whose = username;
    } else if (who.role == role::admin) {
        whose = std::nullopt; // admins see every token
    }
    return store_.read([&](connection& c) {
        std::vector<token_view> out;
        for (api_token& t : list_tokens(c, whose)) out.push_back(view_in(c, std::move(t)));
        return out;
    });
}

new_token accounts::create_token(const principal& who, const std::optional<std::string>& name, bool write,
                                 const std::optional<std::string>& scope) const {
    if (!who.via_session) throw forbidden("create API tokens from a signed-in session");
    return store_.write([&](connection& c) {
        const area_scope s = scope ? parse_scope(c, *scope) : who.scope;
        token_grant g = data::create_token(c, who.username, name, write, s);
        return new_token{view_in(c, std::move(g.info)), std::move(g.token)};
    });
}

void accounts::revoke_token(const principal& who, std::int64_t id) const {
    store_.write([&](connection& c) {
        const api_token t = find_token(c, id);
        if (t.username != who.username) require_admin(who);
        data::revoke_token(c, id);
    });
}

void accounts::end_session(const std::string& token) const {
    store_.write([&](connection& c) { data::end_session(c, token); });
}

user accounts::change_password(const principal& who, const std::string& current, const std::string& next,
                               const std::function<user(const std::string&, const std::string&)>& check) const {
    if (!who.via_session) throw forbidden("change your password from a signed-in session, not with an API token");
    user u = check(who.username, current);
    store_.write([&](connection& c) { set_password(c, who.username, next); });
    return u;
}

} // namespace plotmap::data
