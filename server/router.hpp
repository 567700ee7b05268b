#pragma once
// Maps (method, path) to a handler. Patterns are literal segments and {name} captures,
// e.g. "/collections/{id}/items". Unknown paths are 404; known paths with another method
// are 405 with the Allow header; HEAD is answered by the GET handler.

#include "geo/error.hpp"
#include "server/http.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace plotmap::server {

using path_params = std::map<std::string, std::string, std::less<>>;

/// Who may call a route; every route names one, and app::handle enforces it before the
/// handler runs (server/access.hpp). Handlers then check scope on the data they touch.
enum class access {
    open,         ///< anyone: health, sign-in, the web pages' files, fonts
    read,         ///< public data: anyone when auth.anonymous = "public", else a signed-in user or token
    signed_in,    ///< any signed-in user or token (their own session, tokens, history)
    edit,         ///< staff and above, with a write-capable credential
    manage_users, ///< supervisors (their scope) and admins
};
/// How large a body a route reads; app maps these to sizes (small: 16 KiB; document:
/// server.body_limit_bytes; upload: server.upload_limit_bytes; photo: photos.max_bytes plus
/// the multipart framing, streamed to a file in the photos folder rather than memory).
enum class body_size { small, document, upload, photo };

using handler = std::function<response(const request&, const path_params&)>;

/// The path exists but not for this method (HTTP 405).
class method_not_allowed : public error {
public:
    method_not_allowed(const std::string& what, std::string allow_list) : error(what), allow(std::move(allow_list)) {}
    std::string allow; ///< value of the Allow header
};

class router {
public:
    /// Registers `h` for `method` on `pattern`, callable by `who`, reading bodies up to `body`.
    /// @pre pattern starts with '/'.
    void add(const std::string& method, const std::string& pattern, access who, handler h, body_size body = body_size::small);

    struct match {
        const handler* target;
        path_params params;
        std::string pattern;
        access who;
        body_size body;
    };

    /// @throws not_found if no pattern matches the path,
    ///         method_not_allowed if patterns match but none for this method.
    [[nodiscard]] match find(const std::string& method, const std::string& path) const;

private:
    struct route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        access who;
        handler target;
        body_size body;
    };
    std::vector<route> routes_;
};

} // namespace plotmap::server
