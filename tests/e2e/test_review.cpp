// Verification through the real server (docs/review.md): the steps by role and scope with the
// statuses a client gets (403, 409 with the allowed steps, 412, 428, 400), the plot's review
// page (checklist, steps), the queue, and the state everywhere else: plot JSON, the list
// filter, OGC API items with a CQL2 filter, vector tiles (read by GDAL's MVT driver), CSV
// exports, the stats' by_review and the monthly report, each against SQL on the same file.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <numbers>

namespace plotmap {
namespace {

using nlohmann::json;

using test::sql_count;

class review_e2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(test::demo_database(*dir, 1500).string());
        tokens = new std::map<std::string, std::string>;
        for (const auto& [name, role, scope] : {std::tuple{"officer", "staff", "6401"}, std::tuple{"officer2", "staff", "6401"},
                                                std::tuple{"sup", "supervisor", "64"}, std::tuple{"viewer", "viewer", "64"},
                                                std::tuple{"sup50", "supervisor", "50"}}) {
            const auto added = test::run_command({PLOTMAP_BINARY, "user", "add", "--db", *db, "--username", name, "--role", role, "--scope",
                                                  scope, "--password-stdin"},
                                                 std::chrono::minutes(1), {}, std::string(name) + "-password\n");
            if (added.exit_code != 0) throw std::runtime_error(added.output);
            // A read-only token for the viewer (viewers cannot have others).
            std::vector<std::string> args{PLOTMAP_BINARY, "token", "create", "--db", *db, "--username", name};
            if (std::string(role) != "viewer") args.emplace_back("--write");
            const auto made = test::run_command(args);
            if (made.exit_code != 0) throw std::runtime_error(made.output);
            (*tokens)[name] = test::token_in(made.output);
        }
        server = new test::running_server(*db, {"PLOTMAP_SERVER_REQUESTS_PER_S=0"});
    }
    static void TearDownTestSuite() {
        delete server;
        delete tokens;
        delete db;
        delete dir;
    }

    static std::string as(const std::string& who) { return "Authorization: Bearer " + tokens->at(who) + "\r\n"; }
    static test::http_reply get(const std::string& target, const std::string& who) {
        return test::http_request(server->port, "GET", target, {}, who.empty() ? "" : as(who));
    }
    static json get_json(const std::string& target, const std::string& who = "sup") {
        const test::http_reply r = get(target, who);
        EXPECT_EQ(r.status, 200) << target << ": " << r.body;
        return json::parse(r.body);
    }
    /// POST /review as `who` on `version` (none: no If-Match).
    static test::http_reply review(std::int64_t id, const std::string& who, const json& body, std::optional<std::int64_t> version) {
        std::string headers = as(who) + "Content-Type: application/json\r\n";
        if (version) headers += "If-Match: \"" + std::to_string(*version) + "\"\r\n";
        return test::http_request(server->port, "POST", "/api/v1/plots/" + std::to_string(id) + "/review", body.dump(), headers);
    }
    /// A plot of district 6401 not yet reviewed, fresh from the API.
    static json unchecked_plot(int skip = 0) {
        const json page = get_json("/api/v1/plots?adm2=6401&review_state=unchecked&limit=20");
        return page["plots"].at(static_cast<std::size_t>(skip));
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline std::map<std::string, std::string>* tokens = nullptr;
    static inline test::running_server* server = nullptr;
};

TEST_F(review_e2e, steps_by_role_and_scope_with_the_statuses_a_client_gets) {
    const json p = unchecked_plot();
    const std::int64_t id = p["id"];
    std::int64_t v = p["version"];
    // Approving an unchecked plot: 409 naming what is allowed.
    test::http_reply r = review(id, "sup", {{"action", "approve"}}, v);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(json::parse(r.body)["allowed"], json::array({"submit"}));
    // No If-Match 428; a stale one 412; nonsense 400; a viewer 403; nobody 401.
    EXPECT_EQ(review(id, "officer", {{"action", "submit"}}, std::nullopt).status, 428);
    EXPECT_EQ(review(id, "officer", {{"action", "submit"}}, v + 5).status, 412);
    for (const json& bad : {json{{"action", "accept"}}, json{{"action", "submit"}, {"colour", "red"}}, json{{"reasons", {{"deed_no", "x"}}}},
                            json{{"action", "send_back"}}, json{{"action", "send_back"}, {"reasons", {{"deed_no", 5}}}},
                            json{{"action", "approve"}, {"checks", {{"deed_document", "yes"}}}}}) {
        const test::http_reply refused = review(id, "sup", bad, v);
        EXPECT_EQ(refused.status, 400) << bad.dump() << ": " << refused.body;
        EXPECT_EQ(refused.headers.at("content-type"), "application/problem+json");
    }
    EXPECT_EQ(review(id, "viewer", {{"action", "submit"}}, v).status, 403);
    EXPECT_EQ(test::http_request(server->port, "POST", "/api/v1/plots/" + std::to_string(id) + "/review", R"({"action":"submit"})",
                                 "Content-Type: application/json\r\nIf-Match: \"" + std::to_string(v) + "\"\r\n")
                  .status,
              401);
    // The officer submits: a new version, the ETag, the state in the plot's JSON.
    r = review(id, "officer", {{"action", "submit"}, {"note", "โฉนดครบ ภาพครบ"}}, v);
    ASSERT_EQ(r.status, 200) << r.body;
    const json submitted = json::parse(r.body);
    EXPECT_EQ(submitted["review_state"], "submitted");
    EXPECT_EQ(submitted["submitted_by"], "officer");
    EXPECT_EQ(r.headers.at("etag"), "\"" + std::to_string(v + 1) + "\"");
    v = submitted["version"];
    // Another officer cannot approve; a supervisor of another province cannot either.
    EXPECT_EQ(review(id, "officer2", {{"action", "approve"}}, v).status, 403);
    EXPECT_EQ(review(id, "sup50", {{"action", "approve"}}, v).status, 403);
    // The supervisor sees the checklist and may approve or send back.
    const json page = get_json("/api/v1/plots/" + std::to_string(id) + "/review");
    EXPECT_EQ(page["state"], "submitted");
    EXPECT_EQ(page["allowed"], json::array({"approve", "send_back"}));
    std::vector<std::string> keys;
    for (const auto& item : page["checklist"]) keys.push_back(item["key"]);
    EXPECT_EQ(keys, (std::vector<std::string>{"deed", "area", "subdistrict", "overlap", "photo", "deed_document", "boundary_on_imagery"}));
    ASSERT_EQ(page["steps"].size(), 1u);
    EXPECT_EQ(page["steps"][0]["action"], "submit");
    EXPECT_EQ(page["steps"][0]["note"], "โฉนดครบ ภาพครบ");
    EXPECT_EQ(get_json("/api/v1/plots/" + std::to_string(id) + "/review", "officer")["allowed"], json::array());
    EXPECT_EQ(get("/api/v1/plots/" + std::to_string(id) + "/review", "sup50").status, 403);
    // Sent back with reasons; they are in the timeline, and not in the public history.
    r = review(id, "sup", {{"action", "send_back"}, {"reasons", {{"deed_no", "เลขที่ไม่ตรงกับภาพถ่ายโฉนด"}}}}, v);
    ASSERT_EQ(r.status, 200) << r.body;
    v = json::parse(r.body)["version"];
    const json timeline = get_json("/api/v1/plots/" + std::to_string(id) + "/timeline", "officer");
    bool seen = false;
    for (const auto& e : timeline["entries"]) {
        if (e["kind"] == "review" && e["details"]["review"]["action"] == "send_back") {
            seen = true;
            EXPECT_EQ(e["details"]["review"]["reasons"]["deed_no"], "เลขที่ไม่ตรงกับภาพถ่ายโฉนด");
        }
    }
    EXPECT_TRUE(seen) << timeline.dump();
    const test::http_reply history = test::http_request(server->port, "GET", "/api/v1/plots/" + std::to_string(id) + "/history", {}, as("sup50"));
    EXPECT_EQ(history.body.find("เลขที่ไม่ตรง"), std::string::npos); // out of scope: no reasons
    // The officer's list of plots sent back, with the reasons.
    const json mine = get_json("/api/v1/reviews?state=needs_fix", "officer");
    bool listed = false;
    for (const auto& q : mine["plots"]) listed = listed || (q["id"] == id && q["review"]["reasons"]["deed_no"].is_string());
    EXPECT_TRUE(listed) << mine.dump();
    // Fixed and submitted again, approved; an edit of the deed number returns it to review.
    r = review(id, "officer", {{"action", "submit"}}, v);
    ASSERT_EQ(r.status, 200) << r.body;
    r = review(id, "sup", {{"action", "approve"}, {"checks", {{"deed_document", true}}}}, json::parse(r.body)["version"].get<std::int64_t>());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(review(id, "sup", {{"action", "approve"}}, json::parse(r.body)["version"].get<std::int64_t>()).status, 409);
    const test::http_reply edited = test::http_request(
        server->port, "PATCH", "/api/v1/plots/" + std::to_string(id), R"({"deed_no":"99999"})",
        as("officer") + "Content-Type: application/merge-patch+json\r\nIf-Match: \"" + json::parse(r.body)["version"].dump() + "\"\r\n");
    ASSERT_EQ(edited.status, 200) << edited.body;
    const json after = json::parse(edited.body);
    EXPECT_EQ(after["review_state"], "submitted");
    bool warned = false;
    for (const auto& w : after["warnings"]) warned = warned || w["code"] == "review_returned";
    EXPECT_TRUE(warned) << edited.body;
    // review_state cannot be set by an edit.
    const test::http_reply sneaky = test::http_request(
        server->port, "PATCH", "/api/v1/plots/" + std::to_string(id), R"({"review_state":"approved"})",
        as("officer") + "Content-Type: application/merge-patch+json\r\nIf-Match: \"" + after["version"].dump() + "\"\r\n");
    EXPECT_EQ(json::parse(sneaky.body).value("review_state", ""), "submitted") << sneaky.body;
}

TEST_F(review_e2e, the_state_everywhere_else_equals_sql) {
    // Two plots approved, one waiting: through the API.
    for (int i = 0; i < 3; ++i) {
        const json p = unchecked_plot();
        test::http_reply r = review(p["id"], "officer", {{"action", "submit"}}, p["version"].get<std::int64_t>());
        ASSERT_EQ(r.status, 200) << r.body;
        if (i < 2) {
            r = review(p["id"], "sup", {{"action", "approve"}}, json::parse(r.body)["version"].get<std::int64_t>());
            ASSERT_EQ(r.status, 200) << r.body;
        }
    }
    const auto count = [&](const std::string& where) {
        return sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND " + where);
    };
    const std::int64_t approved = count("review_state = 'approved'");
    ASSERT_GE(approved, 2);
    // The stats.
    const json stats = get_json("/api/v1/stats?by=adm2&parent=64");
    EXPECT_EQ(stats["total"]["by_review"]["approved"], count("review_state = 'approved' AND adm1 = '64'"));
    EXPECT_EQ(stats["total"]["by_review"]["submitted"], count("review_state = 'submitted' AND adm1 = '64'"));
    EXPECT_EQ(stats["total"]["by_review"]["unchecked"], count("review_state = 'unchecked' AND adm1 = '64'"));
    // The queue, oldest first.
    const json queue = get_json("/api/v1/reviews?area=6401");
    EXPECT_EQ(queue["plots"].size(), static_cast<std::size_t>(count("review_state = 'submitted' AND adm2 = '6401'")));
    EXPECT_EQ(get("/api/v1/reviews?state=done", "sup").status, 400);
    // The list filter and OGC API items with CQL2.
    EXPECT_EQ(get_json("/api/v1/plots?review_state=approved&limit=1")["number_matched"], approved);
    const json items = get_json("/collections/pins/items?limit=1&filter=" + std::string("review_state%20%3D%20%27approved%27"));
    EXPECT_EQ(items["numberMatched"], approved);
    EXPECT_TRUE(get_json("/collections/plots/queryables")["properties"].contains("review_state"));
    // The monthly report of this month: the two approvals, the waiting plots.
    const std::time_t now = std::time(nullptr) + 7 * 3600;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char month[16];
    std::strftime(month, sizeof month, "%Y-%m", &tm);
    const json report = get_json(std::string("/api/v1/reports/monthly?area=6401&month=") + month);
    EXPECT_EQ(report["summary"]["approved"], report["approved"].size());
    EXPECT_GE(report["approved"].size(), 2u);
    EXPECT_EQ(report["waiting"].size(), static_cast<std::size_t>(count("review_state = 'submitted' AND adm2 = '6401'")));
    EXPECT_EQ(report["summary"]["by_review"]["approved"], count("review_state = 'approved' AND adm2 = '6401'"));
    // A CSV export has the column.
    const test::http_reply csv = get("/api/v1/exports/plots.csv?adm2=6401&review_state=approved", "sup");
    ASSERT_EQ(csv.status, 200);
    EXPECT_NE(csv.body.substr(0, csv.body.find('\n')).find("review_state"), std::string::npos);
    EXPECT_EQ(static_cast<std::int64_t>(std::count(csv.body.begin(), csv.body.end(), '\n')) - 1,
              count("review_state = 'approved' AND adm2 = '6401'"));

    // A vector tile holding an approved plot says so, as GDAL's MVT driver reads it.
    const json plot = get_json("/api/v1/plots?review_state=approved&limit=1")["plots"][0];
    const double lon = plot["pin"]["coordinates"][0];
    const double lat = plot["pin"]["coordinates"][1];
    const int z = 15;
    const double n = std::pow(2.0, z);
    const int x = static_cast<int>((lon + 180) / 360 * n);
    const double r = lat * std::numbers::pi / 180;
    const int y = static_cast<int>((1 - std::asinh(std::tan(r)) / std::numbers::pi) / 2 * n);
    const test::http_reply tile = get("/tiles/plots/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + ".mvt", "");
    ASSERT_EQ(tile.status, 200);
    const std::string file = (dir->path() / "tile.mvt").string();
    std::ofstream(file, std::ios::binary) << tile.body;
    const auto info = test::run_command({"/usr/bin/ogrinfo", "-ro", "-al", "-oo", "Z=" + std::to_string(z), "-oo", "X=" + std::to_string(x),
                                         "-oo", "Y=" + std::to_string(y), "MVT:" + file});
    EXPECT_EQ(info.exit_code, 0) << info.output;
    EXPECT_NE(info.output.find("review_state (String) = approved"), std::string::npos) << info.output.substr(0, 2000);
}

} // namespace
} // namespace plotmap
