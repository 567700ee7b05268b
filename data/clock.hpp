#pragma once
// Wall-clock time as the store records it.

#include <cstdint>
#include <string>

namespace plotmap::data {

/// Now as ISO 8601 UTC with milliseconds ("2026-11-22T03:04:05.678Z").
[[nodiscard]] std::string now_utc();

/// Seconds since the Unix epoch.
[[nodiscard]] std::int64_t unix_now();

/// A Unix time as ISO 8601 UTC ("2026-11-22T03:04:05Z").
[[nodiscard]] std::string iso_utc(std::int64_t unix_seconds);

} // namespace plotmap::data
