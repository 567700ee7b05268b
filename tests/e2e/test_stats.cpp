// GET /api/v1/stats against the real binary on a demo database: the numbers equal counts
// made independently with SQL on the same file, drill-down and filters change them, a stage
// change shows on the next call, scopes hold (a district officer never sees another
// district's numbers), and bad parameters get 400.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <fstream>

namespace plotmap {
namespace {

using nlohmann::json;

using test::sql_count;

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

/// This month in Thailand, as YYYY-MM (the report's default month is the caller's choice).
std::string thai_month_now() {
    const std::time_t t = std::time(nullptr) + 7 * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m", &tm);
    return buf;
}

/// Live plots of district 6401 matching `where`, counted with SQL written here.
std::int64_t district_count(const std::string& db, const std::string& where) {
    return sql_count(db, "SELECT count(*) FROM plots p WHERE p.deleted_at IS NULL AND p.adm2 = '6401' AND " + where);
}

TEST_F(stats_e2e, the_monthly_report_lists_what_sql_finds_in_json_csv_and_xlsx) {
    // A stage change this month, through the API, by the admin.
    const json listed = get("/api/v1/plots?adm2=6401&stage=digging&limit=1");
    ASSERT_FALSE(listed["plots"].empty());
    const json plot = listed["plots"][0];
    // ... and its deed says half as much again as its boundary.
    const std::string patch = R"({"stage":"planting","declared_area_m2":)" + std::to_string(plot["area_m2"].get<double>() * 1.5) + "}";
    const test::http_reply changed = test::http_request(
        server->port, "PATCH", "/api/v1/plots/" + plot["id"].dump(), patch,
        test::admin_authorization() + "Content-Type: application/merge-patch+json\r\nIf-Match: \"" + plot["version"].dump() + "\"\r\n");
    ASSERT_EQ(changed.status, 200) << changed.body;

    const std::string month = thai_month_now();
    // The month in the Buddhist Era names the same month.
    const std::string be_month = std::to_string(std::stoi(month.substr(0, 4)) + 543) + month.substr(4);
    const json report = get("/api/v1/reports/monthly?area=6401&month=" + be_month);
    EXPECT_EQ(report["month"], month);
    EXPECT_EQ(report["area"]["name_th"], "เมืองสุโขทัย");
    EXPECT_EQ(report["summary"]["plots"], district_count(*db, "TRUE"));
    bool found = false;
    for (const auto& c : report["stage_changes"]) {
        if (c["id"] == plot["id"]) {
            found = true;
            EXPECT_EQ(c["from"], "digging");
            EXPECT_EQ(c["to"], "planting");
            EXPECT_FALSE(c["by"].is_null());
        }
    }
    EXPECT_TRUE(found) << report["stage_changes"].dump();
    const std::string in_month = test::per_backend("strftime('%Y-%m', created_at, '+7 hours')",
                                                   "to_char(created_at::timestamptz AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM')") +
                                 " = '" + month + "'";
    EXPECT_EQ(report["new_plots"].size(), static_cast<std::size_t>(district_count(*db, in_month)));
    EXPECT_EQ(report["without_boundary"].size(), static_cast<std::size_t>(district_count(*db, "boundary IS NULL")));
    EXPECT_EQ(report["without_photos"].size(),
              static_cast<std::size_t>(district_count(*db, "NOT EXISTS (SELECT 1 FROM photos f WHERE f.plot_id = p.id AND f.deleted_at IS NULL)")));
    const std::size_t mismatches = static_cast<std::size_t>(
        district_count(*db, "declared_area_m2 > 0 AND abs(area_m2 - declared_area_m2) > 0.1 * declared_area_m2"));
    EXPECT_GT(mismatches, 0u); // the demo's deeds that disagree: the check below means something
    EXPECT_EQ(report["area_mismatches"].size(), mismatches);

    // CSV: a byte-order mark, one header, a row per listed plot.
    const test::http_reply csv = test::http_request(server->port, "GET", "/api/v1/reports/monthly?area=6401&format=csv&month=" + month,
                                                    {}, test::admin_authorization());
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.headers.at("content-type"), "text/csv; charset=utf-8");
    EXPECT_TRUE(csv.body.starts_with("\xEF\xBB\xBFหมวด,รหัสแปลง,"));
    const auto lines = static_cast<std::size_t>(std::count(csv.body.begin(), csv.body.end(), '\n'));
    EXPECT_EQ(lines, 1 + report["stage_changes"].size() + report["new_plots"].size() + report["without_boundary"].size() +
                         report["without_photos"].size() + report["area_mismatches"].size() + report["approved"].size() +
                         report["sent_back"].size() + report["waiting"].size());
    EXPECT_NE(csv.body.find(plot["code"].get<std::string>()), std::string::npos);

    // XLSX, read by GDAL's own tools: a sheet per section with the JSON's rows.
    const test::http_reply xlsx = test::http_request(server->port, "GET", "/api/v1/reports/monthly?area=6401&format=xlsx&month=" + month,
                                                     {}, test::admin_authorization());
    ASSERT_EQ(xlsx.status, 200) << xlsx.body;
    EXPECT_EQ(xlsx.headers.at("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const std::string file = (dir->path() / "report.xlsx").string();
    std::ofstream(file, std::ios::binary) << xlsx.body;
    const auto features = [&](const char* sheet) {
        const auto info = test::run_command({"/usr/bin/ogrinfo", "-ro", "-so", "--config", "OGR_XLSX_HEADERS", "FORCE", file, sheet});
        EXPECT_EQ(info.exit_code, 0) << info.output;
        const auto at = info.output.find("Feature Count: ");
        return at == std::string::npos ? std::size_t{0} : static_cast<std::size_t>(std::stoll(info.output.substr(at + 15)));
    };
    // An empty section's sheet keeps its headers with one row saying there is nothing.
    const auto rows = [&](const json& section) { return section.empty() ? std::size_t{1} : section.size(); };
    EXPECT_EQ(features("เปลี่ยนขั้นตอน"), rows(report["stage_changes"]));
    EXPECT_EQ(features("แปลงใหม่"), rows(report["new_plots"]));
    EXPECT_EQ(features("ยังไม่มีขอบเขต"), rows(report["without_boundary"]));
    EXPECT_EQ(features("ยังไม่มีภาพถ่าย"), rows(report["without_photos"]));
    EXPECT_EQ(features("พื้นที่ไม่ตรง"), rows(report["area_mismatches"]));
    const auto sheet = test::run_command({"/usr/bin/ogr2ogr", "-f", "CSV", "/vsistdout/", "--config", "OGR_XLSX_HEADERS", "FORCE", file,
                                          "เปลี่ยนขั้นตอน"});
    EXPECT_NE(sheet.output.find(plot["code"].get<std::string>()), std::string::npos) << sheet.output;
    EXPECT_NE(sheet.output.find("กำลังปลูก"), std::string::npos);
}

TEST_F(stats_e2e, the_trend_and_the_findings_equal_sql_counts) {
    const std::string month = thai_month_now();
    const json trend = get("/api/v1/stats/trend?area=64&from=2022-01&to=" + month);
    ASSERT_EQ(trend["months"].front(), "2022-01");
    ASSERT_EQ(trend["months"].back(), month);
    // The demo's plots reached their stage when they were made; the API's edits since are in
    // the history too. Counted here from the history itself.
    const std::size_t i = 10; // 2022-11
    EXPECT_EQ(trend["months"][i], "2022-11");
    for (const char* stage : {"surveyed", "complete"}) {
        EXPECT_EQ(trend["by_stage"][stage][i],
                  sql_count(*db, std::string("SELECT count(DISTINCT h.plot_id) FROM plot_history h JOIN plots p ON p.id = h.plot_id "
                                             "WHERE p.deleted_at IS NULL AND p.adm1 = '64' AND ") +
                                     test::per_backend("json_extract(h.changes, '$.stage[1]')", "h.changes::jsonb #>> '{stage,1}'") + " = '" + stage +
                                     "' AND " +
                                     test::per_backend("strftime('%Y-%m', h.changed_at, '+7 hours')",
                                                       "to_char(h.changed_at::timestamptz AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM')") +
                                     " = '2022-11'"))
            << stage;
    }

    const json quality = get("/api/v1/stats/quality?area=6401");
    EXPECT_EQ(quality["findings"]["no_boundary"], district_count(*db, "boundary IS NULL"));
    EXPECT_EQ(quality["findings"]["area_mismatch"],
              district_count(*db, "declared_area_m2 > 0 AND abs(area_m2 - declared_area_m2) > 0.1 * declared_area_m2"));
    EXPECT_EQ(quality["findings"]["no_recent_photo"],
              district_count(*db, "NOT EXISTS (SELECT 1 FROM photos f WHERE f.plot_id = p.id AND f.deleted_at IS NULL AND "
                                  "coalesce(f.taken_at, f.uploaded_at) >= " +
                                  test::per_backend("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days')",
                                                    "to_char(now() AT TIME ZONE 'UTC' - interval '90 days', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')") + ")"));
    EXPECT_TRUE(quality["findings"]["overlap"].is_number());
    EXPECT_TRUE(get("/api/v1/stats/quality?area=64")["findings"]["overlap"].is_null());
    const json listed = get("/api/v1/stats/quality/area_mismatch?area=6401&limit=3");
    ASSERT_EQ(listed["plots"].size(), std::min<std::size_t>(3, quality["findings"]["area_mismatch"].get<std::size_t>()));
    for (const auto& p : listed["plots"]) EXPECT_TRUE(p["detail"].get<std::string>().ends_with("%")) << p.dump();
}

TEST_F(stats_e2e, reports_refuse_bad_parameters_and_keep_to_the_scope) {
    for (const char* target : {"/api/v1/reports/monthly", "/api/v1/reports/monthly?month=2026-13", "/api/v1/reports/monthly?month=11-2026",
                               "/api/v1/reports/monthly?month=2026-11&format=pdf", "/api/v1/reports/monthly?month=2026-11&area=64x",
                               "/api/v1/reports/monthly?month=2026-11&program=XYZ", "/api/v1/stats/trend?from=2026-05&to=2026-01",
                               "/api/v1/stats/trend?from=1800-01", "/api/v1/stats/quality/colour?area=6401",
                               "/api/v1/stats/quality/overlap?area=64", "/api/v1/stats/quality?area=6401&limit=x&colour=red"}) {
        const test::http_reply r = test::http_request(server->port, "GET", target, {}, test::admin_authorization());
        EXPECT_EQ(r.status, 400) << target << ": " << r.body;
        EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << target;
    }
    get("/api/v1/reports/monthly?month=2026-11&area=9999", test::admin_authorization(), 404);
    // A district officer: their district's report, never another's; no area = their district.
    get("/api/v1/reports/monthly?month=2026-11&area=6402", bearer(district_token), 403);
    get("/api/v1/stats/quality?area=50", bearer(district_token), 403);
    get("/api/v1/stats/trend?area=6402", bearer(district_token), 403);
    const json mine = get("/api/v1/reports/monthly?month=2026-11", bearer(district_token));
    EXPECT_EQ(mine["summary"]["plots"], district_count(*db, "TRUE"));
    for (const auto& p : mine["without_photos"]) EXPECT_TRUE(p["adm3"].get<std::string>().starts_with("6401"));
    get("/api/v1/reports/monthly?month=2026-11", "", 401);
}

} // namespace
} // namespace plotmap
