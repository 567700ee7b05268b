#pragma once
// Wall-clock time as the store records it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace plotmap::data {

/// Now as ISO 8601 UTC with milliseconds ("2026-11-22T03:04:05.678Z").
[[nodiscard]] std::string now_utc();

/// Seconds since the Unix epoch.
[[nodiscard]] std::int64_t unix_now();

/// A Unix time as ISO 8601 UTC ("2026-11-22T03:04:05Z").
[[nodiscard]] std::string iso_utc(std::int64_t unix_seconds);

/// An RFC 3339 time with any offset ("2026-03-03T10:12:00+07:00", "...Z", fractions of a
/// second) as the store writes times: UTC, milliseconds ("2026-03-03T03:12:00.000Z").
/// nullopt if it is not one, or names a day or time that does not exist.
[[nodiscard]] std::optional<std::string> utc_timestamp(std::string_view rfc3339);

/// Whether `text` is a calendar date that exists, written YYYY-MM-DD.
[[nodiscard]] bool is_date(std::string_view text);

/// Days since 1970-01-01 of a proleptic Gregorian date.
[[nodiscard]] std::int64_t days_from_civil(int year, int month, int day) noexcept;

} // namespace plotmap::data
