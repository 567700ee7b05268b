#pragma once
// Request counters and latency histograms, rendered in the Prometheus text format 0.0.4.

#include "data/store.hpp"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace plotmap::server {

class metrics {
public:
    /// Upper bounds of the latency histogram buckets, in seconds.
    static constexpr std::array<double, 12> buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

    /// Counts one answered request. `route` is the matched pattern ("" when none matched).
    void record(const std::string& route, const std::string& method, int status, double seconds);
    void connection_opened() noexcept { ++connections_open_; ++connections_total_; }
    void connection_closed() noexcept { --connections_open_; }

    /// The exposition text, with the store's pool figures.
    [[nodiscard]] std::string render(const data::store_stats& db) const;

private:
    struct histogram {
        std::array<unsigned long long, buckets.size()> counts{};
        unsigned long long count = 0;
        double sum = 0.0;
    };
    mutable std::mutex mutex_;
    std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests_;
    std::map<std::string, histogram> latency_;
    std::atomic<long long> connections_open_{0};
    std::atomic<unsigned long long> connections_total_{0};
};

} // namespace plotmap::server
