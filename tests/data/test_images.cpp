// The JPEG metadata filter (byte by byte) and what inspect() says of files that are not
// images. Real photos go through the whole path in tests/e2e/test_photos.cpp.

#include "data/images.hpp"
#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace plotmap;
using namespace plotmap::data::images;

namespace {

std::string segment(unsigned char marker, const std::string& payload) {
    std::string s{'\xFF', static_cast<char>(marker)};
    const std::size_t length = payload.size() + 2;
    s.push_back(static_cast<char>(length >> 8));
    s.push_back(static_cast<char>(length & 0xff));
    return s + payload;
}

/// SOI, JFIF, EXIF (with a GPS tag name in it), ICC, XMP, a comment, a quantisation table,
/// then the scan.
std::string jpeg_with_metadata() {
    return std::string("\xFF\xD8", 2) + segment(0xE0, std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14)) +
           segment(0xE1, std::string("Exif\0\0GPSLatitude 17 0 28.8", 27)) + segment(0xE2, "ICC_PROFILE\0profile") +
           segment(0xE1, "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>home</x:xmpmeta>") + segment(0xFE, "shot at home") +
           segment(0xDB, std::string(65, '\x01')) + std::string("\xFF\xDA\0\x08\x01\x01\0\0\x3F\0scan-data\xFF\xD9", 22);
}

} // namespace

TEST(images, strip_keeps_image_data_and_colour_profile_and_drops_the_rest) {
    const std::string in = jpeg_with_metadata();
    const std::string out = strip_jpeg_metadata(in, 1);
    EXPECT_EQ(out.find("GPSLatitude"), std::string::npos);
    EXPECT_EQ(out.find("xmpmeta"), std::string::npos);
    EXPECT_EQ(out.find("shot at home"), std::string::npos);
    EXPECT_EQ(out.find("Exif"), std::string::npos); // orientation 1 needs no EXIF at all
    EXPECT_NE(out.find("JFIF"), std::string::npos);
    EXPECT_NE(out.find("ICC_PROFILE"), std::string::npos);
    EXPECT_TRUE(out.ends_with(in.substr(in.find("\xFF\xDA"))));
}

TEST(images, strip_keeps_the_orientation_in_a_minimal_exif) {
    const std::string out = strip_jpeg_metadata(jpeg_with_metadata(), 6);
    const auto exif = out.find("Exif");
    ASSERT_NE(exif, std::string::npos);
    EXPECT_EQ(out.substr(2, 2), std::string("\xFF\xE1", 2));
    // Tag 0x0112 (Orientation), type SHORT, count 1, value 6, little-endian.
    EXPECT_NE(out.find(std::string("\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00", 10)), std::string::npos);
    EXPECT_EQ(out.find("GPSLatitude"), std::string::npos);
}

TEST(images, strip_refuses_what_is_not_a_whole_jpeg_header) {
    EXPECT_THROW((void)strip_jpeg_metadata("", 1), unprocessable);
    EXPECT_THROW((void)strip_jpeg_metadata("GIF89a", 1), unprocessable);
    const std::string in = jpeg_with_metadata();
    EXPECT_THROW((void)strip_jpeg_metadata(in.substr(0, 40), 1), unprocessable); // cut inside a segment
    std::string lying = in;
    lying[4] = '\x7F'; // APP0 claims 32 KB
    EXPECT_THROW((void)strip_jpeg_metadata(lying, 1), unprocessable);
}

TEST(images, inspect_judges_by_content_not_name) {
    test::temp_dir dir;
    const auto text = dir / "photo.jpg";
    std::ofstream(text) << "just words\n";
    EXPECT_THROW((void)inspect(text, 1000000), unsupported_media_type);
    const auto svg = dir / "x.png";
    std::ofstream(svg) << R"(<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>)";
    EXPECT_THROW((void)inspect(svg, 1000000), unsupported_media_type); // an image, but not one plotmap accepts
}
