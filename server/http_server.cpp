#include "server/http_server.hpp"

#include "geo/error.hpp"
#include "server/metrics.hpp"
#include "server/problem.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

namespace plotmap::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

/// The target for the access log, cut to 512 bytes, with ?token= values masked: API tokens
/// are credentials and logs are read by more people than the database.
std::string masked_target(std::string_view target) {
    std::string out(target.substr(0, 512));
    for (std::size_t at = out.find("token="); at != std::string::npos; at = out.find("token=", at + 1)) {
        if (at == 0 || (out[at - 1] != '?' && out[at - 1] != '&')) continue;
        const std::size_t start = at + 6;
        const std::size_t end = std::min(out.find('&', start), out.size());
        out.replace(start, end - start, "***");
    }
    return out;
}

/// Bytes [offset, offset + length) of a file as a response body, read in 64 KiB pieces:
/// whole files and 206 ranges alike, with bounded memory.
struct file_slice_body {
    struct value_type {
        beast::file file;
        std::uint64_t offset = 0;
        std::uint64_t length = 0;
    };
    static std::uint64_t size(const value_type& v) { return v.length; }

    class writer {
    public:
        using const_buffers_type = net::const_buffer;
        template <bool isRequest, class Fields>
        writer(http::header<isRequest, Fields>&, value_type& v) : body_(v) {}
        void init(beast::error_code& ec) {
            body_.file.seek(body_.offset, ec);
            remain_ = body_.length;
        }
        boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
            ec = {};
            if (remain_ == 0) return boost::none;
            const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf_.size(), remain_));
            const std::size_t n = body_.file.read(buf_.data(), want, ec);
            if (ec) return boost::none;
            if (n == 0) { // the file shrank under us
                ec = beast::http::error::short_read;
                return boost::none;
            }
            remain_ -= n;
            return {{net::const_buffer(buf_.data(), n), remain_ > 0}};
        }

    private:
        value_type& body_;
        std::uint64_t remain_ = 0;
        std::array<char, 65536> buf_{};
    };
};

} // namespace

struct http_server::impl {
    impl(const config::server_settings& s, request_handler h, metrics& m, fast_handler f)
        : settings(s), handler(std::move(h)), fast(std::move(f)), stats(m), workers(static_cast<std::size_t>(s.worker_threads)),
          acceptor(ioc), signals(ioc, SIGINT, SIGTERM), grace_timer(ioc) {
        std::random_device rd;
        id_prefix = rd();
    }

    config::server_settings settings;
    request_handler handler;
    fast_handler fast;
    admit_fn admit;
    std::size_t largest_body = settings.body_limit_bytes;
    std::atomic<int> connections{0};
    std::atomic<int> queued{0}; ///< requests handed to the workers and not yet started
    std::mutex addresses_mutex;
    std::unordered_map<std::string, int> per_address; ///< open connections by client address
    metrics& stats;
    net::io_context ioc;
    net::thread_pool workers;
    tcp::acceptor acceptor;
    net::signal_set signals;
    net::steady_timer grace_timer;
    std::atomic<bool> stopping{false};
    std::atomic<int> in_flight{0};
    std::atomic<unsigned long long> next_id{0};
    unsigned id_prefix = 0;
    std::mutex log_mutex;

    std::string make_request_id() {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%08x-%llu", id_prefix, ++next_id);
        return buf;
    }

    void log_access(const request& req, int status, std::size_t bytes, double seconds) {
        if (!settings.access_log) return;
        const auto now = std::chrono::system_clock::now();
        const std::time_t t = std::chrono::system_clock::to_time_t(now);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        char line[160];
        std::snprintf(line, sizeof line, "%d %zu %.2fms", status, bytes, seconds * 1000.0);
        const std::lock_guard lock(log_mutex);
        std::cout << when << ' ' << req.remote << " \"" << req.method << ' ' << masked_target(req.target) << "\" "
                  << line << " rid=" << req.request_id << '\n'
                  << std::flush;
    }

    /// Whether the worker queue is at server.max_queued_requests: new work is refused then.
    [[nodiscard]] bool queue_full() const noexcept { return queued.load() >= settings.max_queued_requests; }
    [[nodiscard]] std::string queue_full_message() const {
        return "the server is busy (" + std::to_string(settings.max_queued_requests) +
               " requests waiting, server.max_queued_requests); try again shortly";
    }

    /// Counts a connection from `address`; @returns how many it has open now.
    int address_opened(const std::string& address) {
        const std::lock_guard lock(addresses_mutex);
        return ++per_address[address];
    }
    void address_closed(const std::string& address) {
        const std::lock_guard lock(addresses_mutex);
        if (const auto it = per_address.find(address); it != per_address.end() && --it->second <= 0) per_address.erase(it);
    }

    /// A 500 for a request that escaped the guard it should never escape; never throws.
    static response escaped(const request& req, const char* what) noexcept {
        try {
            std::cerr << "plotmap: request " << req.request_id << " escaped its " << what << std::endl;
        } catch (...) {
        }
        return internal_error(req);
    }

    /// Admission and the handler must not throw (app maps every exception); if one does
    /// anyway, the request gets a 500 rather than an exception ending a worker thread, and
    /// with it the process.
    admission run_admit(request& req) noexcept {
        try {
            return admit(req);
        } catch (...) {
            return {escaped(req, "admission"), 0, {}};
        }
    }
    response run_handler(request& req) noexcept {
        try {
            return handler(req);
        } catch (...) {
            return escaped(req, "handler");
        }
    }

    void do_accept();
    void begin_shutdown();
    void wait_for_in_flight();
};

namespace {

/// Whether a request may use the connections kept in reserve (server.reserved_connections):
/// the probes an operator needs while the server is full.
bool is_probe(std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

/// One client connection. All its handlers run on its strand.
class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket&& socket, http_server::impl& server)
        : stream_(std::move(socket)), server_(server), read_deadline_(stream_.get_executor()) {
        server_.stats.connection_opened();
        beast::error_code ec;
        const auto ep = stream_.socket().remote_endpoint(ec);
        remote_ = ec ? std::string("-") : ep.address().to_string();
        total_ = ++server_.connections;
        from_address_ = server_.address_opened(remote_);
    }
    ~session() {
        remove_body_file(body_path_); // an upload cut off part way
        server_.address_closed(remote_);
        --server_.connections;
        server_.stats.connection_closed();
    }

    void start() {
        const auto& s = server_.settings;
        std::string refusal;
        if (total_ > s.max_connections) {
            refusal = "the server has " + std::to_string(s.max_connections) +
                      " connections open, its limit (server.max_connections); try again shortly";
        } else if (s.max_connections_per_address > 0 && from_address_ > s.max_connections_per_address) {
            refusal = "your address has " + std::to_string(s.max_connections_per_address) +
                      " connections open, the limit per address (server.max_connections_per_address); reuse them";
        }
        if (!refusal.empty()) {
            // Over a limit: one short answer, then the socket is closed.
            return net::dispatch(stream_.get_executor(), [self = shared_from_this(), refusal] { self->refuse(503, refusal); });
        }
        // At most an eighth of the connections are held back, so a small limit still serves.
        reserve_only_ = total_ > s.max_connections - std::min(s.reserved_connections, s.max_connections / 8);
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read_request, shared_from_this()));
    }

private:
    void read_request() {
        if (server_.stopping) return close();
        file_parser_.reset();
        parser_.emplace();
        parser_->body_limit(server_.largest_body); // the route's own limit applies once it is known
        parser_->header_limit(static_cast<std::uint32_t>(server_.settings.header_limit_bytes));
        req_.reset();
        if (requests_ == 0 || buffer_.size() > 0) return begin_request();
        // An idle keep-alive connection may wait keep_alive_timeout_s for its next request;
        // read_timeout_s counts from its first byte.
        arm_deadline(server_.settings.keep_alive_timeout_s);
        stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->on_read_error(ec);
            self->begin_request();
        });
    }

    /// The whole request, header and body, must arrive within read_timeout_s of its first
    /// byte (of the connection, for the first request): one deadline, never re-armed.
    void begin_request() {
        arm_deadline(server_.settings.read_timeout_s);
        http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        started_ = clock_type::now();
        const auto& msg = parser_->get();
        req_ = std::make_shared<request>();
        req_->method = std::string(msg.method_string());
        req_->target = std::string(msg.target());
        req_->remote = remote_;
        req_->request_id = server_.make_request_id();
        for (const auto& field : msg) {
            const auto name = field.name_string();
            req_->headers.emplace_back(ascii_lower(std::string_view(name.data(), name.size())), std::string(field.value()));
        }
        if (server_.stopping) return refuse(503, "the server is stopping; try again shortly");
        // RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked has no
        // knowable length; reading it as empty would run its body as a second request.
        if (req_->header("transfer-encoding") && !parser_->chunked()) {
            return refuse(400, "Transfer-Encoding must end with chunked (RFC 9112 §6.3)");
        }
        if (reserve_only_ && !is_probe(req_->target)) {
            return refuse(503, "the server is at its connection limit; only /healthz, /readyz and /metrics are answered now");
        }
        if (parser_->is_done()) return dispatch(); // no body
        if (!server_.admit) return read_body(server_.settings.body_limit_bytes);
        // A body is coming: decide who may send it, to which route, before reading a byte of
        // it. Credentials may need the database, so this runs on a worker, in the same
        // bounded queue as every other request.
        if (server_.queue_full()) return refuse(503, server_.queue_full_message());
        ++server_.queued;
        net::post(server_.workers, [self = shared_from_this(), req = req_] {
            --self->server_.queued;
            admission a = self->server_.run_admit(*req);
            net::post(self->stream_.get_executor(), [self, a = std::move(a)]() mutable { self->on_admitted(std::move(a)); });
        });
    }

    void on_admitted(admission a) {
        if (a.refusal) return reply(std::move(*a.refusal), false); // the body is never read
        if (!a.body_dir.empty()) return read_body_to_file(a.body_limit, a.body_dir);
        read_body(a.body_limit);
    }

    /// Streams the body into a new private file in `dir` (an upload is never whole in memory).
    void read_body_to_file(std::size_t limit, const std::string& dir) {
        if (const auto length = parser_->content_length(); length && *length > limit) {
            return refuse(413, "the request body is larger than this route's limit of " + std::to_string(limit) + " bytes");
        }
        body_limit_ = limit;
        allow_time_for(limit);
        std::error_code made;
        std::filesystem::create_directories(dir, made);
        static std::atomic<unsigned long long> counter{0};
        body_path_ = (std::filesystem::path(dir) / ("body-" + req_->request_id + "-" + std::to_string(++counter))).string();
        file_parser_.emplace(std::move(*parser_));
        file_parser_->body_limit(limit);
        beast::error_code ec;
        file_parser_->get().body().open(body_path_.c_str(), beast::file_mode::write_new, ec);
        if (ec) {
            std::cerr << "plotmap: cannot write an upload to " << body_path_ << ": " << ec.message() << std::endl;
            body_path_.clear();
            return refuse(503, "the server cannot store uploads right now; try again later");
        }
        const auto read = [self = shared_from_this()] {
            http::async_read(self->stream_, self->buffer_, *self->file_parser_, [self](beast::error_code e, std::size_t) {
                self->file_parser_->get().body().close();
                if (e) {
                    remove_body_file(self->body_path_);
                    return self->on_read_error(e);
                }
                self->req_->body_file = self->body_path_;
                self->body_path_.clear();
                self->dispatch();
            });
        };
        const auto expect = req_->header("expect");
        if (expect && ascii_lower(*expect) == "100-continue") {
            continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            return http::async_write(stream_, *continue_, [self = shared_from_this(), read](beast::error_code e, std::size_t) {
                self->continue_.reset();
                if (e) {
                    remove_body_file(self->body_path_);
                    return self->close();
                }
                read();
            });
        }
        read();
    }

    static void remove_body_file(std::string& path) {
        if (path.empty()) return;
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        path.clear();
    }

    /// A large body over a slow phone connection needs more than read_timeout_s: the deadline
    /// is extended by what its declared length (or, chunked, the route's limit) takes at
    /// min_upload_bytes_per_s. Still one bounded deadline, and only for an admitted request.
    void allow_time_for(std::size_t limit) {
        constexpr std::uint64_t min_upload_bytes_per_s = 16384;
        const std::uint64_t expected = parser_->content_length().value_or(limit);
        if (expected <= min_upload_bytes_per_s) return;
        arm_deadline(server_.settings.read_timeout_s + static_cast<int>(std::min<std::uint64_t>(expected / min_upload_bytes_per_s, 86400)));
    }

    void read_body(std::size_t limit) {
        body_limit_ = limit;
        if (const auto length = parser_->content_length(); !length || *length <= limit) allow_time_for(limit);
        parser_->body_limit(limit); // applies to chunked bodies as they arrive
        if (const auto length = parser_->content_length(); length && *length > limit) {
            return refuse(413, "the request body is larger than this route's limit of " + std::to_string(limit) + " bytes");
        }
        const auto expect = req_->header("expect");
        if (expect && ascii_lower(*expect) == "100-continue") {
            // The client waits for this before it sends the body (curl does for large uploads).
            continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            return http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code e, std::size_t) {
                self->continue_.reset();
                if (e) return self->close();
                http::async_read(self->stream_, self->buffer_, *self->parser_,
                                 beast::bind_front_handler(&session::on_read, self));
            });
        }
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    /// Our own read deadline rather than tcp_stream's: tcp_stream closes the socket on
    /// timeout, and a client whose request stalled deserves a 408 first.
    void arm_deadline(int seconds) {
        read_deadline_.expires_after(std::chrono::seconds(seconds));
        read_deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec) return; // cancelled: the read finished in time
            self->timed_out_ = true;
            beast::error_code ignored;
            self->stream_.socket().cancel(ignored);
        });
    }

    void on_read_error(beast::error_code ec) {
        read_deadline_.cancel();
        if (ec == net::error::operation_aborted && timed_out_) {
            // A request that started but did not finish in time gets 408; an idle one is closed.
            const bool started = file_parser_ ? file_parser_->got_some() : (parser_ && parser_->got_some());
            if (started || buffer_.size() > 0) return refuse(408, "the request did not arrive in time");
            return close();
        }
        if (ec == http::error::body_limit) {
            return refuse(413, "the request body is larger than this route's limit of " + std::to_string(body_limit_) + " bytes");
        }
        if (ec == http::error::header_limit) {
            return refuse(431, "the request header is larger than the limit of " +
                                   std::to_string(server_.settings.header_limit_bytes) + " bytes");
        }
        if (ec == http::error::end_of_stream || ec == net::error::connection_reset || ec == net::error::operation_aborted ||
            ec == net::error::eof) {
            return close();
        }
        refuse(400, "malformed HTTP request: " + ec.message());
    }

    /// Answers with a problem and closes the connection: the request could not be read, or
    /// will not be, so nothing after it on this connection can be trusted.
    void refuse(int status, const std::string& detail) {
        response res = problem(status, detail);
        if (status == 503) res.set("Retry-After", "1");
        res.route = "";
        reply(std::move(res), false);
    }

    /// Sends `res` for the current request (a placeholder one if its header never arrived).
    void reply(response res, bool keep_alive) {
        if (!req_) {
            req_ = std::make_shared<request>();
            req_->method = "-";
            req_->target = "-";
            req_->remote = remote_;
            req_->request_id = server_.make_request_id();
            started_ = clock_type::now();
        }
        read_deadline_.cancel();
        ++server_.in_flight;
        send(std::move(*req_), std::move(res), keep_alive);
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        req_->body = std::move(parser_->get().body());
        dispatch();
    }

    /// A whole request is in: a cached answer on this thread, else the worker pool.
    void dispatch() {
        read_deadline_.cancel();
        ++requests_;
        const bool keep_alive = file_parser_ ? file_parser_->get().keep_alive() : parser_->get().keep_alive();
        file_parser_.reset();
        std::shared_ptr<request> req = std::move(req_);
        if (server_.fast && !req->admitted) {
            if (std::optional<response> answer = server_.fast(*req)) {
                ++server_.in_flight;
                return send(std::move(*req), std::move(*answer), keep_alive);
            }
        }
        // Past its queue limit the server sheds load at once rather than queueing without bound.
        if (server_.queue_full()) {
            req_ = std::move(req);
            response busy = problem(503, server_.queue_full_message());
            busy.set("Retry-After", "1");
            return reply(std::move(busy), keep_alive);
        }
        ++server_.in_flight;
        ++server_.queued;
        // Blocking work (database, files) runs on the worker pool, never on this io thread.
        net::post(server_.workers, [self = shared_from_this(), req, keep_alive] {
            --self->server_.queued;
            response res = self->server_.run_handler(*req);
            net::post(self->stream_.get_executor(), [self, req, keep_alive, res = std::move(res)]() mutable {
                self->send(std::move(*req), std::move(res), keep_alive);
            });
        });
    }

    void send(request req, response res, bool keep_alive) {
        if (!req.body_file.empty()) { // the upload has been handled (or refused): its file goes
            std::error_code ignored;
            std::filesystem::remove(req.body_file, ignored);
            req.body_file.clear();
        }
        if (!res.body_file.empty()) return send_file(std::move(req), std::move(res), keep_alive);
        const bool head = req.method == "HEAD";
        auto out = std::make_shared<http::response<http::string_body>>();
        const std::size_t length = res.body.size();
        const bool keep = prepare(*out, req, res, keep_alive);
        if (head) {
            out->content_length(length);
        } else {
            out->body() = std::move(res.body);
            out->prepare_payload();
        }
        finish(req, res, length);
        response_ = out;
        http::async_write(stream_, *out, [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
            self->response_.reset();
            self->after_write(ec, keep);
        });
    }

    /// A body streamed from a file with bounded memory (Beast's file_body reads it in pieces).
    void send_file(request req, response res, bool keep_alive) {
        auto out = std::make_shared<http::response<file_slice_body>>();
        beast::error_code ec;
        out->body().file.open(res.body_file.c_str(), beast::file_mode::scan, ec);
        const std::uint64_t file_size = ec ? 0 : out->body().file.size(ec);
        if (!ec && (res.body_offset > file_size || (res.body_length && *res.body_length > file_size - res.body_offset))) {
            ec = beast::http::error::short_read;
        }
        if (ec) {
            response failed = problem(500, "internal error; quote request id " + req.request_id + " when reporting it");
            cleanup(res.remove_after);
            return send(std::move(req), std::move(failed), false);
        }
        out->body().offset = res.body_offset;
        out->body().length = res.body_length.value_or(file_size - res.body_offset);
        const bool keep = prepare(*out, req, res, keep_alive);
        const std::size_t length = static_cast<std::size_t>(out->body().length);
        if (req.method == "HEAD") {
            out->body().length = 0;
            out->content_length(length);
        } else {
            out->prepare_payload();
        }
        finish(req, res, length);
        file_response_ = out;
        stream_.expires_after(std::chrono::minutes(30)); // a large download may take longer than read_timeout_s
        http::async_write(stream_, *out, [self = shared_from_this(), keep, remove = res.remove_after](beast::error_code e, std::size_t) {
            self->file_response_.reset();
            cleanup(remove);
            self->after_write(e, keep);
        });
    }

    static void cleanup(const std::string& path) {
        if (path.empty()) return;
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }

    template <typename Body>
    bool prepare(http::response<Body>& out, const request& req, const response& res, bool keep_alive) {
        out.version(11);
        out.result(static_cast<unsigned>(res.status));
        for (const auto& [name, value] : res.headers) out.set(name, value);
        out.set(http::field::server, "plotmap");
        out.set("X-Request-Id", req.request_id);
        const bool keep = keep_alive && !server_.stopping;
        out.keep_alive(keep);
        return keep;
    }

    void finish(const request& req, const response& res, std::size_t length) {
        const double seconds = std::chrono::duration<double>(clock_type::now() - started_).count();
        server_.stats.record(res.route, req.method, res.status, seconds);
        server_.log_access(req, res.status, length, seconds);
        stream_.expires_after(std::chrono::seconds(server_.settings.read_timeout_s));
    }

    void after_write(beast::error_code ec, bool keep) {
        --server_.in_flight;
        if (ec || !keep) return close();
        read_request();
    }

    /// Closes after our answer has gone: stops sending, then reads and discards what the
    /// client still sends (an unread upload) for a moment, so that the kernel does not reset
    /// the connection and lose the answer before the client has read it.
    void close() {
        read_deadline_.cancel();
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(std::chrono::seconds(2));
        drain();
    }

    void drain() {
        stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                beast::error_code ignored;
                self->stream_.socket().close(ignored);
                return;
            }
            self->drain();
        });
    }

    beast::tcp_stream stream_;
    http_server::impl& server_;
    net::steady_timer read_deadline_;
    bool timed_out_ = false;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<request> req_; ///< the request being read
    std::shared_ptr<http::response<http::empty_body>> continue_;
    std::array<char, 16384> discard_{};
    int total_ = 0;        ///< connections open when this one was accepted
    int from_address_ = 0; ///< of them, from this one's address
    bool reserve_only_ = false;
    std::shared_ptr<http::response<http::string_body>> response_;
    std::shared_ptr<http::response<file_slice_body>> file_response_;
    std::optional<http::request_parser<http::file_body>> file_parser_; ///< a body streamed to disk
    std::string body_path_; ///< its file while it is being read
    std::string remote_;
    clock_type::time_point started_ = clock_type::now();
    unsigned long long requests_ = 0;
    std::size_t body_limit_ = 0;
};

} // namespace

void http_server::impl::do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec) {
            if (ec == net::error::operation_aborted || !acceptor.is_open()) return; // stopping
            std::cerr << "plotmap: accept failed: " << ec.message() << std::endl;
        } else {
            std::make_shared<session>(std::move(socket), *this)->start();
        }
        do_accept();
    });
}

void http_server::impl::begin_shutdown() {
    if (stopping.exchange(true)) return;
    std::cout << "plotmap: stopping; letting " << in_flight.load() << " request(s) in flight finish" << std::endl;
    beast::error_code ignored;
    acceptor.close(ignored);
    signals.cancel(ignored);
    grace_timer.expires_after(std::chrono::seconds(settings.shutdown_grace_s));
    wait_for_in_flight();
}

void http_server::impl::wait_for_in_flight() {
    if (in_flight.load() == 0 || clock_type::now() >= grace_timer.expiry()) {
        ioc.stop();
        return;
    }
    auto poll = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(20));
    poll->async_wait([this, poll](beast::error_code) { wait_for_in_flight(); });
}

http_server::http_server(const config::server_settings& settings, request_handler handler, metrics& m, fast_handler fast)
    : impl_(std::make_unique<impl>(settings, std::move(handler), m, std::move(fast))) {}

void http_server::set_admission(admit_fn f, std::size_t largest_body) {
    impl_->admit = std::move(f);
    impl_->largest_body = largest_body;
}

http_server::~http_server() {
    impl_->workers.join();
}

unsigned short http_server::listen(const std::string& host, unsigned short port) {
    beast::error_code ec;
    const auto address = net::ip::make_address(host, ec);
    if (ec) throw config_error("server.listen: \"" + host + "\" is not an IP address");
    const tcp::endpoint endpoint(address, port);
    auto& a = impl_->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    return a.local_endpoint().port();
}

void http_server::run() {
    impl_->signals.async_wait([this](beast::error_code ec, int) {
        if (!ec) impl_->begin_shutdown();
    });
    impl_->do_accept();
    std::vector<std::thread> threads;
    for (int i = 1; i < impl_->settings.io_threads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
    impl_->ioc.run();
    for (auto& t : threads) t.join();
    // Work already handed to the pool (a write in progress) completes before we return.
    impl_->workers.join();
}

void http_server::stop() {
    net::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

} // namespace plotmap::server
