#include "data/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace plotmap::data {
namespace {

std::string format(std::time_t t, int ms) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    if (ms < 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    }
    return buf;
}

} // namespace

std::string now_utc() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    return format(std::chrono::system_clock::to_time_t(now), static_cast<int>(ms));
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string iso_utc(std::int64_t unix_seconds) { return format(static_cast<std::time_t>(unix_seconds), -1); }

} // namespace plotmap::data
