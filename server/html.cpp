#include "server/html.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"

namespace plotmap::server {

std::string wanted_format(const request& req, const char* fallback) {
    if (const auto f = req.query_value("f")) {
        if (*f == "json" || *f == "geojson") return "json";
        if (*f == "html") return "html";
        throw bad_request("unknown format f=" + geo::utf8_prefix(*f, 20) + "; use f=json or f=html");
    }
    const std::string accept = ascii_lower(req.header("accept").value_or(""));
    const auto html_at = accept.find("text/html");
    const auto json_at = std::min(accept.find("application/json"), accept.find("application/geo+json"));
    if (html_at == std::string::npos && json_at == std::string::npos) return fallback;
    return html_at < json_at ? "html" : "json";
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

std::string html_page(std::string_view title, std::string_view body, std::string_view json_href) {
    std::string page = R"(<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)" + html_escape(title) + R"( · plotmap</title>
<link rel="icon" href="data:,">
)";
    if (!json_href.empty()) page += "<link rel=\"alternate\" type=\"application/json\" href=\"" + html_escape(json_href) + "\">\n";
    page += R"(<style>
body{font-family:system-ui,"Noto Sans Thai",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1f2a1f}
h1{margin-bottom:0}.sub{color:#556b55;margin-top:0}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}
dt{font-weight:600}a{color:#2e6b30}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;border-bottom:1px solid #dde3dd;padding:.25rem .4rem;vertical-align:top}.wrap{overflow-x:auto}
</style>
</head>
<body>
)";
    page += body;
    page += "\n</body>\n</html>\n";
    return page;
}

} // namespace plotmap::server
