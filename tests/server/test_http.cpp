#include "geo/error.hpp"
#include "server/http.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::server;

TEST(http, parse_target_decodes_path_and_query) {
    request r;
    r.target = "/collections/plots/items?limit=10&bbox=100%2C15%2C101%2C16&q=%E0%B8%9A%E0%B9%89%E0%B8%B2%E0%B8%99+x&flag";
    parse_target(r);
    EXPECT_EQ(r.path, "/collections/plots/items");
    ASSERT_EQ(r.query.size(), 4u);
    EXPECT_EQ(r.query_value("limit"), "10");
    EXPECT_EQ(r.query_value("bbox"), "100,15,101,16");
    EXPECT_EQ(r.query_value("q"), "บ้าน x");
    EXPECT_EQ(r.query_value("flag"), "");
    EXPECT_EQ(r.query_value("missing"), std::nullopt);
}

TEST(http, malformed_targets_are_bad_requests) {
    request r;
    r.target = "/a%zz";
    EXPECT_THROW(parse_target(r), bad_request);
    r.target = "/a?x=%4";
    EXPECT_THROW(parse_target(r), bad_request);
    r.target = "http://example.org/";
    EXPECT_THROW(parse_target(r), bad_request);
}

TEST(http, headers_are_case_insensitive) {
    request r;
    r.headers = {{"accept", "text/html"}};
    EXPECT_EQ(r.header("Accept"), "text/html");
    response res;
    res.set("Content-Type", "a");
    res.set("content-type", "b");
    EXPECT_EQ(res.headers.size(), 1u);
    EXPECT_EQ(res.header("CONTENT-TYPE"), "b");
}
