#include "server/http.hpp"

#include <algorithm>
#include <cstdlib>

#include "geo/error.hpp"
#include "geo/text.hpp"
#include "server/problem.hpp"

namespace plotmap::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) throw bad_request("malformed percent-encoding in the request target");
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (plus_is_space && s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

} // namespace

bool accepts_gzip(const request& req) {
    const std::string ae = ascii_lower(req.header("accept-encoding").value_or(""));
    const auto at = ae.find("gzip");
    if (at == std::string::npos) return false;
    const auto end = ae.find(',', at);
    const std::string params = ae.substr(at, end == std::string::npos ? std::string::npos : end - at);
    const auto q = params.find("q=");
    return q == std::string::npos || std::atof(params.c_str() + q + 2) > 0.0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<std::string> forwarded(const request& req, std::string_view key) {
    std::optional<std::string> value;
    if (const auto header = req.header("forwarded")) {
        std::string_view element = header->substr(0, header->find(','));
        while (!element.empty()) {
            const auto semi = element.find(';');
            const std::string_view pair = trim(element.substr(0, semi));
            element = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos || ascii_lower(trim(pair.substr(0, eq))) != key) continue;
            std::string_view v = trim(pair.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            value = std::string(v);
            break;
        }
    }
    if (!value) {
        if (const auto header = req.header("x-forwarded-" + std::string(key))) {
            value = std::string(trim(header->substr(0, header->find(','))));
        }
    }
    if (value && key == "for" && value->size() > 2 && value->front() == '[') {
        const auto close = value->find(']');
        if (close != std::string::npos) value = value->substr(1, close - 1);
    }
    if (value && value->empty()) value.reset();
    return value;
}

std::optional<std::string_view> request::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return v;
    }
    return std::nullopt;
}

std::optional<std::string_view> request::query_value(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) return v;
    }
    return std::nullopt;
}

response& response::set(std::string name, std::string value) {
    for (auto& [k, v] : headers) {
        if (iequals(k, name)) {
            v = std::move(value);
            return *this;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

std::optional<std::string_view> response::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return v;
    }
    return std::nullopt;
}

void parse_target(request& req) {
    const std::string_view target = req.target;
    if (target.empty() || target.front() != '/') throw bad_request("the request target must be a path starting with '/'");
    const auto q = target.find('?');
    req.path = percent_decode(target.substr(0, q), false);
    if (!geo::is_valid_utf8(req.path)) throw bad_request("the request path is not UTF-8 text once percent-decoded");
    if (req.path.find('\0') != std::string::npos) throw bad_request("the request path contains a NUL byte (%00)");
    req.query.clear();
    if (q == std::string_view::npos) return;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            auto& [name, value] = req.query.emplace_back(
                percent_decode(pair.substr(0, eq), true), eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true));
            if (!geo::is_valid_utf8(name) || !geo::is_valid_utf8(value)) {
                throw bad_request("query parameter \"" + geo::utf8_prefix(name, 40) + "\" is not UTF-8 text once percent-decoded");
            }
            if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
                throw bad_request("query parameter \"" + geo::utf8_prefix(name, 40) + "\" contains a NUL byte (%00)");
            }
        }
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
}

void allow_only(const request& req, std::initializer_list<std::string_view> names) {
    for (const auto& [key, value] : req.query) {
        if (std::find(names.begin(), names.end(), key) == names.end()) {
            throw bad_request("unknown query parameter \"" + geo::utf8_prefix(key, 40) + "\"");
        }
    }
}

response make_response(int status, std::string content_type, std::string body) {
    response r;
    r.status = status;
    r.set("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
}

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

} // namespace plotmap::server

namespace plotmap::server {

void apply_range(const request& req, response& res, std::uint64_t file_size) {
    res.set("Accept-Ranges", "bytes");
    const auto range = req.header("range");
    if (!range || (req.method != "GET" && req.method != "HEAD")) return;
    if (const auto if_range = req.header("if-range")) {
        // Only a strong ETag match lets the range through (a date is never strong enough here).
        const auto tag = res.header("etag");
        if (!tag || *if_range != *tag || if_range->starts_with("W/")) return;
    }
    std::string_view spec = trim(*range);
    if (!spec.starts_with("bytes=")) return; // another unit: ignored, the whole file is sent
    spec.remove_prefix(6);
    if (spec.find(',') != std::string_view::npos) return; // several ranges: the whole file instead
    spec = trim(spec);
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return;
    const auto number = [](std::string_view digits, std::uint64_t& out) {
        if (digits.empty() || digits.size() > 18) return false;
        out = 0;
        for (const char c : digits) {
            if (c < '0' || c > '9') return false;
            out = out * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return true;
    };
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    const std::string_view a = spec.substr(0, dash);
    const std::string_view b = spec.substr(dash + 1);
    if (a.empty()) { // suffix: the last N bytes
        std::uint64_t n = 0;
        if (!number(b, n)) return;
        if (n == 0 || file_size == 0) {
            res = problem(416, "the range asks for no bytes of a " + std::to_string(file_size) + "-byte file");
            res.set("Content-Range", "bytes */" + std::to_string(file_size));
            return;
        }
        first = n >= file_size ? 0 : file_size - n;
        last = file_size - 1;
    } else {
        if (!number(a, first)) return;
        if (b.empty()) {
            last = file_size == 0 ? 0 : file_size - 1;
        } else if (!number(b, last) || last < first) {
            return; // invalid: ignored (RFC 9110 §14.2)
        }
        if (first >= file_size) {
            const std::string etag(res.header("etag").value_or(""));
            res = problem(416, "the range starts at byte " + std::to_string(first) + " of a " + std::to_string(file_size) + "-byte file");
            res.set("Content-Range", "bytes */" + std::to_string(file_size));
            if (!etag.empty()) res.set("ETag", etag);
            return;
        }
        last = std::min(last, file_size - 1);
    }
    res.status = 206;
    res.body_offset = first;
    res.body_length = last - first + 1;
    res.set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(file_size));
}

} // namespace plotmap::server
