// `plotmap migrate`: a SpatiaLite database moved up to PostgreSQL + PostGIS and back, ids,
// history, users and tokens intact, served on the new backend, and refused into a database
// that holds data.

#include "data/schema.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "postgres.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace plotmap;
using nlohmann::json;

namespace {

using test::plotmap_cli;

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Rows of every table, as the test counts them itself.
std::vector<std::int64_t> table_counts(const std::string& db) {
    std::vector<std::int64_t> out;
    for (const char* t : {"adm3", "plots", "plot_history", "users", "api_tokens", "plot_totals", "stage_changes", "review_changes",
                          "tile_shapes", "tile_locations", "pin_clusters"}) {
        out.push_back(test::sql_count(db, std::string("SELECT count(*) FROM ") + t));
    }
    return out;
}

} // namespace

TEST(migrate, a_spatialite_database_moves_to_postgis_and_back_unchanged) {
    if (!test::postgres_run()) GTEST_SKIP() << "moves to and from the PostgreSQL test cluster (its run)";
    test::temp_dir dir;
    const std::string file = (dir / "district.sqlite").string();
    ASSERT_EQ(plotmap_cli({"init", "--db", file}).exit_code, 0);
    ASSERT_EQ(plotmap_cli({"demo", "--db", file, "--plots", "700"}).exit_code, 0);
    ASSERT_EQ(plotmap_cli({"user", "add", "--db", file, "--username", "admin", "--role", "admin", "--password-stdin"}, "a-long-password\n")
                  .exit_code,
              0);
    const test::command_result made = plotmap_cli({"token", "create", "--db", file, "--username", "admin", "--write"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    const std::string token = test::token_in(made.output);

    const std::string pg = test::new_postgres_database();
    const test::command_result up = plotmap_cli({"migrate", "--from", file, "--to", pg});
    ASSERT_EQ(up.exit_code, 0) << up.output;
    EXPECT_NE(up.output.find("(schema version " + std::to_string(data::latest_schema_version()) + "): 1 users, 700 plots"), std::string::npos) << up.output;
    EXPECT_NE(up.output.find("each counted and checksummed on both sides"), std::string::npos) << up.output;
    EXPECT_EQ(table_counts(pg), table_counts(file));
    EXPECT_EQ(test::sql_count(pg, "SELECT max(id) FROM plots"), test::sql_count(file, "SELECT max(id) FROM plots"));

    // Served from PostgreSQL: the same plots, the token made on the file still works, and a new
    // plot takes the next id.
    {
        const test::running_server server(pg, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
        const test::http_reply page = test::http_request(server.port, "GET", "/collections/pins/items?limit=1");
        ASSERT_EQ(page.status, 200);
        EXPECT_EQ(json::parse(page.body)["numberMatched"], 700);
        const json body{{"program", "HLM"}, {"pin", {{"type", "Point"}, {"coordinates", {99.8230, 17.0078}}}}};
        const test::http_reply created = test::http_request(server.port, "POST", "/api/v1/plots", body.dump(),
                                                            "Content-Type: application/json\r\nAuthorization: Bearer " + token + "\r\n");
        ASSERT_EQ(created.status, 201) << created.body;
        const json plot = json::parse(created.body);
        EXPECT_EQ(plot["id"], test::sql_count(file, "SELECT max(id) FROM plots") + 1);
        const test::http_reply deleted =
            test::http_request(server.port, "DELETE", "/api/v1/plots/" + std::to_string(plot["id"].get<long long>()), {},
                               "If-Match: \"" + std::to_string(plot["version"].get<long long>()) + "\"\r\nAuthorization: Bearer " + token + "\r\n");
        EXPECT_EQ(deleted.status, 200) << deleted.body;
    }

    // And back to a file for a district leaving the national system: the export of the live
    // plots is the first file's, byte for byte (the plot made on PostgreSQL is deleted).
    const std::string back = (dir / "back.sqlite").string();
    const test::command_result down = plotmap_cli({"migrate", "--from", pg, "--to", back});
    ASSERT_EQ(down.exit_code, 0) << down.output;
    EXPECT_NE(down.output.find("701 plots"), std::string::npos) << down.output;
    EXPECT_EQ(test::sql_count(back, "SELECT count(*) FROM plots"), 701);
    EXPECT_EQ(test::sql_count(back, "SELECT sum(plots) FROM plot_totals"), 700); // live ones
    for (const auto& [db, out] : {std::pair{file, (dir / "a.geojson").string()}, std::pair{back, (dir / "b.geojson").string()}}) {
        ASSERT_EQ(plotmap_cli({"export", "--db", db, "--format", "geojson", out}).exit_code, 0);
    }
    const std::string a = file_text((dir / "a.geojson").string());
    const std::string b = file_text((dir / "b.geojson").string());
    ASSERT_GT(a.size(), 1000u);
    EXPECT_TRUE(a == b) << "the live plots export differently from the file that went to PostgreSQL and back";

    // Into a database that holds data: refused, and it is left as it was.
    const test::command_result again = plotmap_cli({"migrate", "--from", file, "--to", back});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.output.find("has a plotmap schema already (version " + std::to_string(data::latest_schema_version()) + "): migrate into a new, empty database"), std::string::npos)
        << again.output;
    EXPECT_EQ(test::sql_count(back, "SELECT count(*) FROM plots"), 701);
    const test::command_result missing = plotmap_cli({"migrate", "--from", (dir / "none.sqlite").string(), "--to", pg});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.output, "plotmap: database " + (dir / "none.sqlite").string() + " does not exist\n");
}
