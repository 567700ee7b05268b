#pragma once
// Plain HTTP request and response values. Only server/http_server.cpp sees Beast; routes
// and their tests work with these.

#include "data/users.hpp"
#include "geo/error.hpp"
#include "geo/text.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plotmap::server {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method;   ///< upper case, as sent
    std::string target;   ///< path and query, as sent
    std::string path;     ///< percent-decoded path without the query
    std::vector<std::pair<std::string, std::string>> query; ///< decoded, in order
    header_list headers;  ///< names lower-cased
    std::string body;
    /// When the route streams its body to disk (photo uploads): the file holding it, deleted
    /// after the response. `body` is then empty.
    std::string body_file;
    std::string remote;   ///< client address
    std::string request_id;
    std::optional<data::principal> who;    ///< the signed-in caller (server/access.hpp), if any
    bool admitted = false; ///< app::admit has run: route, rate and credentials are decided
    std::optional<std::string> url_token;  ///< a ?token= API token, to carry into URLs we hand out

    /// First header with this (case-insensitive) name.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
    /// First query parameter with this name.
    [[nodiscard]] std::optional<std::string_view> query_value(std::string_view name) const;
};

/// A status a fast-path handler returns when the request needs the full, blocking path.
inline constexpr int not_handled = 0;

struct response {
    int status = 200;
    header_list headers;
    std::string body;
    std::string route; ///< the route pattern that answered, for metrics ("" if none)
    /// When set, the body is this file, sent from disk in pieces (large exports) instead of
    /// `body`; `remove_after` (the file or its folder) is deleted once it has been sent.
    std::string body_file;
    std::string remove_after;
    /// With body_file: send only `body_length` bytes from `body_offset` (a 206 range).
    std::uint64_t body_offset = 0;
    std::optional<std::uint64_t> body_length;

    /// Replaces a header (names compared case-insensitively).
    response& set(std::string name, std::string value);
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// What the request line and header decide before any body is read.
struct admission {
    std::optional<response> refusal; ///< the answer if the request may not go on (its body is never read)
    std::size_t body_limit = 0;      ///< otherwise the largest body the route accepts
    /// When set, the body is streamed into a new file in this folder (request::body_file)
    /// instead of memory.
    std::string body_dir;
};

/// Serves a file (already set as res.body_file, with its ETag set) honouring RFC 9110
/// range requests: one `Range: bytes=` range becomes 206 with Content-Range (several, or
/// an If-Range that does not match the ETag, get the whole file); a range that starts past
/// the end is 416 with `Content-Range: bytes */size`. Sets Accept-Ranges.
void apply_range(const request& req, response& res, std::uint64_t file_size);

/// Splits a request target into a decoded path and query parameters.
/// @throws bad_request on a malformed percent escape or a target that is not origin-form.
void parse_target(request& req);

/// @throws bad_request naming the first query parameter not in `names`.
void allow_only(const request& req, std::initializer_list<std::string_view> names);

/// A response with a body and a content type.
[[nodiscard]] response make_response(int status, std::string content_type, std::string body);

/// What a reverse proxy says the client asked for: `key` ("proto", "host" or "for") of the
/// first element of RFC 7239 `Forwarded`, else the first item of `X-Forwarded-<Key>`. Quotes
/// are removed and `for` loses IPv6 brackets. Believe it only with server.trust_proxy.
[[nodiscard]] std::optional<std::string> forwarded(const request& req, std::string_view key);

/// `s` without leading and trailing spaces and tabs.
[[nodiscard]] std::string_view trim(std::string_view s);

using geo::ascii_lower;

/// Whether the client takes gzip (Accept-Encoding names it, without q=0).
[[nodiscard]] bool accepts_gzip(const request& req);

/// The reason phrase of a status code ("Not Found").
[[nodiscard]] std::string_view reason_phrase(int status);

} // namespace plotmap::server
