#pragma once
// The small HTML pages people get when they open an API URL in a browser: one page shell,
// escaping, and the choice between HTML and JSON.

#include "server/http.hpp"

#include <string>
#include <string_view>

namespace plotmap::server {

/// "json" or "html" from ?f= (json, geojson or html), else the Accept header (whichever of
/// text/html and JSON comes first), else `fallback`. @throws bad_request for another f.
[[nodiscard]] std::string wanted_format(const request& req, const char* fallback = "json");

/// Text safe inside HTML elements and attribute values.
[[nodiscard]] std::string html_escape(std::string_view text);

/// A complete page: Thai-first, readable on a phone; `body` is already HTML.
[[nodiscard]] std::string html_page(std::string_view title, std::string_view body, std::string_view json_href = {});

} // namespace plotmap::server
