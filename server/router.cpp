#include "server/router.hpp"

#include <cassert>

namespace plotmap::server {
namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

bool is_capture(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

} // namespace

void router::add(const std::string& method, const std::string& pattern, access who, handler h, body_size body) {
    assert(!pattern.empty() && pattern.front() == '/');
    routes_.push_back({method, pattern, split_path(pattern), who, std::move(h), body});
}

router::match router::find(const std::string& method, const std::string& path) const {
    const std::vector<std::string> segments = split_path(path);
    const std::string wanted = method == "HEAD" ? "GET" : method;
    std::string allow;
    for (const route& r : routes_) {
        if (r.segments.size() != segments.size()) continue;
        path_params params;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            if (is_capture(r.segments[i])) {
                ok = !segments[i].empty();
                if (ok) params.emplace(r.segments[i].substr(1, r.segments[i].size() - 2), segments[i]);
            } else {
                ok = r.segments[i] == segments[i];
            }
        }
        if (!ok) continue;
        if (r.method == wanted) return {&r.target, std::move(params), r.pattern, r.who, r.body};
        if (allow.find(r.method) == std::string::npos) {
            allow += (allow.empty() ? "" : ", ") + r.method;
            if (r.method == "GET") allow += ", HEAD";
        }
    }
    if (!allow.empty()) throw method_not_allowed("method " + method + " is not allowed on " + path, allow);
    throw not_found("no resource at " + path);
}

} // namespace plotmap::server
