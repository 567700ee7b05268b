#pragma once
// Thai land units: 1 rai = 4 ngan = 400 square wa = 1600 m²; 1 ngan = 400 m²; 1 wa² = 4 m².
// Shown as "rai-ngan-wa", e.g. "3-0-12.5".

#include <string>
#include <string_view>

namespace plotmap::geo {

inline constexpr double m2_per_rai = 1600.0;
inline constexpr double m2_per_ngan = 400.0;
inline constexpr double m2_per_square_wa = 4.0;

struct rai_ngan_wa {
    long long rai = 0;
    int ngan = 0;        ///< 0..3
    double square_wa = 0; ///< 0..<100, rounded to 0.1

    [[nodiscard]] double to_m2() const noexcept {
        return static_cast<double>(rai) * m2_per_rai + ngan * m2_per_ngan + square_wa * m2_per_square_wa;
    }
    friend bool operator==(const rai_ngan_wa&, const rai_ngan_wa&) = default;
};

/// Splits an area into rai, ngan and square wa (wa rounded to one decimal).
/// @pre m2 >= 0 and finite.
[[nodiscard]] rai_ngan_wa to_rai_ngan_wa(double m2);

/// "3-0-12.5": wa printed with at most one decimal, no trailing ".0".
[[nodiscard]] std::string format_rai_ngan_wa(const rai_ngan_wa& v);

/// Parses "3-0-12.5" (also "3-0-12", whitespace around parts allowed).
/// @throws bad_request naming the part that is wrong (ngan must be 0-3, wa below 100).
[[nodiscard]] rai_ngan_wa parse_rai_ngan_wa(std::string_view text);

} // namespace plotmap::geo
