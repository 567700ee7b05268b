// The hostile-input catalogue (docs/security.md): what an outside tester, a scanner or a
// broken client sends, each against the real server on a loopback port, each asserting the
// exact answer, that the server still serves, and that the data did not change.

#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <thread>

using namespace plotmap;
using nlohmann::json;
using test::http_reply;
using test::http_request;
using namespace std::chrono_literals;

namespace {

std::string json_type() { return "Content-Type: application/json\r\n"; }

/// Asserts an application/problem+json answer with `status` whose body is valid UTF-8 JSON
/// (nlohmann's parser refuses anything else); returns its detail.
std::string expect_problem(const http_reply& r, int status, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "application/problem+json") << what;
    try {
        const json body = json::parse(r.body);
        EXPECT_EQ(body.at("status"), status) << what;
        return body.at("detail").get<std::string>();
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": the answer is not valid JSON (" << e.what() << "): " << r.body;
        return {};
    }
}

/// A raw request on its own connection; the reply, or status 0 if none came.
http_reply raw(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout = 10s) {
    test::http_connection c(port, timeout);
    c.send_raw(bytes);
    return c.read_reply();
}

class hostile : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(test::demo_database(*dir, 40).string());
        server = new test::running_server(*db, {"PLOTMAP_SERVER_REQUESTS_PER_S=0"});
    }
    static void TearDownTestSuite() {
        delete server;
        delete db;
        delete dir;
    }
    static unsigned short port() { return server->port; }

    static void expect_still_serving() {
        const http_reply h = http_request(port(), "GET", "/healthz");
        EXPECT_EQ(h.status, 200);
        EXPECT_EQ(h.body, R"({"status":"ok"})");
        EXPECT_TRUE(server->process.wait(0ms) == std::nullopt) << "the server exited: " << server->process.output();
    }

    static json plot_count() {
        return json::parse(http_request(port(), "GET", "/api/v1/plots?limit=1").body).at("number_matched");
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline test::running_server* server = nullptr;
};

} // namespace

TEST_F(hostile, bytes_that_are_not_utf8_anywhere_in_the_target_get_400) {
    const json before = plot_count();
    // The thirteen anonymous requests that once aborted the process, and their relatives.
    for (const std::string target : {"/%FF", "/api/v1/plots/%FF", "/tiles/plots/%FF/1/1.mvt", "/collections/%FF",
                                     "/fonts/%FF/0-255.pbf", "/api/v1/exports/plots.%FF", "/?%FF=1", "/collections?crs=%FF",
                                     "/collections/plots/items?crs=%C0%AF", "/api/v1/plots?program=%E0%B8", "/%ED%A0%80"}) {
        const std::string detail = expect_problem(http_request(port(), "GET", target), 400, target);
        EXPECT_NE(detail.find("not UTF-8 text once percent-decoded"), std::string::npos) << target << ": " << detail;
    }
    // Raw (not percent-encoded) bytes in the request line are malformed HTTP.
    expect_problem(raw(port(), "GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n"), 400, "raw byte in the target");
    expect_still_serving();
    EXPECT_EQ(plot_count(), before);
}

TEST_F(hostile, bad_bytes_in_headers_and_bodies_are_echoed_safely) {
    const json before = plot_count();
    const std::string origin = expect_problem(
        http_request(port(), "POST", "/api/v1/plots", "{}", "Origin: \xff\xfe\r\n" + json_type() + test::admin_authorization()), 403, "Origin");
    EXPECT_EQ(origin, "cross-site request refused: Origin \xEF\xBF\xBD\xEF\xBF\xBD is not this server");
    const std::string type = expect_problem(http_request(port(), "POST", "/api/v1/session", "{}", "Content-Type: \xff\r\n"), 415,
                                            "Content-Type");
    EXPECT_NE(type.find("\xEF\xBF\xBD"), std::string::npos) << type;
    // A JSON string with a byte that is not UTF-8: the parser's message quotes it.
    expect_problem(http_request(port(), "POST", "/api/v1/plots", "{\"program\":\"HLM\",\"name\":\"\xff\"}", json_type() + test::admin_authorization()),
                   400, "JSON with \\xff");
    expect_still_serving();
    EXPECT_EQ(plot_count(), before);
}

TEST_F(hostile, long_thai_text_is_cut_between_characters_in_messages) {
    std::string thai;
    for (int i = 0; i < 40; ++i) thai += "ก"; // 3 bytes each: a byte cut would land inside one
    const std::string id = expect_problem(http_request(port(), "GET", "/api/v1/plots/" + thai), 400, "Thai id");
    EXPECT_EQ(id, "plot id must be a positive whole number, got \"กกกกกกกกกก…\"");
    const std::string member = expect_problem(
        http_request(port(), "POST", "/api/v1/plots", json{{"program", "HLM"}, {thai, 1}}.dump(), json_type() + test::admin_authorization()), 400,
        "Thai member name");
    EXPECT_EQ(member, "unknown member \"กกกกกกกกกกกกกกกกกกกกก…\"");
    // The same cause once made a CSV import with a long Thai village number a 500.
    std::string csv = "name,lat,lon,program,village_no\nแปลงหนึ่ง,17.01,99.82,HLM,หมู่" + thai + "\n";
    const http_reply imported = http_request(port(), "POST", "/api/v1/imports?format=csv&dry_run=true", csv,
                                             "Content-Type: text/csv\r\n" + test::admin_authorization());
    ASSERT_EQ(imported.status, 200) << imported.body;
    const json report = json::parse(imported.body);
    ASSERT_EQ(report["rejected"].size(), 1u);
    EXPECT_EQ(report["rejected"][0]["where"], "line 2");
    expect_still_serving();
}

TEST_F(hostile, transfer_encodings_not_ending_in_chunked_are_refused_and_never_run_what_follows) {
    const json before = plot_count();
    for (const std::string te : {"chunked, identity", "gzip", "identity", "chunked, gzip", "gzip, chunked, identity"}) {
        test::http_connection c(port());
        c.send_raw("POST /api/v1/plots HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n" + test::admin_authorization() + json_type() +
                   "\r\nGET /healthz?smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        const std::string detail = expect_problem(c.read_reply(), 400, te);
        EXPECT_EQ(detail, "Transfer-Encoding must end with chunked (RFC 9112 §6.3)");
        EXPECT_TRUE(c.closed_by_peer()) << te;
    }
    server->process.drain(300ms);
    EXPECT_EQ(server->process.output().find("smuggled"), std::string::npos) << "a smuggled request was run";
    expect_still_serving();
    EXPECT_EQ(plot_count(), before);
}

TEST_F(hostile, requests_that_will_be_refused_are_refused_before_their_body_is_read) {
    // Only the header is sent: an answer proves the server did not wait for the body.
    const auto header_only = [&](const std::string& target, const std::string& extra) {
        return raw(port(), "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 50000000\r\n" + extra + "\r\n",
                   5s);
    };
    expect_problem(header_only("/api/v1/imports", ""), 401, "anonymous import");
    expect_problem(header_only("/api/v1/importsXYZ", ""), 404, "unknown path");
    expect_problem(header_only("/api/v1/imports", "Authorization: Bearer pm_not-a-token\r\n"), 401, "forged token");
    expect_problem(header_only("/api/v1/plots", test::admin_authorization()), 413, "over the plot route's limit");
    expect_problem(header_only("/api/v1/imports?format=csv", "Origin: http://evil.example\r\n" + test::admin_authorization()), 403, "foreign origin");

    // Sent in full, three 30 MB anonymous uploads leave the memory where it was.
    const long rss_before = test::resident_kib(server->process.pid());
    const std::string big(30'000'000, 'x');
    for (int i = 0; i < 3; ++i) {
        expect_problem(http_request(port(), "POST", "/api/v1/imports?format=csv", big, "Content-Type: text/csv\r\n"), 401, "upload");
    }
    const long rss_after = test::resident_kib(server->process.pid());
    EXPECT_LT(rss_after - rss_before, 20'000) << "RSS went from " << rss_before << " to " << rss_after << " KiB";
    expect_still_serving();
}

TEST_F(hostile, an_admitted_upload_gets_100_continue_and_may_exceed_the_plot_body_limit) {
    // 1.5 MB of CSV sent with Content-Length: over server.body_limit_bytes, within the
    // import route's own limit.
    std::string csv = "name,lat,lon,program,notes\n";
    const std::string notes(3900, 'n');
    for (int i = 0; i < 400; ++i) csv += "p" + std::to_string(i) + ",17.0" + std::to_string(1000 + i) + ",99.82,HLM," + notes + "\n";
    ASSERT_GT(csv.size(), 1'500'000u);
    test::http_connection c(port(), 60s);
    c.send_raw("POST /api/v1/imports?format=csv&dry_run=true HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nExpect: 100-continue\r\n" +
               test::admin_authorization() + "Content-Length: " + std::to_string(csv.size()) + "\r\n\r\n");
    EXPECT_EQ(c.read_reply().status, 100);
    c.send_raw(csv);
    const http_reply r = c.read_reply();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["created"], 400);
}

TEST_F(hostile, forged_tokens_are_refused_whether_or_not_the_tile_is_cached) {
    const std::string tile = "/tiles/plots/6/49/28.mvt";
    const int first = http_request(port(), "GET", tile).status;
    ASSERT_TRUE(first == 200 || first == 204);
    ASSERT_EQ(http_request(port(), "GET", tile).status, first); // now from the cache
    expect_problem(http_request(port(), "GET", tile, {}, "Authorization: Bearer pm_forged\r\n"), 401, "cached, forged bearer");
    expect_problem(http_request(port(), "GET", tile + "?token=pm_forged"), 401, "cached, forged ?token=");
    expect_problem(http_request(port(), "GET", "/tiles/plots/7/99/57.mvt?token=pm_forged"), 401, "uncached, forged ?token=");
}

TEST_F(hostile, numbers_nesting_sizes_and_injections_are_refused_or_stored_verbatim) {
    const json before = plot_count();
    const auto post = [&](const std::string& body) { return http_request(port(), "POST", "/api/v1/plots", body, json_type() + test::admin_authorization()); };
    const std::string pin = R"("pin":{"type":"Point","coordinates":[99.82,17.01]})";
    EXPECT_EQ(expect_problem(post(R"({"program":"HLM",)" + pin + R"(,"declared_area_m2":1e308})"), 400, "huge area"),
              "declared_area_m2 must be a number from 0 to 10000000");
    EXPECT_EQ(expect_problem(post(R"({"program":"HLM",)" + pin + R"(,"pin_accuracy_m":1e308})"), 400, "huge accuracy"),
              "pin_accuracy_m must be a number from 0 to 100000");
    expect_problem(post(R"({"program":"HLM","pin":{"type":"Point","coordinates":[1e999,17.01]}})"), 400, "1e999");
    expect_problem(post(std::string(100000, '[')), 400, "deep nesting");
    // A million-vertex boundary is refused by size before anything parses it.
    std::string ring = "[";
    for (int i = 0; i < 1'000'000; ++i) ring += "[99.82,17.01],";
    ring.back() = ']';
    expect_problem(post(R"({"program":"HLM","boundary":{"type":"Polygon","coordinates":[)" + ring + "]}}"), 413, "10^6 vertices");

    // SQL-looking text is data: stored and read back as sent, and filters match it literally.
    const std::string sql = "x'); DROP TABLE plots; --\" OR 1=1";
    const http_reply created = post(json{{"program", "HLM"}, {"name", sql}, {"pin", {{"type", "Point"}, {"coordinates", {99.82, 17.01}}}}}.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = json::parse(created.body)["id"].dump();
    EXPECT_EQ(json::parse(http_request(port(), "GET", "/api/v1/plots/" + id).body)["name"], sql);
    for (const std::string target : {"/api/v1/plots?program=HLM%27%20OR%201%3D1--", "/api/v1/plots?adm1=64%27--",
                                     "/api/v1/plots?q=%25%27%20OR%201%3D1--"}) {
        const http_reply r = http_request(port(), "GET", target);
        ASSERT_EQ(r.status, 200) << target;
        EXPECT_EQ(json::parse(r.body)["number_matched"], 0) << target;
    }
    const http_reply ogc = http_request(port(), "GET", "/collections/plots/items?stage=x%27%20OR%20%271%27%3D%271");
    ASSERT_EQ(ogc.status, 200);
    EXPECT_EQ(json::parse(ogc.body)["numberMatched"], 0);
    expect_problem(http_request(port(), "GET", "/api/v1/plots?limit=1;DROP"), 400, "limit");
    // Path traversal in every spelling finds nothing outside the served files.
    for (const std::string target : {"/assets/../../../../etc/passwd", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                                     "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd", "/embed/%2e%2e%2f%2e%2e%2fetc/passwd",
                                     "/fonts/..%2f..%2f..%2fetc%2fpasswd/0-255.pbf", "/%2e%2e/%2e%2e/etc/passwd"}) {
        const http_reply r = http_request(port(), "GET", target);
        EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status;
        EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
    }
    EXPECT_EQ(expect_problem(http_request(port(), "GET", "/api/v1/plots/1%00"), 400, "NUL"),
              "the request path contains a NUL byte (%00)");
    std::string flood;
    for (int i = 0; i < 3000; ++i) flood += "X-F" + std::to_string(i) + ": y\r\n";
    expect_problem(http_request(port(), "GET", "/healthz", {}, flood), 431, "header flood");
    expect_still_serving();
    EXPECT_EQ(plot_count(), before.get<int>() + 1);
}

TEST(hostile_connections, one_address_cannot_take_every_connection_and_probes_keep_a_reserve) {
    test::temp_dir dir;
    // 40 connections, 8 per address; the last 5 (an eighth) only answer probes.
    test::running_server s(test::fresh_database(dir).string(),
                           {"PLOTMAP_SERVER_MAX_CONNECTIONS=40", "PLOTMAP_SERVER_MAX_CONNECTIONS_PER_ADDRESS=8",
                            "PLOTMAP_SERVER_READ_TIMEOUT_S=5", "PLOTMAP_SERVER_ACCESS_LOG=false"});
    std::vector<std::unique_ptr<test::http_connection>> held;
    for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<test::http_connection>(s.port, 5s, "127.0.0.2"));
    std::this_thread::sleep_for(200ms);
    {
        test::http_connection ninth(s.port, 5s, "127.0.0.2");
        const std::string detail = expect_problem(ninth.read_reply(), 503, "ninth from one address");
        EXPECT_NE(detail.find("server.max_connections_per_address"), std::string::npos) << detail;
        EXPECT_TRUE(ninth.closed_by_peer());
    }
    EXPECT_EQ(http_request(s.port, "GET", "/api/v1/plots?limit=1").status, 200); // another address is served
    // Fill up to 35 open connections from other addresses: the reserve begins at 36.
    for (const char* from : {"127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
        for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<test::http_connection>(s.port, 5s, from));
    }
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<test::http_connection>(s.port, 5s, "127.0.0.6"));
    std::this_thread::sleep_for(200ms);
    {
        test::http_connection c(s.port, 5s, "127.0.0.7");
        c.send_raw("GET /api/v1/plots HTTP/1.1\r\nHost: x\r\n\r\n");
        expect_problem(c.read_reply(), 503, "beyond the unreserved connections");
    }
    std::this_thread::sleep_for(100ms);
    {
        test::http_connection c(s.port, 5s, "127.0.0.7");
        c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(c.read_reply().status, 200);
    }
}

TEST(hostile_connections, idle_and_slow_requests_are_cut_off_read_timeout_after_their_first_byte) {
    test::temp_dir dir;
    test::running_server s(test::fresh_database(dir).string(), {"PLOTMAP_SERVER_READ_TIMEOUT_S=2", "PLOTMAP_SERVER_ACCESS_LOG=false"});
    {
        // A connection that never sends a header is closed without an answer.
        test::http_connection idle(s.port, 4s);
        EXPECT_TRUE(idle.closed_by_peer());
    }
    // A header in two halves and then a body, each within the limit but 2.4 s in all: the
    // deadline does not start again once the header is in.
    test::http_connection slow(s.port, 5s);
    const auto started = std::chrono::steady_clock::now();
    slow.send_raw("POST /api/v1/session HTTP/1.1\r\nHost: x\r\n");
    std::this_thread::sleep_for(1200ms);
    slow.send_raw("Content-Type: application/json\r\nContent-Length: 40\r\n\r\n");
    std::this_thread::sleep_for(1200ms);
    slow.send_raw(R"({"username":"a","password":"bbbbbbbb"})");
    expect_problem(slow.read_reply(), 408, "slow request");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3500ms);
}

TEST(hostile_connections, past_its_queue_the_server_sheds_load_with_503_and_retry_after) {
    test::temp_dir dir;
    // One worker, two requests may wait for it; sign-ins cost an Argon2id hash each (64 MiB,
    // about a tenth of a second), so sixteen at once cannot all wait.
    test::running_server s(test::fresh_database(dir).string(),
                           {"PLOTMAP_SERVER_WORKER_THREADS=1", "PLOTMAP_SERVER_MAX_QUEUED_REQUESTS=2", "PLOTMAP_SERVER_REQUESTS_PER_S=0",
                            "PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_ADDRESS=1000", "PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_USER=1000",
                            "PLOTMAP_SERVER_ACCESS_LOG=false"});
    std::vector<int> statuses(16);
    std::vector<std::string> retry(16);
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        clients.emplace_back([&, i] {
            const http_reply r = http_request(s.port, "POST", "/api/v1/session", R"({"username":"nobody","password":"wrong-password"})",
                                              json_type());
            statuses[i] = r.status;
            if (r.headers.count("retry-after")) retry[i] = r.headers.at("retry-after");
        });
    }
    for (auto& c : clients) c.join();
    int shed = 0;
    int answered = 0;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        EXPECT_TRUE(statuses[i] == 401 || statuses[i] == 503) << statuses[i];
        if (statuses[i] == 503) {
            ++shed;
            EXPECT_EQ(retry[i], "1");
        }
        if (statuses[i] == 401) ++answered;
    }
    EXPECT_GT(shed, 0);
    EXPECT_GE(answered, 1);
    EXPECT_EQ(http_request(s.port, "GET", "/healthz").status, 200);
}
