// The real server on a free loopback port: health, metrics, problem+json, bad and
// oversized requests, keep-alive, concurrency, graceful stop.

#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <regex>
#include <thread>

using namespace plotmap;
using test::http_request;

namespace {

using test::running_server;

class serve_test : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        server = new running_server(test::demo_database(*dir, 40).string(),
                                    {"PLOTMAP_SERVER_BODY_LIMIT_BYTES=4096", "PLOTMAP_SERVER_HEADER_LIMIT_BYTES=2048",
                                     "PLOTMAP_SERVER_READ_TIMEOUT_S=1"});
    }
    static void TearDownTestSuite() {
        delete server;
        delete dir;
    }
    static void expect_still_serving() {
        const auto h = http_request(server->port, "GET", "/healthz");
        EXPECT_EQ(h.status, 200);
        EXPECT_EQ(h.body, R"({"status":"ok"})");
    }
    static inline test::temp_dir* dir = nullptr;
    static inline running_server* server = nullptr;
};

} // namespace

TEST_F(serve_test, health_readiness_and_landing) {
    expect_still_serving();
    const auto ready = http_request(server->port, "GET", "/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(nlohmann::json::parse(ready.body)["status"], "ready");
    const auto landing = http_request(server->port, "GET", "/", "", "Accept: text/html\r\n");
    EXPECT_EQ(landing.status, 200);
    EXPECT_NE(landing.body.find("<dd>40</dd>"), std::string::npos);
    EXPECT_FALSE(landing.headers.at("x-request-id").empty());
}

TEST_F(serve_test, unknown_route_is_problem_json_404_and_wrong_method_405) {
    const auto r = http_request(server->port, "GET", "/nowhere?x=1");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.headers.at("content-type"), "application/problem+json");
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["status"], 404);
    EXPECT_EQ(body["detail"], "no resource at /nowhere");
    const auto m = http_request(server->port, "DELETE", "/healthz");
    EXPECT_EQ(m.status, 405);
    EXPECT_EQ(m.headers.at("allow"), "GET, HEAD");
}

TEST_F(serve_test, head_has_headers_but_no_body) {
    test::http_connection c(server->port);
    c.send_raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto head = c.read_reply(true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.at("content-length"), "15");
    // The HEAD reply carried no body: the next bytes on the connection are the GET's reply.
    const auto get = c.read_reply();
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.body, R"({"status":"ok"})");
}

TEST_F(serve_test, malformed_http_gets_400_and_the_server_keeps_serving) {
    for (const std::string garbage : {"GARBAGE\r\n\r\n", "GET /healthz HTTP/9.9\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
                                      "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
                                      "POST /healthz HTTP/1.1\r\nContent-Length: -5\r\n\r\n"}) {
        test::http_connection c(server->port);
        c.send_raw(garbage);
        auto r = c.read_reply();
        EXPECT_EQ(r.status, 400) << garbage;
        EXPECT_EQ(r.headers["content-type"], "application/problem+json") << garbage;
        EXPECT_TRUE(c.closed_by_peer()) << garbage;
    }
    expect_still_serving();
}

TEST_F(serve_test, oversized_body_is_413_and_oversized_header_431) {
    // Sign-in is open to anyone and reads at most 16 KiB.
    const auto big = http_request(server->port, "POST", "/api/v1/session", std::string(20000, 'x'), "Content-Type: application/json\r\n");
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(nlohmann::json::parse(big.body)["detail"], "the request body is larger than this route's limit of 16384 bytes");
    // A body for a route that does not take it is refused for that, before it is read.
    const auto wrong = http_request(server->port, "POST", "/healthz", std::string(10000, 'x'));
    EXPECT_EQ(wrong.status, 405);
    const auto header = http_request(server->port, "GET", "/healthz", "", "X-Junk: " + std::string(4000, 'y') + "\r\n");
    EXPECT_EQ(header.status, 431);
    expect_still_serving();
}

TEST_F(serve_test, incomplete_request_times_out_with_408) {
    test::http_connection c(server->port);
    c.send_raw("POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\nonly part");
    const auto r = c.read_reply();
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(c.closed_by_peer());
    expect_still_serving();
}

TEST_F(serve_test, keep_alive_serves_many_requests_on_one_connection) {
    test::http_connection c(server->port);
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        EXPECT_EQ(c.read_reply().status, 200) << i;
    }
}

TEST_F(serve_test, concurrent_clients_all_get_answers_and_metrics_count_them) {
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
        clients.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                if (http_request(server->port, "GET", "/readyz").status == 200) ++ok;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 200);
    const auto m = http_request(server->port, "GET", "/metrics");
    std::smatch match;
    ASSERT_TRUE(std::regex_search(m.body, match,
                                  std::regex(R"(plotmap_http_requests_total\{route="/readyz",method="GET",status="200"\} (\d+))")));
    EXPECT_GE(std::stoi(match[1]), 200);
    EXPECT_NE(m.body.find("plotmap_db_readers{state=\"idle\"} 4"), std::string::npos);
}

TEST_F(serve_test, access_log_has_a_line_per_request) {
    const auto r = http_request(server->port, "GET", "/healthz?probe=access-log");
    const std::string id = r.headers.at("x-request-id");
    const auto line = server->process.wait_for_line("rid=" + id, std::chrono::seconds(5));
    ASSERT_TRUE(line.has_value());
    EXPECT_NE(line->find("127.0.0.1 \"GET /healthz?probe=access-log\" 200 15 "), std::string::npos) << *line;
}

TEST(serve_lifecycle, sigterm_stops_gracefully_and_frees_the_port) {
    test::temp_dir dir;
    running_server s(test::fresh_database(dir).string());
    EXPECT_EQ(http_request(s.port, "GET", "/healthz").status, 200);
    // A keep-alive client that is mid-conversation is not an in-flight request: stop anyway.
    test::http_connection idle(s.port);
    idle.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(idle.read_reply().status, 200);
    s.process.send_signal(SIGTERM);
    EXPECT_EQ(s.process.wait(std::chrono::seconds(15)), 0) << s.process.output();
    EXPECT_NE(s.process.output().find("plotmap: stopped"), std::string::npos);
    EXPECT_THROW(test::http_connection(s.port), std::runtime_error);
}
