// GET /api/v1/stats against the real binary on a demo database: the numbers equal counts
// made independently with SQL on the same file, drill-down and filters change them, a stage
// change shows on the next call, scopes hold (a district officer never sees another
// district's numbers), and bad parameters get 400.

#include "data/sqlite.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace plotmap {
namespace {

using nlohmann::json;

/// One number straight from the file, with SQL written here (not the server's).
std::int64_t sql_count(const std::string& db, const std::string& sql) {
    data::connection c(db, data::connection::mode::read_only);
    return c.scalar_int(sql);
}

class stats_e2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(test::demo_database(*dir, 1500).string());
        for (const auto& [name, scope] : {std::pair{"staff6401", "6401"}, std::pair{"sup64", "64"}}) {
            const auto added = test::run_command({PLOTMAP_BINARY, "user", "add", "--db", *db, "--username", name, "--role", "staff",
                                                  "--scope", scope, "--password-stdin"},
                                                 std::chrono::minutes(1), {}, std::string(name) + "-password\n");
            if (added.exit_code != 0) throw std::runtime_error(added.output);
            const auto made = test::run_command({PLOTMAP_BINARY, "token", "create", "--db", *db, "--username", name});
            if (made.exit_code != 0) throw std::runtime_error(made.output);
            (std::string(name) == "staff6401" ? district_token : province_token) = new std::string(test::token_in(made.output));
        }
        server = new test::running_server(*db, {"PLOTMAP_SERVER_REQUESTS_PER_S=0"});
    }
    static void TearDownTestSuite() {
        delete server;
        delete district_token;
        delete province_token;
        delete db;
        delete dir;
    }

    static json get(const std::string& target, const std::string& auth = test::admin_authorization(), int status = 200) {
        const test::http_reply r = test::http_request(server->port, "GET", target, {}, auth);
        EXPECT_EQ(r.status, status) << target << ": " << r.body;
        return json::parse(r.body);
    }
    static std::string bearer(const std::string* token) { return "Authorization: Bearer " + *token + "\r\n"; }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline std::string* district_token = nullptr;
    static inline std::string* province_token = nullptr;
    static inline test::running_server* server = nullptr;
};

TEST_F(stats_e2e, country_numbers_equal_sql_counts_and_drill_down_to_subdistricts) {
    const json country = get("/api/v1/stats?by=adm1");
    EXPECT_EQ(country["total"]["plots"], sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL"));
    EXPECT_EQ(country["rows"].size(), static_cast<std::size_t>(sql_count(*db, "SELECT count(*) FROM adm1")));
    std::int64_t summed = 0;
    for (const auto& row : country["rows"]) {
        summed += row["plots"].get<std::int64_t>();
        std::int64_t stages = 0;
        for (const auto& [stage, n] : row["by_stage"].items()) stages += n.get<std::int64_t>();
        EXPECT_EQ(stages, row["plots"]) << row["code"];
    }
    EXPECT_EQ(summed, country["total"]["plots"]);
    const auto row_of = [](const json& rows, const std::string& code) {
        for (const auto& r : rows) if (r["code"] == code) return r;
        return json();
    };
    const json sukhothai = row_of(country["rows"], "64");
    ASSERT_FALSE(sukhothai.is_null());
    ASSERT_GT(sukhothai["plots"].get<std::int64_t>(), 0); // the demo puts plots there: the checks below mean something
    EXPECT_EQ(sukhothai["name_th"], "สุโขทัย");
    EXPECT_EQ(sukhothai["plots"], sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64'"));
    EXPECT_EQ(sukhothai["by_stage"]["complete"],
              sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64' AND stage = 'complete'"));
    EXPECT_NEAR(sukhothai["area_m2"].get<double>(),
                static_cast<double>(sql_count(*db, "SELECT CAST(round(total(area_m2)) AS INTEGER) FROM plots WHERE deleted_at IS NULL AND adm1 = '64'")),
                1.0);

    const json districts = get("/api/v1/stats?by=adm2&parent=64");
    EXPECT_EQ(districts["rows"].size(), static_cast<std::size_t>(sql_count(*db, "SELECT count(*) FROM adm2 WHERE adm1 = '64'")));
    EXPECT_EQ(districts["total"]["plots"], sukhothai["plots"]);
    const json subdistricts = get("/api/v1/stats?by=adm3&parent=6401&stage=complete&program=HLM");
    EXPECT_EQ(subdistricts["total"]["plots"],
              sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401' AND stage = 'complete' AND program = 'HLM'"));
    EXPECT_GT(subdistricts["total"]["plots"].get<std::int64_t>(), 0);
    EXPECT_EQ(subdistricts["total"]["by_program"]["CLM"], 0);
}

TEST_F(stats_e2e, a_stage_change_shows_on_the_next_call) {
    const json listed = get("/api/v1/plots?adm1=64&stage=surveyed&limit=1");
    ASSERT_FALSE(listed["plots"].empty());
    const json plot = listed["plots"][0];
    const json was = get("/api/v1/stats?by=adm2&parent=64");
    const test::http_reply changed = test::http_request(
        server->port, "PATCH", "/api/v1/plots/" + plot["id"].dump(), R"({"stage":"complete"})",
        test::admin_authorization() + "Content-Type: application/merge-patch+json\r\nIf-Match: \"" + plot["version"].dump() + "\"\r\n");
    ASSERT_EQ(changed.status, 200) << changed.body;
    const json now = get("/api/v1/stats?by=adm2&parent=64");
    EXPECT_EQ(now["total"]["by_stage"]["complete"].get<std::int64_t>(), was["total"]["by_stage"]["complete"].get<std::int64_t>() + 1);
    EXPECT_EQ(now["total"]["by_stage"]["surveyed"].get<std::int64_t>(), was["total"]["by_stage"]["surveyed"].get<std::int64_t>() - 1);
    EXPECT_EQ(now["total"]["plots"], was["total"]["plots"]);
}

TEST_F(stats_e2e, a_district_officer_sees_only_their_district) {
    const json mine = get("/api/v1/stats?by=adm1", bearer(district_token));
    ASSERT_EQ(mine["rows"].size(), 1u);
    EXPECT_EQ(mine["rows"][0]["code"], "64");
    EXPECT_EQ(mine["total"]["plots"], sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401'"));
    EXPECT_GT(mine["total"]["plots"].get<std::int64_t>(), 0);
    // Its province's row counts the district's plots only, not the province's.
    EXPECT_LT(mine["rows"][0]["plots"], sql_count(*db, "SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64'"));
    const json districts = get("/api/v1/stats?by=adm2&parent=64", bearer(district_token));
    ASSERT_EQ(districts["rows"].size(), 1u);
    EXPECT_EQ(districts["rows"][0]["code"], "6401");
    // Another district, or another province: refused, not answered with zeros.
    EXPECT_NE(get("/api/v1/stats?by=adm3&parent=6402", bearer(district_token), 403)["detail"].get<std::string>().find("scope"),
              std::string::npos);
    get("/api/v1/stats?by=adm2&parent=50", bearer(district_token), 403);
    // The province's supervisor sees all of its districts.
    EXPECT_EQ(get("/api/v1/stats?by=adm2&parent=64", bearer(province_token))["rows"].size(),
              static_cast<std::size_t>(sql_count(*db, "SELECT count(*) FROM adm2 WHERE adm1 = '64'")));
    // Anonymous callers get nothing.
    get("/api/v1/stats?by=adm1", "", 401);
}

TEST_F(stats_e2e, bad_parameters_get_400_naming_them) {
    for (const char* target : {"/api/v1/stats", "/api/v1/stats?by=adm4", "/api/v1/stats?by=adm2&parent=6", "/api/v1/stats?by=adm2&parent=6401",
                               "/api/v1/stats?by=adm2&parent=6x", "/api/v1/stats?by=adm1&stage=finished", "/api/v1/stats?by=adm1&program=XYZ",
                               "/api/v1/stats?by=adm1&budget_year=soon", "/api/v1/stats?by=adm1&colour=red"}) {
        const test::http_reply r = test::http_request(server->port, "GET", target, {}, test::admin_authorization());
        EXPECT_EQ(r.status, 400) << target << ": " << r.body;
        EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << target;
    }
}

} // namespace
} // namespace plotmap
