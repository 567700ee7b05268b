#include "data/clock.hpp"

#include <gtest/gtest.h>

using namespace plotmap::data;

TEST(clock, rfc3339_times_with_any_offset_become_utc_milliseconds) {
    EXPECT_EQ(utc_timestamp("2026-03-03T10:12:00+07:00"), "2026-03-03T03:12:00.000Z");
    EXPECT_EQ(utc_timestamp("2026-01-01T00:30:00+07:00"), "2025-12-31T17:30:00.000Z"); // across a year
    EXPECT_EQ(utc_timestamp("2026-03-03T10:12:00Z"), "2026-03-03T10:12:00.000Z");
    EXPECT_EQ(utc_timestamp("2026-03-03t10:12:00.5z"), "2026-03-03T10:12:00.500Z");
    EXPECT_EQ(utc_timestamp("2026-03-03T10:12:00.123456-03:30"), "2026-03-03T13:42:00.123Z");
    EXPECT_EQ(utc_timestamp("2024-02-29T23:00:00-02:00"), "2024-03-01T01:00:00.000Z"); // leap day
}

TEST(clock, times_that_do_not_exist_are_refused) {
    for (const char* bad : {"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-03-03T24:00:00Z",
                            "2026-03-03T10:60:00Z", "2026-03-03T10:12:00", "2026-03-03T10:12:00+7", "2026-03-03T10:12:00+07:00x",
                            "2026-03-03", "", "2026-03-03T10:12:00.Z", "๒๕๖๙-03-03T10:12:00Z"}) {
        EXPECT_FALSE(utc_timestamp(bad)) << bad;
    }
}

TEST(clock, dates) {
    EXPECT_TRUE(is_date("2026-03-03"));
    EXPECT_TRUE(is_date("2024-02-29"));
    EXPECT_FALSE(is_date("2023-02-29"));
    EXPECT_FALSE(is_date("2026-3-3"));
    EXPECT_FALSE(is_date("2026-03-03T00:00:00Z"));
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
}
