#include "geo/rai_ngan_wa.hpp"

#include "geo/error.hpp"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace plotmap::geo {

rai_ngan_wa to_rai_ngan_wa(double m2) {
    assert(m2 >= 0.0 && std::isfinite(m2));
    // Work in tenths of a square wa so that rounding carries into ngan and rai.
    const auto tenths = static_cast<long long>(std::llround(m2 / m2_per_square_wa * 10.0));
    rai_ngan_wa v;
    v.rai = tenths / 4000;
    v.ngan = static_cast<int>((tenths % 4000) / 1000);
    v.square_wa = static_cast<double>(tenths % 1000) / 10.0;
    return v;
}

std::string format_rai_ngan_wa(const rai_ngan_wa& v) {
    // Square wa to one decimal, the decimal dropped when it is zero ("3-1-50", "3-1-64.5").
    const long long tenths = std::llround(v.square_wa * 10.0);
    std::string out = std::to_string(v.rai) + "-" + std::to_string(v.ngan) + "-" + std::to_string(tenths / 10);
    if (tenths % 10 != 0) {
        out.push_back('.');
        out.push_back(static_cast<char>('0' + std::llabs(tenths % 10)));
    }
    return out;
}

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

template <typename T>
T parse_part(std::string_view part, const char* name, std::string_view whole) {
    part = trim(part);
    T value{};
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || value < 0) {
        throw bad_request("rai-ngan-wa \"" + std::string(whole) + "\": " + name + " must be a non-negative number");
    }
    return value;
}

} // namespace

rai_ngan_wa parse_rai_ngan_wa(std::string_view text) {
    const auto first = text.find('-');
    const auto second = first == std::string_view::npos ? first : text.find('-', first + 1);
    if (second == std::string_view::npos || text.find('-', second + 1) != std::string_view::npos) {
        throw bad_request("rai-ngan-wa \"" + std::string(text) + "\": expected three parts like 3-0-12.5");
    }
    rai_ngan_wa v;
    v.rai = parse_part<long long>(text.substr(0, first), "rai", text);
    v.ngan = parse_part<int>(text.substr(first + 1, second - first - 1), "ngan", text);
    v.square_wa = parse_part<double>(text.substr(second + 1), "square wa", text);
    if (v.ngan > 3) throw bad_request("rai-ngan-wa \"" + std::string(text) + "\": ngan must be 0 to 3");
    if (!(v.square_wa < 100.0)) {
        throw bad_request("rai-ngan-wa \"" + std::string(text) + "\": square wa must be below 100");
    }
    return v;
}

} // namespace plotmap::geo
