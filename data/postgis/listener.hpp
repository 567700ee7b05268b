#pragma once
// PostgreSQL's LISTEN/NOTIFY on a connection and thread of its own: how every plotmap server
// on one database hears of the writes the others commit (docs/architecture.md).

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace plotmap::data::postgis {

class listener {
public:
    /// Listens on `channel` of the database at `url`. `on_message` gets each notification's
    /// payload; `on_gap` is called whenever notifications may have been missed (the
    /// connection was lost and made again), so that the caller can drop what it derived.
    /// Both run on the listener's thread. Reconnects with a growing pause (at most 5 s).
    listener(std::string url, std::string channel, std::function<void(std::string_view)> on_message, std::function<void()> on_gap);
    /// Stops listening (within a quarter of a second) and joins the thread.
    ~listener();
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;

    /// Whether the listener is connected and listening now.
    [[nodiscard]] bool listening() const noexcept { return listening_.load(); }

private:
    void run(const std::stop_token& stop);

    std::string url_;
    std::string channel_;
    std::function<void(std::string_view)> on_message_;
    std::function<void()> on_gap_;
    std::atomic<bool> listening_{false};
    std::jthread thread_; // last: started once the members it uses are made
};

} // namespace plotmap::data::postgis
