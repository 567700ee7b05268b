#include "server/rate_limit.hpp"

#include <cmath>

namespace plotmap::server {
namespace {

constexpr std::size_t prune_above = 100000;

} // namespace

int window_counter::retry_after(const std::string& key, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto it = slots_.find(key);
    if (it == slots_.end() || now - it->second.start >= window_ || it->second.count < limit_) return 0;
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(it->second.start + window_ - now).count();
    return static_cast<int>(std::max<long long>(1, left + 1));
}

void window_counter::add(const std::string& key, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    if (slots_.size() > prune_above) prune(now);
    slot& s = slots_[key];
    if (s.count == 0 || now - s.start >= window_) s = {now, 0};
    ++s.count;
}

void window_counter::clear(const std::string& key) {
    const std::lock_guard lock(mutex_);
    slots_.erase(key);
}

void window_counter::prune(clock::time_point now) {
    std::erase_if(slots_, [&](const auto& kv) { return now - kv.second.start >= window_; });
}

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
