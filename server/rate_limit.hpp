#pragma once
// In-memory request limits keyed by client address or username. Thread-safe; memory is
// bounded (expired keys are dropped when the table grows).

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace plotmap::server {

/// Counts events per key in fixed windows: at most `limit` per `window`.
class window_counter {
public:
    using clock = std::chrono::steady_clock;

    window_counter(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}

    /// Seconds until `key` may try again, or 0 if it is under the limit now.
    [[nodiscard]] int retry_after(const std::string& key, clock::time_point now = clock::now());
    /// Counts one event for `key`.
    void add(const std::string& key, clock::time_point now = clock::now());
    /// Forgets `key` (a successful sign-in clears its failures).
    void clear(const std::string& key);

private:
    struct slot {
        clock::time_point start;
        int count = 0;
    };
    void prune(clock::time_point now);

    int limit_;
    std::chrono::seconds window_;
    std::mutex mutex_;
    std::unordered_map<std::string, slot> slots_;
};

/// A token bucket per key: `rate` requests per second on average, `burst` at once.
class token_buckets {
public:
    using clock = std::chrono::steady_clock;

    token_buckets(double rate, double burst) : rate_(rate), burst_(burst) {}

    /// Takes one token for `key`: 0 if allowed, else whole seconds until one is available.
    [[nodiscard]] int take(const std::string& key, clock::time_point now = clock::now());

private:
    struct bucket {
        double tokens;
        clock::time_point at;
    };
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace plotmap::server
