#include "data/uuid.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

namespace plotmap::data {

std::string new_uuid() {
    thread_local std::mt19937_64 gen{(std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()};
    const std::uint64_t hi = gen();
    return uuid_v4(hi, gen());
}

std::string canonical_uuid(const std::string& text) {
    static constexpr std::array<std::size_t, 4> dashes{8, 13, 18, 23};
    bool ok = text.size() == 36;
    std::string out = text;
    for (std::size_t i = 0; ok && i < text.size(); ++i) {
        const bool dash = std::find(dashes.begin(), dashes.end(), i) != dashes.end();
        ok = dash ? text[i] == '-' : std::isxdigit(static_cast<unsigned char>(text[i])) != 0;
        out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    }
    if (!ok) throw bad_request("uid \"" + geo::utf8_prefix(text, 64) + "\" is not a UUID (like 3f2b8c4e-9a1d-4e5f-8b7a-1c2d3e4f5a6b)");
    return out;
}

} // namespace plotmap::data
