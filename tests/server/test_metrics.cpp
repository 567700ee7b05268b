#include "server/metrics.hpp"

#include <gtest/gtest.h>

using namespace plotmap::server;

TEST(metrics, renders_counters_histograms_and_pool_figures) {
    metrics m;
    m.record("/healthz", "GET", 200, 0.0004);
    m.record("/healthz", "GET", 200, 0.02);
    m.record("", "GET", 404, 0.001);
    m.connection_opened();
    plotmap::data::store_stats db;
    db.readers_total = 4;
    db.readers_in_use = 1;
    db.writes = 9;
    const std::string text = m.render(db);
    EXPECT_NE(text.find("plotmap_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.025\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_request_duration_seconds_count{route=\"/healthz\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_http_connections_open 1\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_db_readers{state=\"in_use\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_db_readers{state=\"idle\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("plotmap_db_writes_total 9\n"), std::string::npos);
    // Every sample line belongs to a family announced by # TYPE.
    std::istringstream lines(text);
    std::string line;
    std::string family;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
        } else if (line[0] != '#') {
            EXPECT_EQ(line.rfind(family, 0), 0u) << line;
        }
    }
}
