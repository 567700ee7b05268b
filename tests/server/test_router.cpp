#include "server/router.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::server;

namespace {

handler answer(std::string text) {
    return [text](const request&, const path_params&) { return make_response(200, "text/plain", text); };
}

} // namespace

TEST(router, matches_literals_and_captures) {
    router r;
    r.add("GET", "/collections", access::open, answer("list"));
    r.add("GET", "/collections/{id}/items/{fid}", access::open, answer("item"));
    const auto m = r.find("GET", "/collections/plots/items/42");
    EXPECT_EQ(m.pattern, "/collections/{id}/items/{fid}");
    EXPECT_EQ(m.params.at("id"), "plots");
    EXPECT_EQ(m.params.at("fid"), "42");
    EXPECT_EQ((*r.find("HEAD", "/collections").target)({}, {}).body, "list");
}

TEST(router, unknown_path_is_not_found_and_empty_capture_does_not_match) {
    router r;
    r.add("GET", "/collections/{id}", access::open, answer("one"));
    EXPECT_THROW((void)r.find("GET", "/nothing"), not_found);
    EXPECT_THROW((void)r.find("GET", "/collections/"), not_found);
    EXPECT_THROW((void)r.find("GET", "/collections/a/b"), not_found);
}

TEST(router, wrong_method_lists_the_allowed_ones) {
    router r;
    r.add("GET", "/plots/{id}", access::open, answer("get"));
    r.add("PUT", "/plots/{id}", access::open, answer("put"));
    try {
        (void)r.find("DELETE", "/plots/1");
        FAIL();
    } catch (const method_not_allowed& e) {
        EXPECT_EQ(e.allow, "GET, HEAD, PUT");
        EXPECT_STREQ(e.what(), "method DELETE is not allowed on /plots/1");
    }
}
