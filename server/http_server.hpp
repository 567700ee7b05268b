#pragma once
// The HTTP/1.1 server: Boost.Beast on an io_context run by N threads, a strand per
// connection, blocking work on a separate worker pool, limits on header and body size, read
// and keep-alive timeouts, and a graceful stop on SIGINT/SIGTERM. Beast stays inside the
// .cpp file.

#include "config/config.hpp"
#include "server/http.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace plotmap::server {

class metrics;

class http_server {
public:
    /// Answers one complete request. Runs on a worker thread, so it may block; it must not
    /// throw (app::handle maps exceptions to problem responses).
    using request_handler = std::function<response(request&)>;

    /// Tried first, on the io thread, for answers that need no blocking work (a cached
    /// tile): returns nullopt to hand the request to `request_handler` on the worker pool.
    /// Must not block and must not throw.
    using fast_handler = std::function<std::optional<response>(request&)>;

    http_server(const config::server_settings& settings, request_handler on_request, metrics& m, fast_handler fast = {});
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Decides from the request line and header alone (before the body is read) whether
    /// the request goes on, and the largest body it may then send. Runs on the worker pool
    /// for requests that have a body; must not throw. Without it every request goes on with
    /// server.body_limit_bytes.
    using admit_fn = std::function<admission(request&)>;
    /// `largest_body` is what the parser may accept before the route is known.
    void set_admission(admit_fn f, std::size_t largest_body);

    /// Binds and listens. @returns the bound port (useful with port 0).
    /// @throws error naming the address if it cannot be bound.
    unsigned short listen(const std::string& host, unsigned short port);

    /// Serves until SIGINT/SIGTERM or stop(); then stops accepting, lets requests in flight
    /// finish (up to shutdown_grace_s) and returns.
    void run();

    /// Asks run() to stop, as a signal would. Thread-safe.
    void stop();

    /// Opaque state (Beast types); public only so the .cpp's session class can name it.
    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace plotmap::server
