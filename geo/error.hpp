#pragma once
// The project's exception hierarchy. It lives at the bottom layer so that every library can
// throw these; server/problem.cpp is the single place that maps them to HTTP statuses and
// app/main.cpp the single place that maps them to exit codes.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace plotmap {

/// Base of every error plotmap throws on purpose. The message is shown to the user.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A request or argument is malformed (HTTP 400, CLI usage error).
class bad_request : public error {
public:
    using error::error;
};

/// The thing asked for does not exist (HTTP 404).
class not_found : public error {
public:
    using error::error;
};

/// A geometry is syntactically fine but geometrically unacceptable (HTTP 422).
class invalid_geometry : public error {
public:
    using error::error;
};

/// Content of an acceptable type that cannot be processed: a truncated image, one that
/// would decode to more pixels than allowed (HTTP 422).
class unprocessable : public error {
public:
    using error::error;
};

/// The body's media type, or a file's actual content type, is not one accepted (HTTP 415).
class unsupported_media_type : public error {
public:
    using error::error;
};

/// The request conflicts with the current state (HTTP 409).
class conflict : public error {
public:
    using error::error;
};

/// A step the resource's current state does not allow (HTTP 409, with the steps it does).
class not_allowed_now : public conflict {
public:
    not_allowed_now(const std::string& what, std::vector<std::string> allowed_steps)
        : conflict(what), allowed(std::move(allowed_steps)) {}
    std::vector<std::string> allowed;
};

/// The client's If-Match version is not the current one (HTTP 412). Carries the current
/// version so the client can fetch it and merge.
class precondition_failed : public error {
public:
    precondition_failed(const std::string& what, long long current) : error(what), current_version(current) {}
    long long current_version;
};

/// A write needs a precondition the client did not send (HTTP 428).
class precondition_required : public error {
public:
    using error::error;
};

/// A resource is temporarily exhausted; the client should retry later (HTTP 503).
class busy : public error {
public:
    explicit busy(const std::string& what, int retry_after_s = 1)
        : error(what), retry_after_seconds(retry_after_s) {}
    int retry_after_seconds;
};

/// The request needs credentials it did not carry, or carried ones that are not valid
/// (HTTP 401).
class unauthorized : public error {
public:
    using error::error;
};

/// The caller is known but may not do this: role, scope, read-only token, CSRF (HTTP 403).
class forbidden : public error {
public:
    using error::error;
};

/// The caller sent too many requests (or failed sign-ins) and must wait (HTTP 429).
class too_many_requests : public error {
public:
    explicit too_many_requests(const std::string& what, int retry_after_s)
        : error(what), retry_after_seconds(retry_after_s) {}
    int retry_after_seconds;
};

/// A request body is larger than its route accepts (HTTP 413).
class payload_too_large : public error {
public:
    using error::error;
};

/// A configuration value is missing or wrong; the message names the file and key.
class config_error : public error {
public:
    using error::error;
};

/// The database is not usable as it is (wrong schema version, not a plotmap file...).
class store_error : public error {
public:
    using error::error;
};

} // namespace plotmap
