#pragma once
// RFC 9457 problem details: the one place where exceptions become HTTP responses.

#include "server/http.hpp"

#include <exception>
#include <string>

namespace plotmap::server {

/// An application/problem+json response.
[[nodiscard]] response problem(int status, const std::string& detail, const std::string& instance = {});

/// Maps the exception in flight to a problem response:
/// bad_request 400, not_found 404, method_not_allowed 405 (+Allow), conflict 409,
/// precondition_failed 412 (+ETag and current_version), unsupported_media_type 415,
/// invalid_geometry 422, precondition_required 428, busy 503 (+Retry-After), anything else
/// 500 with the request id (the detail is logged, not shown).
[[nodiscard]] response problem_for(std::exception_ptr error, const request& req);

/// The 500 problem quoting the request id, for the last line of defence: never throws (if
/// even that answer cannot be built, memory exhausted say, a bare 500).
[[nodiscard]] response internal_error(const request& req) noexcept;

} // namespace plotmap::server
