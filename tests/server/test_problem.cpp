#include "geo/error.hpp"
#include "server/problem.hpp"
#include "server/router.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::server;

namespace {

template <typename E, typename... Args>
response map(Args&&... args) {
    request req;
    req.path = "/x";
    req.request_id = "rid-1";
    try {
        throw E(std::forward<Args>(args)...);
    } catch (...) {
        return problem_for(std::current_exception(), req);
    }
}

} // namespace

TEST(problem, exceptions_map_to_statuses_as_rfc9457_documents) {
    EXPECT_EQ(map<bad_request>("b").status, 400);
    EXPECT_EQ(map<not_found>("n").status, 404);
    EXPECT_EQ(map<conflict>("c").status, 409);
    EXPECT_EQ(map<invalid_geometry>("g").status, 422);
    const response busy_res = map<busy>("later", 3);
    EXPECT_EQ(busy_res.status, 503);
    EXPECT_EQ(busy_res.header("Retry-After"), "3");
    const response nope = map<method_not_allowed>("no", "GET, HEAD");
    EXPECT_EQ(nope.status, 405);
    EXPECT_EQ(nope.header("Allow"), "GET, HEAD");

    const response r = map<invalid_geometry>("exterior ring: ring is not closed");
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["status"], 422);
    EXPECT_EQ(body["title"], "Unprocessable Content");
    EXPECT_EQ(body["detail"], "exterior ring: ring is not closed");
    EXPECT_EQ(body["instance"], "/x");
}

TEST(problem, unexpected_errors_are_500_with_the_request_id_and_no_internals) {
    const response r = map<std::runtime_error>("sqlite said something private");
    EXPECT_EQ(r.status, 500);
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["detail"], "internal error; quote request id rid-1 when reporting it");
    EXPECT_EQ(r.body.find("private"), std::string::npos);
}
