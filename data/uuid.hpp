#pragma once
// UUID version 4 text, from 128 random bits the caller supplies (the demo's deterministic
// generator, or the system's randomness for new plots).

#include <cstdint>
#include <cstdio>
#include <string>

namespace plotmap::data {

/// Formats 128 bits as a version-4, variant-1 UUID: "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx".
inline std::string uuid_v4(std::uint64_t hi, std::uint64_t lo) {
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", static_cast<unsigned long long>(hi >> 32),
                  static_cast<unsigned long long>((hi >> 16) & 0xFFFF), static_cast<unsigned long long>(hi & 0xFFFF),
                  static_cast<unsigned long long>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
    return buf;
}

/// A new random version-4 UUID.
[[nodiscard]] std::string new_uuid();

/// Lower-cased canonical UUID. @throws bad_request if it is not 8-4-4-4-12 hex digits.
[[nodiscard]] std::string canonical_uuid(const std::string& text);

} // namespace plotmap::data
