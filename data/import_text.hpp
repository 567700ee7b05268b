#pragma once
// Reading the text people type into district spreadsheets: header names however they are
// spelled, coordinates however they are pasted (decimal, decimal comma, N/E letters,
// degrees-minutes-seconds, swapped pairs), areas in rai-ngan-wa, and admin area names with
// or without their จังหวัด/อำเภอ/ตำบล prefixes. Pure functions, no I/O.

#include "geo/geometry.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace plotmap::data::import_text {

/// `s` without surrounding spaces, tabs, line ends and no-break spaces.
[[nodiscard]] std::string trim(std::string_view s);

/// A header folded for exact matching: ASCII lower case; spaces, dashes, underscores and
/// dots removed ("Owner Name", "owner_name" and "owner-name" are one column).
[[nodiscard]] std::string fold(std::string_view header);

/// A header reduced further for loose matching: fold() of the text outside parentheses and
/// brackets, without any punctuation. `unit` gets the folded text inside them, if any:
/// "พื้นที่ (ไร่-งาน-ตร.ว.)" is "พื้นที่" with unit "ไร่งานตรว".
[[nodiscard]] std::string normalise_header(std::string_view header, std::string* unit = nullptr);

/// One angle in degrees: decimal ("16.4321", "16,4321", "16.4321N", "N16.4321") or
/// degrees-minutes-seconds ("16°24'12.1\"N", "16º24′12.1″", "16 24 12.1"). `hemisphere`
/// gets 'N', 'S', 'E' or 'W' if a letter was given (S and W make the value negative), else 0.
[[nodiscard]] std::optional<double> parse_angle(std::string_view text, char* hemisphere = nullptr);

struct lat_lon {
    geo::point lonlat;
    bool swapped = false; ///< written longitude first (read so because of its letters or its values)
};

/// A latitude/longitude pair as pasted from Google Maps, a GPS or a document: "16.4321,
/// 102.8123", "16,4321 102,8123", "16.4321N 102.8123E", "16°24'12.1\"N 103°30'20.4\"E".
/// Letters decide the axes; without them the first is latitude unless the values only fit
/// the other way round in Thailand (longitude 97-106, latitude 5-21), which sets `swapped`.
[[nodiscard]] std::optional<lat_lon> parse_lat_lon(std::string_view text);

/// Whether (lat, lon) read from two columns are the wrong way round for Thailand.
[[nodiscard]] bool looks_swapped(double lat, double lon) noexcept;

enum class area_unit { rai_ngan_wa, rai, square_metre };

/// The area unit a header names in its parentheses or words (ไร่, ไร่-งาน-วา, ตร.ม., m2...),
/// or `fallback`.
[[nodiscard]] area_unit unit_of(std::string_view header, area_unit fallback);

/// An area value in m²: "3-2-50" (rai-ngan-wa), "15 ไร่", "15 ไร่ 2 งาน 10 ตร.ว.", "15",
/// "4,800 ตร.ม."; a bare number is in `unit`.
/// @throws bad_request naming what is wrong.
[[nodiscard]] double area_m2(std::string_view value, area_unit unit);

/// A Thai admin area name reduced for comparison: prefixes such as จังหวัด, จ., อำเภอ, อ.,
/// เขต, ตำบล, ต., แขวง, Changwat, Amphoe, Tambon removed, spaces and dots dropped, ASCII
/// lower case. "จ.ขอนแก่น" and "ขอนแก่น" compare equal.
[[nodiscard]] std::string admin_name_key(std::string_view name);

/// Whether a placemark or row name looks like a plot code (ASCII, no spaces, has a digit,
/// e.g. "HLM-4608-0001" or "460806-0001") rather than a plot's name.
[[nodiscard]] bool looks_like_code(std::string_view name);

/// The programme a code's prefix names ("HLM-..." or "CLM-..."), if any.
[[nodiscard]] std::optional<std::string> program_from_code(std::string_view code);

} // namespace plotmap::data::import_text
