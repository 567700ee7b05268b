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

namespace {

/// apply_range on a file of `size` bytes with these request headers.
response ranged(std::uint64_t size, std::initializer_list<std::pair<std::string, std::string>> headers, std::string method = "GET") {
    request req;
    req.method = std::move(method);
    for (const auto& h : headers) req.headers.push_back(h);
    response res;
    res.body_file = "file";
    res.set("ETag", "\"abc-original\"");
    apply_range(req, res, size);
    return res;
}

} // namespace

TEST(http, single_byte_ranges_follow_rfc_9110) {
    response r = ranged(1000, {{"range", "bytes=0-99"}});
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body_offset, 0u);
    EXPECT_EQ(r.body_length, 100u);
    EXPECT_EQ(r.header("content-range"), "bytes 0-99/1000");
    EXPECT_EQ(r.header("accept-ranges"), "bytes");
    r = ranged(1000, {{"range", "bytes=900-"}});
    EXPECT_EQ(r.body_offset, 900u);
    EXPECT_EQ(r.body_length, 100u);
    r = ranged(1000, {{"range", "bytes=-10"}});
    EXPECT_EQ(r.header("content-range"), "bytes 990-999/1000");
    r = ranged(1000, {{"range", "bytes=-5000"}}); // more than the file: all of it
    EXPECT_EQ(r.header("content-range"), "bytes 0-999/1000");
    r = ranged(1000, {{"range", "bytes=500-5000"}}); // the end is clamped
    EXPECT_EQ(r.header("content-range"), "bytes 500-999/1000");
}

TEST(http, ranges_that_cannot_be_served_are_416_and_odd_ones_are_ignored) {
    response r = ranged(1000, {{"range", "bytes=1000-"}});
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(r.header("content-range"), "bytes */1000");
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    EXPECT_EQ(ranged(1000, {{"range", "bytes=-0"}}).status, 416);
    // Ignored (the whole file, 200): several ranges, another unit, nonsense, a reversed range,
    // an If-Range that does not match, a POST.
    for (const char* v : {"bytes=0-1,5-6", "items=0-1", "bytes=x-y", "bytes=9-3", "bytes=", "bytes=99999999999999999999-"}) {
        const response whole = ranged(1000, {{"range", v}});
        EXPECT_EQ(whole.status, 200) << v;
        EXPECT_FALSE(whole.body_length) << v;
    }
    EXPECT_EQ(ranged(1000, {{"range", "bytes=0-1"}, {"if-range", "\"other\""}}).status, 200);
    EXPECT_EQ(ranged(1000, {{"range", "bytes=0-1"}, {"if-range", "\"abc-original\""}}).status, 206);
    EXPECT_EQ(ranged(1000, {{"range", "bytes=0-1"}}, "POST").status, 200);
}
