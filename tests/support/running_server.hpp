#pragma once
// `plotmap serve` as a child process on a free loopback port (127.0.0.1:0), for end-to-end
// tests: starts it, waits for the "listening on" line and reads the port from it.

#include "process.hpp"

#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace plotmap::test {

struct running_server {
    explicit running_server(const std::string& db, const std::vector<std::string>& env = {})
        : process({PLOTMAP_BINARY, "serve", "--db", db, "--listen", "127.0.0.1:0"}, env) {
        const auto line = process.wait_for_line("listening on http://127.0.0.1:", std::chrono::seconds(30));
        if (!line) throw std::runtime_error("server did not start: " + process.output());
        std::smatch m;
        std::regex_search(*line, m, std::regex(R"(127\.0\.0\.1:(\d+))"));
        port = static_cast<unsigned short>(std::stoi(m[1]));
    }
    child_process process;
    unsigned short port = 0;
};

} // namespace plotmap::test
