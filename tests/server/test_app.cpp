// Routes through app::handle with a real database and no socket.

#include "data/schema.hpp"
#include "app_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::server;

namespace {

class app_test : public test::app_fixture {
protected:
    app_test() : app_fixture(25) {}

    response get(const std::string& target, header_list headers = {}) { return call("GET", target, {}, std::move(headers)); }
};

} // namespace

TEST_F(app_test, health_and_readiness) {
    const response h = get("/healthz");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.route, "/healthz");
    const response r = get("/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body)["schema_version"], data::latest_schema_version());
}

TEST_F(app_test, landing_page_negotiates_html_and_json_with_live_counts) {
    const response html = get("/");
    EXPECT_EQ(html.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(html.body.find("href=\"/healthz\""), std::string::npos);
    EXPECT_NE(html.body.find("<dd>25</dd>"), std::string::npos);
    const response json = get("/", {{"accept", "application/json"}});
    const auto doc = nlohmann::json::parse(json.body);
    EXPECT_EQ(doc["plots"], 25);
    EXPECT_EQ(doc["admin_areas"]["adm3"], 7425);
    EXPECT_EQ(doc["links"][0]["rel"], "self");
    EXPECT_EQ(get("/?f=json").header("Content-Type"), "application/json");
    const response bad = get("/?f=xml");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(nlohmann::json::parse(bad.body)["detail"], "unknown format f=xml; use f=json or f=html");
}

TEST_F(app_test, metrics_report_the_pool) {
    (void)get("/healthz");
    const response m = get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(m.body.find("plotmap_db_readers{state=\"idle\"} 2"), std::string::npos);
    EXPECT_NE(m.body.find("plotmap_tile_cache_lookups_total{result=\"hit\"} 0"), std::string::npos);
}

TEST_F(app_test, errors_are_problem_json) {
    const response missing = get("/no/such/thing");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
    request post;
    post.method = "POST";
    post.target = "/metrics";
    const response wrong = application->handle(post);
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.header("Allow"), "GET, HEAD");
    EXPECT_EQ(get("/%zz").status, 400);
}

TEST_F(app_test, readiness_fails_when_the_database_is_not_current) {
    db->write([](data::connection& c) { c.exec(test::per_backend("PRAGMA user_version = 0", "UPDATE plotmap_schema SET version = 0")); });
    const response r = get("/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Retry-After"), "5");
}
