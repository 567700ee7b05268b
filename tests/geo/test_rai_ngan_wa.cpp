#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::geo;

TEST(rai_ngan_wa, splits_square_metres) {
    EXPECT_EQ(to_rai_ngan_wa(1600.0), (rai_ngan_wa{1, 0, 0.0}));
    EXPECT_EQ(to_rai_ngan_wa(3 * 1600.0 + 12.5 * 4.0), (rai_ngan_wa{3, 0, 12.5}));
    EXPECT_EQ(to_rai_ngan_wa(2 * 400.0 + 99.95 * 4.0), (rai_ngan_wa{0, 3, 0.0})); // 99.95 wa rounds up into a ngan
    EXPECT_EQ(to_rai_ngan_wa(3 * 400.0 + 99.96 * 4.0), (rai_ngan_wa{1, 0, 0.0})); // and on into a rai
}

TEST(rai_ngan_wa, formats_like_thai_land_offices) {
    EXPECT_EQ(format_rai_ngan_wa({3, 0, 12.5}), "3-0-12.5");
    EXPECT_EQ(format_rai_ngan_wa({25, 3, 99.0}), "25-3-99");
    EXPECT_EQ(format_rai_ngan_wa({0, 0, 0.0}), "0-0-0");
}

TEST(rai_ngan_wa, parse_and_format_round_trip) {
    for (const double m2 : {0.0, 4.0, 1600.0, 5050.4, 12345.6, 40000.0, 987654.3}) {
        const rai_ngan_wa v = to_rai_ngan_wa(m2);
        EXPECT_EQ(parse_rai_ngan_wa(format_rai_ngan_wa(v)), v) << m2;
        EXPECT_NEAR(v.to_m2(), m2, 0.2) << m2;
    }
    EXPECT_EQ(parse_rai_ngan_wa(" 3 - 1 - 12 "), (rai_ngan_wa{3, 1, 12.0}));
}

TEST(rai_ngan_wa, parse_errors_name_the_part) {
    const auto message = [](const char* text) {
        try {
            (void)parse_rai_ngan_wa(text);
        } catch (const bad_request& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message("3-4-0"), "rai-ngan-wa \"3-4-0\": ngan must be 0 to 3");
    EXPECT_EQ(message("3-0-100"), "rai-ngan-wa \"3-0-100\": square wa must be below 100");
    EXPECT_EQ(message("3-0"), "rai-ngan-wa \"3-0\": expected three parts like 3-0-12.5");
    EXPECT_EQ(message("x-0-1"), "rai-ngan-wa \"x-0-1\": rai must be a non-negative number");
    EXPECT_EQ(message("1-0--1"), "rai-ngan-wa \"1-0--1\": expected three parts like 3-0-12.5");
}
