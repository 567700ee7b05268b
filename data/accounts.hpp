#pragma once
// Accounts (docs/security.md): the rules of who may see, make, change and sign out which
// users, and whose API tokens they may see, make and revoke, over the store. The routes
// (server/routes/accounts.cpp) parse requests and shape answers; every rule is here, each
// change in one transaction.

#include "data/users.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plotmap::data {

class store;

/// A user as the API shows it: with its scope's name ("6401 (เมืองเชียงใหม่)").
struct user_view {
    data::user user;
    std::string scope_name;
};

/// A token as the API shows it.
struct token_view {
    api_token token;
    std::string scope_name;
};

/// What a change to a user asks for; members left empty stay as they are.
struct user_change {
    std::optional<std::string> role;
    std::optional<std::string> scope; ///< as typed: "64", "6401", "" for the whole country
    std::optional<bool> disabled;
    std::optional<std::string> password;
};

/// A new API token: its secret (shown once) and how it is listed.
struct new_token {
    token_view view;
    std::string secret;
};

class accounts {
public:
    explicit accounts(store& s) noexcept : store_(s) {}

    /// The user as shown (no rule: the caller's own account).
    [[nodiscard]] user_view view(const user& u) const;
    /// The scope's name, for the caller's own session.
    [[nodiscard]] std::string scope_name(const area_scope& scope) const;

    /// The users `who` manages: admins see everyone, supervisors the staff and viewers whose
    /// scope lies within theirs.
    [[nodiscard]] std::vector<user_view> users_for(const principal& who) const;
    /// @throws not_found, forbidden (a user `who` does not manage).
    [[nodiscard]] user_view user_for(const principal& who, const std::string& username) const;
    /// @throws forbidden (a role or scope beyond `who`'s to give), bad_request, conflict.
    user_view create_user(const principal& who, new_user u, const std::optional<std::string>& scope) const;
    /// Role, scope, enabled and password in one transaction; a new role or scope must again be
    /// one `who` may give. @throws forbidden, conflict (disabling oneself), bad_request.
    user_view change_user(const principal& who, const std::string& username, const user_change& change) const;
    /// Ends every session of a user `who` manages. @returns how many were live.
    std::int64_t sign_out_user(const principal& who, const std::string& username) const;

    /// Tokens `who` may see: their own; an admin every token, or one user's.
    /// @throws forbidden when a non-admin asks for another user's.
    [[nodiscard]] std::vector<token_view> tokens_for(const principal& who, const std::optional<std::string>& username) const;
    /// A token for `who` (at most their own scope and rights), made from a signed-in session
    /// only: a leaked token must not mint more. @throws forbidden, bad_request, conflict.
    new_token create_token(const principal& who, const std::optional<std::string>& name, bool write,
                           const std::optional<std::string>& scope) const;
    /// Revokes one of `who`'s tokens, or anyone's for an admin. @throws not_found, forbidden.
    void revoke_token(const principal& who, std::int64_t id) const;

    /// Ends one session (sign-out).
    void end_session(const std::string& token) const;
    /// A new password for `who`, from a signed-in session only, once `check` (a sign-in's
    /// password check, with its limits) has accepted the current one: a stolen session
    /// cannot guess it. Every session of the user ends. @returns the user.
    /// @throws forbidden (an API token), bad_request (the new one's length), what `check` throws.
    user change_password(const principal& who, const std::string& current, const std::string& next,
                         const std::function<user(const std::string& username, const std::string& password)>& check) const;

private:
    store& store_;
};

} // namespace plotmap::data
