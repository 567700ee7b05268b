#pragma once
// The request rate per client address, in this server's memory (behind several servers,
// nginx's limit_req holds the rate across them: config/nginx/plotmap.conf; sign-in limits are
// rows in the database: data/users.hpp count_sign_in). Thread-safe; memory is bounded
// (buckets that have refilled are dropped when the table grows).

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace plotmap::server {

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
