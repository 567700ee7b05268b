// Several `plotmap serve` processes on one PostgreSQL + PostGIS database, alone and behind
// nginx (tests/e2e/nginx-test.conf): an edit through one is in the next tile and item from
// the other, sessions and tokens made on one work on the other, and killing one mid-load
// loses no acknowledged write while the other goes on serving; when the database drops every
// connection (a restart), the servers make theirs again and go on.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "geo/tile_math.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

using namespace plotmap;
using namespace std::chrono_literals;
using nlohmann::json;
using test::http_reply;

namespace {

const std::vector<std::string> quiet{"PLOTMAP_SERVER_ACCESS_LOG=false", "PLOTMAP_SERVER_REQUESTS_PER_S=0"};

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }

/// A plot pinned at (lon, lat) by the fixture admin through the server on `port`.
http_reply create_plot(unsigned short port, double lon, double lat, const std::string& uid) {
    const json body{{"uid", uid}, {"program", "HLM"}, {"pin", {{"type", "Point"}, {"coordinates", {lon, lat}}}}};
    return test::http_request(port, "POST", "/api/v1/plots", body.dump(),
                              "Content-Type: application/json\r\n" + test::admin_authorization());
}

unsigned short free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

/// nginx from tests/e2e/nginx-test.conf in front of two servers, in the foreground, allowing
/// each client address `rate` requests a second and `burst` at once.
struct nginx_front {
    nginx_front(unsigned short a, unsigned short b, int rate = 10000, int burst = 10000) : port(free_port()) {
        std::ifstream in(std::string(PLOTMAP_SOURCE_DIR) + "/tests/e2e/nginx-test.conf");
        std::stringstream text;
        text << in.rdbuf();
        std::string conf = text.str();
        const auto put = [&](const std::string& key, const std::string& value) {
            for (std::size_t at = conf.find(key); at != std::string::npos; at = conf.find(key, at + value.size())) conf.replace(at, key.size(), value);
        };
        put("@DIR@", dir.path().string());
        put("@A@", std::to_string(a));
        put("@B@", std::to_string(b));
        put("@PORT@", std::to_string(port));
        put("@RATE@", std::to_string(rate));
        put("@BURST@", std::to_string(burst));
        std::ofstream(dir / "nginx.conf") << conf;
        process = std::make_unique<test::child_process>(std::vector<std::string>{"/usr/sbin/nginx", "-p", dir.path().string(), "-c",
                                                                                 (dir / "nginx.conf").string(), "-e",
                                                                                 (dir / "error.log").string()});
        for (int i = 0; i < 100; ++i) { // bounded: 5 s for nginx to listen
            try {
                if (test::http_request(port, "GET", "/tiles/plots.json").status == 200) return;
            } catch (const std::runtime_error&) {
                // not listening yet
            }
            std::this_thread::sleep_for(50ms);
        }
        throw std::runtime_error("nginx did not start: " + process->output());
    }
    test::temp_dir dir;
    unsigned short port;
    std::unique_ptr<test::child_process> process;
};

class scale_out : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::fixture_backend() != data::backend::postgresql) GTEST_SKIP() << "several servers share a PostgreSQL database";
        db = test::fresh_database(dir).string();
        a = std::make_unique<test::running_server>(db, quiet);
        b = std::make_unique<test::running_server>(db, quiet);
    }
    test::temp_dir dir;
    std::string db;
    std::unique_ptr<test::running_server> a;
    std::unique_ptr<test::running_server> b;
};

} // namespace

TEST_F(scale_out, an_edit_through_one_server_is_in_the_next_tile_and_item_from_the_other) {
    // A tile of Mueang Sukhothai at zoom 14, cached by B before anything is in it.
    const double lon = 99.8230;
    const double lat = 17.0078;
    const geo::tile_id t = geo::tile_containing({lon, lat}, 14);
    const std::string tile = "/tiles/plots/14/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt";
    const http_reply empty = test::http_request(b->port, "GET", tile);
    ASSERT_EQ(empty.status, 204) << empty.body;
    ASSERT_EQ(test::http_request(b->port, "GET", tile).status, 204); // from B's cache now

    // Five edits, each in B's tile as soon as B has heard of it: the notification is sent at
    // A's commit, so nearly always before the client's next request reaches B; on a loaded
    // machine B's listener thread may wake a little later. Bounded: 2 s per edit. Without
    // the notifications B's cached tile never changes (tried).
    long long worst_ms = 0;
    int immediate = 0;
    for (int i = 0; i < 5; ++i) {
        const http_reply made = create_plot(a->port, lon + i * 0.0002, lat, "6b1c0de0-0000-4000-8000-00000000000" + std::to_string(i));
        ASSERT_EQ(made.status, 201) << made.body;
        const json plot = json::parse(made.body);
        const std::string code = plot["code"];
        const auto made_at = std::chrono::steady_clock::now();
        http_reply seen;
        for (int tries = 0; tries < 100; ++tries) {
            seen = test::http_request(b->port, "GET", tile);
            if (seen.status == 200 && seen.body.find(code) != std::string::npos) {
                immediate += tries == 0 ? 1 : 0;
                break;
            }
            std::this_thread::sleep_for(20ms);
        }
        worst_ms = std::max<long long>(worst_ms, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - made_at).count());
        ASSERT_EQ(seen.status, 200) << "edit " << i;
        EXPECT_NE(seen.body.find(code), std::string::npos) << "B's tile lacks " << code << " made through A, after 2 s";
        const http_reply item = test::http_request(b->port, "GET", "/collections/pins/items/" + std::to_string(plot["id"].get<long long>()));
        EXPECT_EQ(item.status, 200) << item.body;
    }
    std::cout << "[ scale_out ] " << immediate << " of 5 edits in B's very next tile; the slowest seen after " << worst_ms << " ms" << std::endl;
}

TEST_F(scale_out, servers_whose_database_connections_drop_make_them_again_and_go_on) {
    const double lon = 99.8230;
    const double lat = 17.0078;
    const geo::tile_id t = geo::tile_containing({lon, lat}, 14);
    const std::string tile = "/tiles/plots/14/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt";
    ASSERT_EQ(test::http_request(b->port, "GET", tile).status, 204); // cached by B
    ASSERT_EQ(test::http_request(a->port, "GET", "/collections/plots/items?limit=1", "", test::admin_authorization()).status, 200);

    // As a database restart does: every session of both servers ends, B's listener's too.
    {
        data::connection admin(db, data::connection::mode::read_write);
        admin.exec("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    }
    // Reads and writes on either server go on at once: each pooled connection sees that it was
    // closed before it sends its next command, and is made again.
    const http_reply listed = test::http_request(a->port, "GET", "/collections/plots/items?limit=1", "", test::admin_authorization());
    EXPECT_EQ(listed.status, 200) << listed.body;
    const http_reply made = create_plot(a->port, lon, lat, "6b1c0de0-0000-4000-8000-0000000000aa");
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string code = json::parse(made.body)["code"];
    const http_reply item = test::http_request(b->port, "GET", "/collections/pins/items/" + std::to_string(json::parse(made.body)["id"].get<long long>()));
    EXPECT_EQ(item.status, 200) << item.body;

    // B listens again (its listener reconnects within a few hundred ms) and drops its cached
    // tiles on doing so: the new plot is in B's tile. Bounded: 5 s.
    http_reply seen;
    for (int tries = 0; tries < 100; ++tries) {
        seen = test::http_request(b->port, "GET", tile);
        if (seen.status == 200 && seen.body.find(code) != std::string::npos) break;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(seen.status, 200);
    EXPECT_NE(seen.body.find(code), std::string::npos) << "B's tile lacks the plot made after the connections dropped";
}

TEST_F(scale_out, sessions_and_tokens_made_on_one_server_work_on_the_other) {
    const http_reply signed_in = test::http_request(a->port, "POST", "/api/v1/session",
                                                    json{{"username", "admin"}, {"password", test::admin_credentials().password}}.dump(),
                                                    "Content-Type: application/json\r\n");
    ASSERT_EQ(signed_in.status, 201) << signed_in.body;
    const std::string cookie = signed_in.headers.at("set-cookie").substr(0, signed_in.headers.at("set-cookie").find(';'));
    const std::string csrf = json::parse(signed_in.body).at("csrf_token");
    const http_reply me = test::http_request(b->port, "GET", "/api/v1/session", {}, "Cookie: " + cookie + "\r\n");
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(json::parse(me.body)["username"], "admin");

    const http_reply token = test::http_request(b->port, "POST", "/api/v1/tokens", R"({"name":"made on B"})",
                                                "Content-Type: application/json\r\nCookie: " + cookie + "\r\nX-CSRF-Token: " + csrf +
                                                    "\r\nOrigin: http://127.0.0.1:" + std::to_string(b->port) + "\r\n");
    ASSERT_EQ(token.status, 201) << token.body;
    const std::string made = json::parse(token.body)["token"];
    EXPECT_EQ(test::http_request(a->port, "GET", "/api/v1/session", {}, bearer(made)).status, 200);

    // Signing out on B ends the session on A too.
    EXPECT_EQ(test::http_request(b->port, "DELETE", "/api/v1/session", {},
                                 "Cookie: " + cookie + "\r\nX-CSRF-Token: " + csrf + "\r\nOrigin: http://127.0.0.1:" + std::to_string(b->port) + "\r\n")
                  .status,
              204);
    EXPECT_EQ(test::http_request(a->port, "GET", "/api/v1/session", {}, "Cookie: " + cookie + "\r\n").status, 401);
}

TEST_F(scale_out, behind_nginx_one_server_killed_mid_load_loses_no_acknowledged_write) {
    nginx_front front(a->port, b->port);
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; !stop && i < 2000; ++i) {
                char uid[40];
                std::snprintf(uid, sizeof uid, "7c2d0000-%04d-4000-8000-%012d", w, i);
                const http_reply r = create_plot(front.port, 99.80 + w * 0.01 + (i % 40) * 0.0003, 17.00 + (i / 40) * 0.0003, uid);
                if (r.status == 201) {
                    const std::lock_guard lock(mutex);
                    acknowledged.emplace_back(uid);
                }
            }
        });
    }
    std::this_thread::sleep_for(700ms);
    a->process.send_signal(SIGKILL);
    ASSERT_EQ(a->process.wait(10s), 128 + SIGKILL);
    std::this_thread::sleep_for(700ms); // writes go on, through B
    stop = true;
    for (std::thread& t : writers) t.join();

    ASSERT_GT(acknowledged.size(), 20u) << "too few writes to test anything";
    for (const std::string& uid : acknowledged) {
        EXPECT_EQ(test::sql_count(db, "SELECT count(*) FROM plots WHERE uid = '" + uid + "'"), 1) << uid;
    }
    // Every acknowledged plot reads back through nginx (now B alone), which goes on serving.
    const std::int64_t stored = test::sql_count(db, "SELECT count(*) FROM plots");
    EXPECT_GE(stored, static_cast<std::int64_t>(acknowledged.size()));
    const http_reply page = test::http_request(front.port, "GET", "/collections/pins/items?limit=1");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(json::parse(page.body)["numberMatched"], stored);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(test::http_request(front.port, "GET", "/healthz").status, 200);
    std::cout << "[ scale_out ] " << acknowledged.size() << " acknowledged writes through nginx, one of two servers killed" << std::endl;
}

TEST_F(scale_out, sign_in_limits_hold_across_the_servers_and_their_restarts) {
    // Each server would allow a name three guesses and an address five attempts; so do both.
    std::vector<std::string> env = quiet;
    env.insert(env.end(), {"PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_USER=3", "PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_ADDRESS=5"});
    a = std::make_unique<test::running_server>(db, env);
    b = std::make_unique<test::running_server>(db, env);
    const auto sign_in = [](unsigned short port, const std::string& name, const std::string& password) {
        return test::http_request(port, "POST", "/api/v1/session", json{{"username", name}, {"password", password}}.dump(),
                                  "Content-Type: application/json\r\n");
    };
    EXPECT_EQ(sign_in(a->port, "admin", "guess-1").status, 401);
    EXPECT_EQ(sign_in(b->port, "admin", "guess-2").status, 401);
    EXPECT_EQ(sign_in(a->port, "ADMIN", "guess-3").status, 401);
    const http_reply locked = sign_in(b->port, "admin", test::admin_credentials().password);
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_GT(std::stoi(locked.headers.at("retry-after")), 0);
    EXPECT_NE(json::parse(locked.body)["detail"].get<std::string>().find("too many failed sign-ins for \"admin\""), std::string::npos);
    // A restarted server remembers them.
    a = std::make_unique<test::running_server>(db, env);
    EXPECT_EQ(sign_in(a->port, "admin", test::admin_credentials().password).status, 429);
    // The address has made three counted attempts (refusals are not counted): two more,
    // through either server, and both refuse it.
    EXPECT_EQ(sign_in(b->port, "nobody", "x").status, 401);
    EXPECT_EQ(sign_in(a->port, "somebody", "x").status, 401);
    for (const unsigned short port : {a->port, b->port}) {
        const http_reply address = sign_in(port, "anybody", "x");
        EXPECT_EQ(address.status, 429);
        EXPECT_NE(json::parse(address.body)["detail"].get<std::string>().find("from your address"), std::string::npos);
    }
}

TEST_F(scale_out, behind_nginx_the_request_rate_of_an_address_is_held_across_the_servers) {
    // 2 a second, 4 at once, for the two servers together (each server's own limit is off).
    nginx_front front(a->port, b->port, 2, 4);
    int served = 0;
    std::vector<http_reply> refused;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 12; ++i) {
        const http_reply r = test::http_request(front.port, "GET", "/collections/pins/items?limit=1");
        if (r.status == 200) ++served;
        if (r.status == 429) refused.push_back(r);
    }
    // The burst and the first request, and one more for each half second the requests took.
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(served, 5);
    EXPECT_LE(served, 5 + static_cast<int>(took * 2) + 1) << took << " s";
    ASSERT_FALSE(refused.empty()) << took << " s";
    ASSERT_EQ(static_cast<int>(refused.size()), 12 - served);
    EXPECT_EQ(refused.back().headers.at("content-type"), "application/problem+json");
    EXPECT_EQ(refused.back().headers.at("retry-after"), "1");
    EXPECT_EQ(json::parse(refused.back().body)["status"], 429);
    // Map tiles have a rate of their own (an empty tile is a 204).
    const int tile = test::http_request(front.port, "GET", "/tiles/plots/0/0/0.mvt").status;
    EXPECT_TRUE(tile == 200 || tile == 204) << tile;
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(test::http_request(front.port, "GET", "/collections/pins/items?limit=1").status, 200);
}

TEST(nginx_config, the_deployment_config_in_the_repository_is_valid) {
    // config/nginx/plotmap.conf as it would be included from nginx.conf's http block.
    const test::temp_dir dir;
    std::ofstream(dir / "nginx.conf") << "pid " << (dir / "nginx.pid").string() << ";\nevents {}\nhttp {\n    include " << PLOTMAP_SOURCE_DIR
                                      << "/config/nginx/plotmap.conf;\n}\n";
    test::child_process check({"/usr/sbin/nginx", "-t", "-p", dir.path().string(), "-c", (dir / "nginx.conf").string(), "-e",
                               (dir / "error.log").string()});
    EXPECT_EQ(check.wait(10s), 0) << check.output();
}
