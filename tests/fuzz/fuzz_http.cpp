// libFuzzer target: the whole HTTP request path without sockets. app::admit and app::handle
// on an arbitrary method, target, headers and body, over a real demo database, as an
// anonymous caller or (input starting with '!') as an admin with an API token.
//
// Input: "METHOD TARGET\n" then "name: value\n" header lines, an empty line, the body.
// Every answer must be a well-formed status with valid UTF-8 JSON for problem bodies;
// anything else (a crash, a sanitizer report, an escaping exception) is a finding.

#include "app_stack.hpp"
#include "fixture_db.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

using namespace plotmap;

namespace {

config::settings fuzz_settings() {
    config::settings s;
    s.server.requests_per_s = 0;
    s.auth.login_attempts_per_address = 1000000;
    s.auth.login_attempts_per_user = 1000000;
    s.tiles.cache_bytes = 1 << 20;
    return s;
}

struct service {
    test::temp_dir dir;
    test::app_stack stack{test::demo_database(dir, 60), fuzz_settings()};
};

service& the_service() {
    static service s;
    return s;
}

server::request request_from(std::string_view in) {
    server::request req;
    req.request_id = "fuzz";
    req.remote = "127.0.0.1";
    if (!in.empty() && in.front() == '!') {
        in.remove_prefix(1);
        req.headers.emplace_back("authorization", "Bearer " + test::admin_credentials().token);
    }
    const auto line_end = in.find('\n');
    const std::string_view line = in.substr(0, line_end);
    const auto space = line.find(' ');
    req.method = std::string(line.substr(0, space));
    req.target = space == std::string_view::npos ? "/" : std::string(line.substr(space + 1));
    in = line_end == std::string_view::npos ? std::string_view{} : in.substr(line_end + 1);
    while (!in.empty()) {
        const auto end = in.find('\n');
        const std::string_view header = in.substr(0, end);
        in = end == std::string_view::npos ? std::string_view{} : in.substr(end + 1);
        if (header.empty()) break;
        const auto colon = header.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view value = header.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        req.headers.emplace_back(geo::ascii_lower(header.substr(0, colon)), std::string(value));
    }
    req.body = std::string(in);
    return req;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)the_service();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    service& s = the_service();
    server::request req = request_from(std::string_view(reinterpret_cast<const char*>(data), size));
    const server::response res = s.stack.application->handle(req);
    if (res.status < 100 || res.status > 599) std::abort();
    const auto type = res.header("Content-Type");
    if (type && *type == "application/problem+json" && !nlohmann::json::accept(res.body)) std::abort();
    if (!res.remove_after.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(res.remove_after, ignored);
    }
    return 0;
}
