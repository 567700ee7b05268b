#include "data/postgis/listener.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

namespace plotmap::data::postgis {
namespace {

struct conn_closer {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_clearer {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
struct notify_freer {
    void operator()(PGnotify* n) const noexcept { PQfreemem(n); }
};

/// Waits up to `ms` for `fd` to be readable. @returns false on an error of the socket.
bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, ms);
    return n >= 0 && (p.revents & (POLLERR | POLLNVAL)) == 0;
}

} // namespace

listener::listener(std::string url, std::string channel, std::function<void(std::string_view)> on_message, std::function<void()> on_gap)
    : url_(std::move(url)), channel_(std::move(channel)), on_message_(std::move(on_message)), on_gap_(std::move(on_gap)),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

listener::~listener() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
}

bool listener::wait_listening(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return started_.wait_for(lock, timeout, [this] { return listening_.load(); });
}

void listener::run(const std::stop_token& stop) {
    using namespace std::chrono;
    constexpr int tick_ms = 250; // how soon a stop is noticed
    milliseconds pause{100};
    while (!stop.stop_requested()) {
        const char* keys[] = {"dbname", "application_name", "connect_timeout", nullptr};
        const char* values[] = {url_.c_str(), "plotmap listener", "5", nullptr};
        std::unique_ptr<PGconn, conn_closer> conn(PQconnectdbParams(keys, values, 1));
        bool ok = conn && PQstatus(conn.get()) == CONNECTION_OK;
        if (ok) {
            const std::string sql = "LISTEN \"" + channel_ + "\"";
            const std::unique_ptr<PGresult, result_clearer> r(PQexec(conn.get(), sql.c_str()));
            ok = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
        }
        if (ok) {
            // Listening from here on: whatever was committed while it was not is unknown.
            on_gap_();
            {
                const std::lock_guard lock(mutex_);
                listening_ = true;
            }
            started_.notify_all();
            pause = milliseconds{100};
            const int fd = PQsocket(conn.get());
            while (!stop.stop_requested()) {
                if (!wait_readable(fd, tick_ms) || PQconsumeInput(conn.get()) == 0) break; // connection lost
                while (true) {
                    const std::unique_ptr<PGnotify, notify_freer> n(PQnotifies(conn.get()));
                    if (!n) break;
                    on_message_(n->extra != nullptr ? std::string_view(n->extra) : std::string_view());
                }
            }
            listening_ = false;
            if (stop.stop_requested()) return;
            std::fprintf(stderr, "plotmap: lost the database's change notifications (%s); reconnecting\n",
                         conn ? PQerrorMessage(conn.get()) : "no connection");
        }
        // Not connected: wait (in ticks, to notice a stop) and try again.
        for (milliseconds waited{0}; waited < pause && !stop.stop_requested(); waited += milliseconds{tick_ms}) {
            std::this_thread::sleep_for(milliseconds{tick_ms});
        }
        pause = std::min(pause * 2, milliseconds{5000});
    }
}

} // namespace plotmap::data::postgis
