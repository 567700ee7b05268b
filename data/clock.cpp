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

std::int64_t days_from_civil(int year, int month, int day) noexcept {
    // H. Hinnant's days_from_civil.
    const std::int64_t y = year - (month <= 2 ? 1 : 0);
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

namespace {

bool digits(std::string_view t, std::size_t at, std::size_t n, int& value) {
    if (t.size() < at + n) return false;
    value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (t[i] < '0' || t[i] > '9') return false;
        value = value * 10 + (t[i] - '0');
    }
    return true;
}

bool valid_day(int y, int m, int d) {
    constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= lengths[m - 1] + (m == 2 && leap ? 1 : 0);
}

} // namespace

bool is_date(std::string_view t) {
    int y = 0, m = 0, d = 0;
    return t.size() == 10 && digits(t, 0, 4, y) && t[4] == '-' && digits(t, 5, 2, m) && t[7] == '-' && digits(t, 8, 2, d) &&
           valid_day(y, m, d);
}

std::optional<std::string> utc_timestamp(std::string_view t) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (t.size() < 20 || !is_date(t.substr(0, 10)) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ')) return std::nullopt;
    (void)digits(t, 0, 4, y);
    (void)digits(t, 5, 2, mo);
    (void)digits(t, 8, 2, d);
    if (!digits(t, 11, 2, h) || t[13] != ':' || !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, s)) return std::nullopt;
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
    std::size_t i = 19;
    int ms = 0;
    if (t[i] == '.') {
        std::size_t n = 0;
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, ++n) {
            if (n < 3) ms = ms * 10 + (t[i] - '0');
        }
        if (n == 0) return std::nullopt;
        for (; n < 3; ++n) ms *= 10;
    }
    const std::string_view zone = t.substr(i);
    int offset_min = 0;
    if (zone != "Z" && zone != "z") {
        int oh = 0, om = 0;
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !digits(zone, 1, 2, oh) || zone[3] != ':' ||
            !digits(zone, 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_min = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    const std::int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + std::min(s, 59) - offset_min * 60;
    std::string out = iso_utc(seconds);
    out.pop_back(); // Z
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%03dZ", ms);
    return out + frac;
}

} // namespace plotmap::data
