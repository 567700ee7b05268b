#include "server/api.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"

#include <charconv>

namespace plotmap::server {

std::int64_t path_id(const path_params& params, const char* name, const char* what) {
    const std::string& text = params.at(name);
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
        throw bad_request(std::string(what) + " must be a positive whole number, got \"" + geo::utf8_prefix(text, 32) + "\"");
    }
    return id;
}

std::string version_etag(std::int64_t version) {
    std::string tag = "\"";
    tag += std::to_string(version);
    tag += '"';
    return tag;
}

std::optional<std::int64_t> if_match(const request& req) {
    const auto h = req.header("if-match");
    if (!h || *h == "*") return std::nullopt;
    std::string_view v = *h;
    if (v.size() >= 3 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
        std::int64_t version = 0;
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
        if (ec == std::errc{} && end == v.data() + v.size() && version > 0) return version;
    }
    throw bad_request("If-Match must be one plot version as a strong ETag, like \"3\"; got " + geo::utf8_prefix(*h, 40));
}

std::int64_t required_if_match(const request& req) {
    if (!req.header("if-match")) {
        throw precondition_required("send If-Match with the version you edited (the ETag of your last GET, like \"3\") so "
                                    "that concurrent edits are never silently overwritten");
    }
    const auto v = if_match(req);
    if (!v) throw bad_request("If-Match: * is not accepted for edits; name the version you edited");
    return *v;
}

bool query_flag(const request& req, const char* name) {
    const auto v = req.query_value(name);
    if (!v) return false;
    if (*v == "true" || *v == "1" || v->empty()) return true;
    if (*v == "false" || *v == "0") return false;
    throw bad_request(std::string("query parameter ") + name + " must be true or false");
}

response json_response(int status, const nlohmann::json& body, std::optional<std::int64_t> version) {
    response r = make_response(status, "application/json", geo::json_text(body));
    if (version) r.set("ETag", version_etag(*version));
    r.set("Cache-Control", "no-cache");
    return r;
}

} // namespace plotmap::server
