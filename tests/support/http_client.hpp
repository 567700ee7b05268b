#pragma once
// A deliberately small HTTP/1.1 client over POSIX sockets for end-to-end tests: it can send
// any bytes (including malformed requests) to a loopback server and read one response.
// Every call is bounded by a timeout.

#include <chrono>
#include <map>
#include <string>

namespace plotmap::test {

struct http_reply {
    int status = 0;                           ///< 0 if the connection closed without a response
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
};

class http_connection {
public:
    /// Connects to 127.0.0.1:port, from `source` (another loopback address such as
    /// 127.0.0.2, to act as a second client) if given. @throws std::runtime_error on failure.
    explicit http_connection(unsigned short port, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                             const char* source = nullptr);
    ~http_connection();
    http_connection(const http_connection&) = delete;
    http_connection& operator=(const http_connection&) = delete;

    /// Sends raw bytes. @returns false if the peer has closed the connection.
    bool send_raw(const std::string& bytes);
    /// Reads one response (Content-Length framed, or until close). status 0 if none came.
    /// A reply to HEAD has no body whatever its Content-Length says.
    http_reply read_reply(bool to_head = false);
    /// True once the server has closed its side (reads return 0 within the timeout).
    bool closed_by_peer();

private:
    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::string pending_;
};

/// One request on a new connection: METHOD target, optional body and extra header lines.
http_reply http_request(unsigned short port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::string& extra_headers = {});

} // namespace plotmap::test
