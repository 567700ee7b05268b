#include "server/multipart.hpp"

#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace plotmap;
using namespace plotmap::server;

namespace {

struct body_file {
    explicit body_file(const std::string& bytes) : path(dir / "body") {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    test::temp_dir dir;
    std::filesystem::path path;
};

std::string content(const body_file& f, const multipart_part& p) { return read_part(f.path, p, 1 << 20); }

} // namespace

TEST(multipart, boundary_comes_from_the_content_type) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----abc"), "----abc");
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b;c\""), "a b;c");
    EXPECT_THROW((void)multipart_boundary("image/jpeg"), unsupported_media_type);
    EXPECT_THROW((void)multipart_boundary(""), unsupported_media_type);
    EXPECT_THROW((void)multipart_boundary("multipart/form-data"), bad_request);
    EXPECT_THROW((void)multipart_boundary("multipart/form-data; boundary=\"open"), bad_request);
    EXPECT_THROW((void)multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), bad_request);
}

TEST(multipart, parts_are_found_with_their_names_and_exact_content) {
    const body_file f("preamble to ignore\r\n--xyz\r\n"
                      "Content-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
                      "{\"caption\":\"บ่อ\"}\r\n"
                      "--xyz  \r\n" // transport padding after a delimiter is allowed
                      "content-disposition: form-data; name=\"file\"; filename=\"a; b.jpg\"\r\n\r\n"
                      "line one\r\n--xy not the boundary\r\n--xyzzy neither (not followed by CRLF or --)\r\nend"
                      "\r\n--xyz--\r\nepilogue");
    const auto parts = multipart_parts(f.path, "xyz");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].name, "meta");
    EXPECT_EQ(parts[0].content_type, "application/json");
    EXPECT_EQ(content(f, parts[0]), "{\"caption\":\"บ่อ\"}");
    EXPECT_EQ(parts[1].name, "file");
    EXPECT_EQ(parts[1].filename, "a; b.jpg");
    EXPECT_EQ(parts[1].content_type, "text/plain");
    EXPECT_EQ(content(f, parts[1]), "line one\r\n--xy not the boundary\r\n--xyzzy neither (not followed by CRLF or --)\r\nend");
}

TEST(multipart, malformed_or_cut_bodies_are_bad_requests) {
    const std::string head = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n";
    for (const std::string& bad : {std::string(), std::string("no delimiter at all"), head + "cut short, no closing boundary",
                                   std::string("--b\r\nContent-Disposition: form-data; name=\"file\"\r\nno blank line"),
                                   std::string("--b\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--b--"),
                                   std::string("--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nx\r\n--b--"),
                                   std::string("--bjunk")}) {
        const body_file f(bad);
        EXPECT_THROW((void)multipart_parts(f.path, "b"), bad_request) << bad;
    }
    std::string many;
    for (int i = 0; i < 20; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nx\r\n";
    const body_file f(many + "--b--");
    EXPECT_THROW((void)multipart_parts(f.path, "b", 16), bad_request);
}

TEST(multipart, a_large_part_is_not_read_into_memory_past_its_limit) {
    const body_file f("--b\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + std::string(100000, 'x') + "\r\n--b--\r\n");
    const auto parts = multipart_parts(f.path, "b");
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].length, 100000u);
    EXPECT_THROW((void)read_part(f.path, parts[0], 16384), payload_too_large);
}
