#include "geo/text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap::geo;

TEST(text, utf8_validity_follows_rfc_3629) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("แปลงนาย ก. 🌾"));
    EXPECT_FALSE(is_valid_utf8("\xff"));
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong, three bytes
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // a surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xe0\xb8"));         // "ก" cut short
    EXPECT_FALSE(is_valid_utf8("\x80"));             // a lone continuation byte
}

TEST(text, bad_bytes_become_replacement_characters) {
    EXPECT_EQ(valid_utf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
    EXPECT_EQ(valid_utf8("\xe0\xb8"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(valid_utf8("ก"), "ก");
}

TEST(text, prefixes_end_between_characters) {
    EXPECT_EQ(utf8_prefix("short", 10), "short");
    EXPECT_EQ(utf8_prefix("abcdef", 3), "abc…");
    // "กขค" is 9 bytes; a cut at 4 or 5 bytes would split "ข".
    EXPECT_EQ(utf8_prefix("กขค", 4), "ก…");
    EXPECT_EQ(utf8_prefix("กขค", 5), "ก…");
    EXPECT_EQ(utf8_prefix("กขค", 6), "กข…");
    EXPECT_EQ(utf8_prefix("กขค", 0), "…");
    EXPECT_TRUE(is_valid_utf8(utf8_prefix("\xff\xfe\xfd", 4)));
}

TEST(text, json_text_never_throws_on_bad_bytes) {
    nlohmann::json j{{"detail", "bad \xff byte and a cut \xe0\xb8"}, {"ok", "ก"}};
    EXPECT_THROW((void)j.dump(), nlohmann::json::type_error); // what used to end the process
    const std::string text = json_text(j);
    EXPECT_EQ(text, "{\"detail\":\"bad \xEF\xBF\xBD byte and a cut \xEF\xBF\xBD\",\"ok\":\"ก\"}");
    EXPECT_EQ(nlohmann::json::parse(text)["ok"], "ก");
    EXPECT_NE(json_text_pretty(j).find("\n  \"ok\""), std::string::npos);
}
