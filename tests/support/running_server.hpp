#pragma once
// `plotmap serve` as a child process on a free loopback port (127.0.0.1:0), for end-to-end
// tests: starts it, waits for the "listening on" line and reads the port from it.

#include "fixture_db.hpp"
#include "process.hpp"

#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

namespace plotmap::test {

struct running_server {
    explicit running_server(const std::string& db, const std::vector<std::string>& env = {})
        : process({PLOTMAP_BINARY, "serve", "--db", db, "--listen", "127.0.0.1:0"}, with_photo_dir(db, env)) {
        const auto line = process.wait_for_line("listening on http://127.0.0.1:", std::chrono::seconds(30));
        if (!line) throw std::runtime_error("server did not start: " + process.output());
        std::smatch m;
        std::regex_search(*line, m, std::regex(R"(127\.0\.0\.1:(\d+))"));
        port = static_cast<unsigned short>(std::stoi(m[1]));
    }
    /// A PostgreSQL database's photos go to test::photo_folder(db) (an SQLite file's beside
    /// the file, the server's default), unless the test chose a folder.
    static std::vector<std::string> with_photo_dir(const std::string& db, std::vector<std::string> env) {
        if (db.starts_with("postgresql://")) {
            bool chosen = false;
            for (const std::string& e : env) chosen = chosen || e.starts_with("PLOTMAP_PHOTOS_DIR=");
            if (!chosen) env.push_back("PLOTMAP_PHOTOS_DIR=" + photo_folder(db));
        }
        return env;
    }

    child_process process;
    unsigned short port = 0;
};

/// Runs the plotmap binary with `args` (and `input` on its standard input) to completion.
inline command_result plotmap_cli(const std::vector<std::string>& args, const std::string& input = {}) {
    std::vector<std::string> argv{PLOTMAP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, std::chrono::minutes(5), {}, input);
}

} // namespace plotmap::test
