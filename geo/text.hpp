#pragma once
// UTF-8 text as it arrives from outside: checked, cut at character boundaries, and written
// into JSON without ever throwing on a bad byte (RFC 3629).

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace plotmap::geo {

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

/// `s` with every ill-formed byte sequence replaced by U+FFFD.
[[nodiscard]] std::string valid_utf8(std::string_view s);

/// At most `max_bytes` bytes of `s`, cut before a character rather than inside one; "…"
/// is appended when anything was cut. Ill-formed bytes are replaced by U+FFFD first.
[[nodiscard]] std::string utf8_prefix(std::string_view s, std::size_t max_bytes);

/// `s` with ASCII letters in lower case (header names and values, usernames as keys).
[[nodiscard]] std::string ascii_lower(std::string_view s);

/// Compact JSON text of `value`. Never throws on ill-formed UTF-8 in its strings (they are
/// written with U+FFFD): every JSON plotmap writes goes through this or `json_text_pretty`.
[[nodiscard]] std::string json_text(const nlohmann::json& value);
[[nodiscard]] std::string json_text_pretty(const nlohmann::json& value);

} // namespace plotmap::geo
