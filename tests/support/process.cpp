#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace plotmap::test {

child_process::child_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                             const std::string& input) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    int in[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    if (input.size() > 65536) throw std::runtime_error("child_process input is larger than a pipe buffer");
    if (!input.empty() && ::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
        throw std::runtime_error("writing the child's input failed");
    }
    ::close(in[1]);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    for (const auto& e : extra_env) env_strings.push_back(e);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(in[0], STDIN_FILENO);
        ::dup2(fds[1], STDOUT_FILENO);
        ::dup2(fds[1], STDERR_FILENO);
        ::execve(args[0], args.data(), env.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    ::close(in[0]);
    out_fd_ = fds[0];
}

child_process::~child_process() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
}

bool child_process::read_some(std::chrono::milliseconds timeout) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[8192];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> child_process::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::size_t nl;
        while ((nl = output_.find('\n', scanned_)) != std::string::npos) {
            const std::string line = output_.substr(scanned_, nl - scanned_);
            scanned_ = nl + 1;
            if (line.find(needle) != std::string::npos) return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !read_some(left)) return std::nullopt;
    }
}

void child_process::drain(std::chrono::milliseconds timeout) {
    while (read_some(timeout)) {
    }
}

void child_process::send_signal(int sig) { ::kill(pid_, sig); }

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    if (exit_code_) return exit_code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            drain(std::chrono::milliseconds(50));
            return exit_code_;
        }
        read_some(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const std::vector<std::string>& extra_env, const std::string& input) {
    child_process child(argv, extra_env, input);
    command_result r;
    const auto code = child.wait(timeout);
    r.exit_code = code.value_or(-1);
    r.output = child.output();
    return r;
}

long resident_kib(int pid, bool anonymous_only) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    const std::string key = anonymous_only ? "RssAnon:" : "VmRSS:";
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
    }
    return -1;
}

std::string token_in(const std::string& output) {
    std::size_t start = 0;
    while (start < output.size()) {
        std::size_t end = output.find('\n', start);
        if (end == std::string::npos) end = output.size();
        const std::string_view line(output.data() + start, end - start);
        if (line.size() == 46 && line.starts_with("pm_")) return std::string(line);
        start = end + 1;
    }
    throw std::runtime_error("no token in: " + output);
}

} // namespace plotmap::test
