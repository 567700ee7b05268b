#include "server/json_body.hpp"

#include "geo/error.hpp"

namespace plotmap::server {
namespace {

/// Deepest bracket nesting outside strings; stops counting past the limit.
int nesting_depth(std::string_view text) {
    int depth = 0;
    int deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > max_json_depth) break;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

std::string media_type_of(const request& req) {
    std::string type = ascii_lower(req.header("content-type").value_or(""));
    if (const auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
    while (!type.empty() && type.back() == ' ') type.pop_back();
    return type;
}

} // namespace

nlohmann::json parse_json_object(const request& req, std::span<const std::string_view> media_types) {
    const std::string type = media_type_of(req);
    if (std::find(media_types.begin(), media_types.end(), type) == media_types.end()) {
        std::string allowed;
        for (const auto t : media_types) allowed += (allowed.empty() ? "" : ", ") + std::string(t);
        throw unsupported_media_type("Content-Type " + (type.empty() ? std::string("(none)") : "\"" + type + "\"") +
                                     " is not accepted here; send " + allowed);
    }
    if (req.body.empty()) throw bad_request("the request body is empty; send a JSON object");
    if (nesting_depth(req.body) > max_json_depth) {
        throw bad_request("the request body nests deeper than " + std::to_string(max_json_depth) + " levels");
    }
    nlohmann::json body;
    try {
        body = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::exception& e) { // parse_error, and out_of_range for 1e999
        std::string what = e.what();
        if (const auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos) {
            what = what.substr(close + 2);
        }
        throw bad_request("the request body is not valid JSON: " + what);
    }
    if (!body.is_object()) throw bad_request("the request body must be a JSON object");
    return body;
}

} // namespace plotmap::server
