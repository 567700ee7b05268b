#pragma once
// PostgreSQL's LISTEN/NOTIFY on a connection and thread of its own: how every plotmap server
// on one database hears of the writes the others commit (docs/architecture.md).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace plotmap::data::postgis {

class listener {
public:
    /// Listens on `channel` of the database at `url`. `on_message` gets each notification's
    /// payload; `on_gap` is called each time listening starts (the first time, and after a
    /// lost connection was made again): what was committed before is unknown, so the caller
    /// drops what it derived. Both run on the listener's thread. Reconnects with a growing
    /// pause (at most 5 s).
    listener(std::string url, std::string channel, std::function<void(std::string_view)> on_message, std::function<void()> on_gap);
    /// Stops listening (within a quarter of a second) and joins the thread.
    ~listener();
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// Whether the listener is connected and listening now.
    [[nodiscard]] bool listening() const noexcept { return listening_.load(); }
    /// Waits until it listens (and on_gap has run), at most `timeout`. @returns listening().
    bool wait_listening(std::chrono::milliseconds timeout);

private:
    void run(const std::stop_token& stop);

    std::string url_;
    std::string channel_;
    std::function<void(std::string_view)> on_message_;
    std::function<void()> on_gap_;
    std::atomic<bool> listening_{false};
    std::mutex mutex_;
    std::condition_variable started_;
    std::jthread thread_; // last: started once the members it uses are made
};

} // namespace plotmap::data::postgis
