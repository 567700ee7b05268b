#include "server/rate_limit.hpp"

#include <cmath>

namespace plotmap::server {
namespace {

constexpr std::size_t prune_above = 100000;

} // namespace

int token_buckets::take(const std::string& key, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    if (buckets_.size() > prune_above) {
        // A bucket idle long enough to have refilled is the same as no bucket.
        std::erase_if(buckets_, [&](const auto& kv) {
            return std::chrono::duration<double>(now - kv.second.at).count() * rate_ >= burst_;
        });
    }
    auto [it, fresh] = buckets_.try_emplace(key, bucket{burst_, now});
    bucket& b = it->second;
    if (!fresh) {
        b.tokens = std::min(burst_, b.tokens + std::chrono::duration<double>(now - b.at).count() * rate_);
        b.at = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return 0;
    }
    return static_cast<int>(std::ceil((1.0 - b.tokens) / rate_));
}

} // namespace plotmap::server
