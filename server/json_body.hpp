#pragma once
// Reading JSON request bodies safely: media type checked, nesting depth bounded before the
// parser recurses, syntax errors reported with line and column.

#include "server/http.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string_view>

namespace plotmap::server {

/// The deepest nesting accepted in a request body (a MultiPolygon needs 5).
inline constexpr int max_json_depth = 32;

/// Parses the body as a JSON object.
/// @throws unsupported_media_type unless Content-Type is one of `media_types`,
///         bad_request for an empty body, broken JSON (with line and column), nesting deeper
///         than max_json_depth, or a value that is not an object.
[[nodiscard]] nlohmann::json parse_json_object(const request& req, std::span<const std::string_view> media_types);

} // namespace plotmap::server
