// The plot API through the real server: concurrent editors and retrying offline creators.

#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

using namespace plotmap;
using nlohmann::json;
using test::http_request;

namespace {

class plots_http : public ::testing::Test {
protected:
    void SetUp() override {
        db = test::fresh_database(dir).string();
        start_server();
    }

    void start_server() {
        server = std::make_unique<test::running_server>(db, std::vector<std::string>{"PLOTMAP_SERVER_ACCESS_LOG=false"});
        port = server->port;
    }

    static std::string plot_body(const std::string& uid, double lon) {
        char boundary[256];
        std::snprintf(boundary, sizeof boundary,
                      R"({"type":"Polygon","coordinates":[[[%.6f,17.0078],[%.6f,17.0078],[%.6f,17.0081],[%.6f,17.0081],[%.6f,17.0078]]]})",
                      lon, lon + 0.0003, lon + 0.0003, lon, lon);
        return R"({"uid":")" + uid + R"(","program":"HLM","boundary":)" + boundary + "}";
    }

    test::temp_dir dir;
    std::string db;
    std::unique_ptr<test::running_server> server;
    unsigned short port = 0;
};

/// The fixture admin's API token as a header line.

/// A JSON body sent as the fixture admin.
std::string json_header() { return "Content-Type: application/json\r\n" + test::admin_authorization(); }

} // namespace

TEST_F(plots_http, two_editors_of_the_same_version_one_wins_one_gets_412) {
    for (int round = 0; round < 10; ++round) {
        const auto created = http_request(port, "POST", "/api/v1/plots", plot_body(
            "00000000-0000-4000-8000-" + std::string(11, '0') + std::to_string(round), 99.823 + 0.001 * round), json_header());
        ASSERT_EQ(created.status, 201) << created.body;
        const std::string url = "/api/v1/plots/" + std::to_string(json::parse(created.body)["id"].get<int>());
        std::array<int, 2> status{};
        std::array<std::thread, 2> editors;
        for (int e = 0; e < 2; ++e) {
            editors[static_cast<std::size_t>(e)] = std::thread([&, e] {
                const std::string stage = e == 0 ? "digging" : "planting";
                status[static_cast<std::size_t>(e)] =
                    http_request(port, "PATCH", url, R"({"stage":")" + stage + R"("})", json_header() + "If-Match: \"1\"\r\n").status;
            });
        }
        for (auto& t : editors) t.join();
        std::sort(status.begin(), status.end());
        EXPECT_EQ(status, (std::array<int, 2>{200, 412})) << "round " << round;
        const json now = json::parse(http_request(port, "GET", url).body);
        EXPECT_EQ(now["version"], 2);
        EXPECT_EQ(json::parse(http_request(port, "GET", url + "/history", {}, test::admin_authorization()).body)["versions"].size(), 2u);
    }
}

TEST_F(plots_http, twenty_concurrent_creators_with_retries_make_no_duplicates_and_lose_nothing) {
    constexpr int creators = 20;
    std::array<std::set<int>, creators> ids_seen;
    std::array<int, creators> created{};
    std::vector<std::thread> threads;
    for (int c = 0; c < creators; ++c) {
        threads.emplace_back([&, c] {
            char uid[40];
            std::snprintf(uid, sizeof uid, "6f1d2c3b-4a59-4e8d-9c7b-%012d", c);
            const std::string body = plot_body(uid, 99.823 + 0.0005 * c);
            // An offline phone retries: the same upload three times, the last two at once.
            for (int attempt = 0; attempt < 2; ++attempt) {
                const auto r = http_request(port, "POST", "/api/v1/plots", body, json_header());
                if (r.status == 201) ++created[static_cast<std::size_t>(c)];
                if (r.status == 200 || r.status == 201) ids_seen[static_cast<std::size_t>(c)].insert(json::parse(r.body)["id"].get<int>());
            }
            std::thread twin([&] {
                const auto r = http_request(port, "POST", "/api/v1/plots", body, json_header());
                if (r.status == 201) ++created[static_cast<std::size_t>(c)];
            });
            const auto r = http_request(port, "POST", "/api/v1/plots", body, json_header());
            twin.join();
            if (r.status == 200 || r.status == 201) ids_seen[static_cast<std::size_t>(c)].insert(json::parse(r.body)["id"].get<int>());
        });
    }
    for (auto& t : threads) t.join();
    std::set<int> all;
    for (int c = 0; c < creators; ++c) {
        EXPECT_EQ(created[static_cast<std::size_t>(c)], 1) << "creator " << c;
        EXPECT_EQ(ids_seen[static_cast<std::size_t>(c)].size(), 1u) << "creator " << c;
        all.insert(ids_seen[static_cast<std::size_t>(c)].begin(), ids_seen[static_cast<std::size_t>(c)].end());
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(creators));
    const json list = json::parse(http_request(port, "GET", "/api/v1/plots?limit=1000").body);
    EXPECT_EQ(list["number_matched"], creators);
    // Codes were numbered per subdistrict without gaps or repeats, whatever the interleaving.
    std::map<std::string, std::vector<int>> sequences;
    for (const auto& p : list["plots"]) {
        const std::string code = p["code"];
        EXPECT_EQ(code.substr(0, 6), p["adm3"]);
        sequences[code.substr(0, 6)].push_back(std::stoi(code.substr(7)));
    }
    std::size_t total = 0;
    for (auto& [adm3, seq] : sequences) {
        std::sort(seq.begin(), seq.end());
        for (std::size_t i = 0; i < seq.size(); ++i) EXPECT_EQ(seq[i], static_cast<int>(i) + 1) << adm3;
        total += seq.size();
    }
    EXPECT_EQ(total, static_cast<std::size_t>(creators));
}

TEST_F(plots_http, acknowledged_writes_survive_kill_9) {
    std::vector<int> ids;
    for (int i = 0; i < 10; ++i) {
        char uid[40];
        std::snprintf(uid, sizeof uid, "a1b2c3d4-0000-4000-8000-%012d", i);
        const auto r = http_request(port, "POST", "/api/v1/plots", plot_body(uid, 99.823 + 0.0005 * i), json_header());
        ASSERT_EQ(r.status, 201);
        ids.push_back(json::parse(r.body)["id"].get<int>());
    }
    server->process.send_signal(SIGKILL);
    ASSERT_EQ(server->process.wait(std::chrono::seconds(10)), 128 + SIGKILL);
    start_server(); // same database, new process
    for (const int id : ids) EXPECT_EQ(http_request(port, "GET", "/api/v1/plots/" + std::to_string(id)).status, 200) << id;
}

TEST_F(plots_http, api_round_trip_and_bad_input_through_the_socket) {
    const auto created = http_request(port, "POST", "/api/v1/plots",
                                      R"({"program":"CLM","crs":"EPSG:32647","declared_area_rai":"1-0-0","boundary":{"type":"Polygon",
        "coordinates":[[[588470,1880084],[588510,1880084],[588510,1880124],[588470,1880124],[588470,1880084]]]}})",
                                      json_header());
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_EQ(created.headers.at("etag"), "\"1\"");
    const json p = json::parse(created.body);
    EXPECT_EQ(p["adm3"], "640101");
    // 40 m x 40 m on the UTM grid is not 1600 m² on the ellipsoid: the grid's scale factor
    // here is about 1.0003, and plotmap measures on the ellipsoid.
    EXPECT_NEAR(p["area_m2"].get<double>(), 1600.0, 2.0);
    EXPECT_NE(p["area_m2"].get<double>(), 1600.0);
    const std::string url = created.headers.at("location");
    const auto utm = json::parse(http_request(port, "GET", url + "?crs=EPSG:32647").body);
    EXPECT_NEAR(utm["boundary"]["coordinates"][0][0][0].get<double>(), 588470.0, 0.001);
    const auto patched = http_request(port, "PATCH", url, R"({"stage":"complete"})",
                                      "Content-Type: application/merge-patch+json\r\nIf-Match: \"1\"\r\n" + test::admin_authorization());
    EXPECT_EQ(patched.status, 200);
    EXPECT_EQ(json::parse(http_request(port, "GET", url + "/history", {}, test::admin_authorization()).body)["versions"][1]["changes"]["stage"],
              json::array({"surveyed", "complete"}));
    for (const std::string bad : {R"({"program":"HLM","boundary":{"type":"Polygon","coordinates":[[[1,2],[3,4]]]}})",
                                  R"({"program":"HLM","pin":{"type":"Point","coordinates":[NaN,1]}})", "[[[[[[",
                                  R"({"program":"HLM","pin":{"type":"Point","coordinates":[2.35,48.85]}})"}) {
        auto r = http_request(port, "POST", "/api/v1/plots", bad, json_header());
        EXPECT_TRUE(r.status == 400 || r.status == 422) << bad << " -> " << r.status;
        EXPECT_EQ(r.headers["content-type"], "application/problem+json");
    }
    EXPECT_EQ(json::parse(http_request(port, "GET", "/api/v1/plots").body)["number_matched"], 1);
    EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
}

TEST_F(plots_http, a_retry_with_the_same_idempotency_key_gets_the_first_answer_not_a_conflict) {
    const auto created = http_request(port, "POST", "/api/v1/plots", plot_body("00000000-0000-4000-8000-0000000000aa", 99.823),
                                      json_header() + "Idempotency-Key: \"create-1\"\r\n");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto created_again = http_request(port, "POST", "/api/v1/plots", plot_body("00000000-0000-4000-8000-0000000000aa", 99.823),
                                            json_header() + "Idempotency-Key: \"create-1\"\r\n");
    EXPECT_EQ(created_again.status, 201);
    EXPECT_EQ(created_again.body, created.body);
    EXPECT_EQ(created_again.headers.at("idempotent-replayed"), "true");
    const std::string url = "/api/v1/plots/" + std::to_string(json::parse(created.body)["id"].get<int>());

    // An edit whose answer was lost: the retry (same key, same If-Match) gets that answer,
    // not a 412 against the version it made itself.
    const std::string edit_headers = json_header() + "If-Match: \"1\"\r\nIdempotency-Key: edit-1\r\n";
    const auto edited = http_request(port, "PATCH", url, R"({"stage":"digging"})", edit_headers);
    ASSERT_EQ(edited.status, 200) << edited.body;
    const auto retried = http_request(port, "PATCH", url, R"({"stage":"digging"})", edit_headers);
    EXPECT_EQ(retried.status, 200) << retried.body;
    EXPECT_EQ(retried.headers.at("etag"), "\"2\"");
    EXPECT_EQ(retried.body, edited.body);
    // Without the key the same request is, rightly, a conflict.
    EXPECT_EQ(http_request(port, "PATCH", url, R"({"stage":"digging"})", json_header() + "If-Match: \"1\"\r\n").status, 412);
    // The key on a different request is refused; a malformed key too.
    EXPECT_EQ(http_request(port, "PATCH", url, R"({"stage":"planting"})", edit_headers).status, 422);
    EXPECT_EQ(http_request(port, "PATCH", url, R"({"stage":"planting"})", json_header() + "If-Match: \"2\"\r\nIdempotency-Key: \"\"\r\n").status, 400);
    // A refusal is an answer too: replayed, not run again.
    const std::string bad = json_header() + "If-Match: \"2\"\r\nIdempotency-Key: bad-1\r\n";
    const auto refused = http_request(port, "PATCH", url, R"({"stage":"flying"})", bad);
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(http_request(port, "PATCH", url, R"({"stage":"flying"})", bad).headers.at("idempotent-replayed"), "true");
    const json now = json::parse(http_request(port, "GET", url).body);
    EXPECT_EQ(now["version"], 2);
    EXPECT_EQ(json::parse(http_request(port, "GET", url + "/history", {}, test::admin_authorization()).body)["versions"].size(), 2u);
}
