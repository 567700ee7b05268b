#pragma once
// Helpers of the app API under /api/v1 shared by its route files: ids in paths, versions as
// ETags and If-Match, JSON answers.

#include "server/http.hpp"
#include "server/router.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

namespace plotmap::server {

/// The positive whole number in path parameter `name`. @throws bad_request naming `what`.
[[nodiscard]] std::int64_t path_id(const path_params& params, const char* name = "id", const char* what = "plot id");

/// A version as a strong ETag: "3".
[[nodiscard]] std::string version_etag(std::int64_t version);

/// The version named by If-Match ("3", strong); nullopt for "*" or no header.
/// @throws bad_request for anything else.
[[nodiscard]] std::optional<std::int64_t> if_match(const request& req);

/// If-Match naming one version, required for edits.
/// @throws precondition_required without it, bad_request for "*" or a malformed one.
[[nodiscard]] std::int64_t required_if_match(const request& req);

/// JSON with Cache-Control: no-cache, and the version as ETag when given.
[[nodiscard]] response json_response(int status, const nlohmann::json& body, std::optional<std::int64_t> version = std::nullopt);

/// ?name=true|false|1|0 (present without a value: true; absent: false).
/// @throws bad_request otherwise.
[[nodiscard]] bool query_flag(const request& req, const char* name);

} // namespace plotmap::server
