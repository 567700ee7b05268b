#pragma once
// Runs the real plotmap binary (or another program) as a child process for end-to-end
// tests. Output (stdout and stderr together) is read through a pipe with timeouts; the
// destructor kills a child that is still running.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::test {

class child_process {
public:
    /// Starts argv[0] with the given arguments and extra NAME=VALUE environment entries;
    /// `input` (at most a pipe buffer, 64 KiB) is its standard input, else /dev/null.
    explicit child_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                           const std::string& input = {});
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Reads until a line containing `needle` appears; returns that line, or nullopt on
    /// timeout or end of output.
    std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);
    /// Everything read so far.
    [[nodiscard]] const std::string& output() const noexcept { return output_; }
    /// Reads whatever is available within `timeout`.
    void drain(std::chrono::milliseconds timeout);

    void send_signal(int sig);
    /// Waits for exit; returns the exit code (128+signal if killed), or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    [[nodiscard]] int pid() const noexcept { return pid_; }

private:
    bool read_some(std::chrono::milliseconds timeout);
    int pid_ = -1;
    int out_fd_ = -1;
    std::string output_;
    std::size_t scanned_ = 0;
    std::optional<int> exit_code_;
};

struct command_result {
    int exit_code = -1;
    std::string output;
};

/// Resident memory of process `pid` in KiB from /proc, or -1 if it cannot be read: all of it
/// (VmRSS), or only its anonymous part (RssAnon: heap and stacks, without mapped files such
/// as SQLite's memory-mapped database pages, which the kernel can drop at any time).
[[nodiscard]] long resident_kib(int pid, bool anonymous_only = false);

/// Runs a command to completion (bounded by `timeout`) and returns its exit code and output.
command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = std::chrono::minutes(5),
                           const std::vector<std::string>& extra_env = {}, const std::string& input = {});

/// The API token `plotmap token create` printed: the output line that is one whole token
/// ("pm_" and 43 base64url characters; the random part may itself hold "pm_"). Throws when
/// there is none.
[[nodiscard]] std::string token_in(const std::string& output);

} // namespace plotmap::test
