#include "data/import_text.hpp"

#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <vector>

namespace plotmap::data::import_text {
namespace {

bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string replace_all(const std::string& s, std::string_view from, std::string_view to) {
    std::string out;
    std::size_t i = 0;
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, i)) {
        out.append(s, i, at - i);
        out.append(to);
        i = at + from.size();
    }
    out.append(s, i, std::string::npos);
    return out;
}

// Degree, minute and second marks become control characters, never letters.
constexpr char deg_mark = '\x01';
constexpr char min_mark = '\x02';
constexpr char sec_mark = '\x03';

/// Degree, minute and second marks in their many spellings as deg_mark, min_mark and sec_mark.
std::string ascii_marks(std::string_view text) {
    std::string s(text);
    for (const std::string_view d : {"\xc2\xb0", "\xc2\xba", "\xcb\x9a"}) s = replace_all(s, d, "\x01"); // ° º ˚
    for (const std::string_view sec : {"\xe2\x80\xb3", "\xe2\x80\x9d", "''", "\""}) s = replace_all(s, sec, "\x03"); // ″ ” '' "
    for (const std::string_view min : {"\xe2\x80\xb2", "\xe2\x80\x99", "'"}) s = replace_all(s, min, "\x02"); // ′ ’ '
    return s;
}

std::optional<double> plain_number(std::string_view t) {
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// parse_angle on text whose marks are already ASCII.
std::optional<double> angle(std::string_view text, char* hemisphere) {
    std::string s = trim(text);
    char hemi = 0;
    const auto take_letter = [&](bool front) {
        if (s.empty()) return;
        const char c = upper(front ? s.front() : s.back());
        if (c != 'N' && c != 'S' && c != 'E' && c != 'W') return;
        // A lone letter, not part of a word ("Nan" is not a hemisphere).
        if (s.size() > 1 && ascii_alpha(front ? s[1] : s[s.size() - 2])) return;
        hemi = c;
        s = trim(front ? std::string_view(s).substr(1) : std::string_view(s).substr(0, s.size() - 1));
    };
    take_letter(false);
    if (!hemi) take_letter(true);
    // Numbers, each ended by a mark or a space.
    std::vector<double> parts;
    std::vector<char> marks;
    const bool has_dot = s.find('.') != std::string::npos;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        if (i >= s.size()) break;
        std::string num;
        if (s[i] == '-' || s[i] == '+') num.push_back(s[i++]);
        while (i < s.size() && (digit(s[i]) || s[i] == '.' || (s[i] == ',' && !has_dot && i + 1 < s.size() && digit(s[i + 1])))) {
            num.push_back(s[i] == ',' ? '.' : s[i]);
            ++i;
        }
        const auto v = plain_number(num);
        if (!v) return std::nullopt;
        while (i < s.size() && s[i] == ' ') ++i;
        char mark = 0;
        if (i < s.size() && (s[i] == deg_mark || s[i] == min_mark || s[i] == sec_mark)) mark = s[i++];
        parts.push_back(*v);
        marks.push_back(mark);
        if (parts.size() > 3) return std::nullopt;
    }
    if (parts.empty()) return std::nullopt;
    double value = parts[0];
    if (parts.size() > 1) {
        // D M [S]: whole degrees, minutes and seconds below 60, marks (if any) in order.
        const std::array<char, 3> order{deg_mark, min_mark, sec_mark};
        for (std::size_t k = 0; k < parts.size(); ++k) {
            if (marks[k] != 0 && marks[k] != order[k]) return std::nullopt;
        }
        if (parts[0] != std::floor(parts[0]) || parts[1] < 0 || parts[1] >= 60) return std::nullopt;
        if (parts.size() == 3 && (parts[1] != std::floor(parts[1]) || parts[2] < 0 || parts[2] >= 60)) return std::nullopt;
        const double sign = parts[0] < 0 ? -1.0 : 1.0;
        value = std::fabs(parts[0]) + parts[1] / 60.0 + (parts.size() == 3 ? parts[2] / 3600.0 : 0.0);
        value *= sign;
    } else if (marks[0] != 0 && marks[0] != deg_mark) {
        return std::nullopt;
    }
    if (hemi == 'S' || hemi == 'W') value = -std::fabs(value);
    if (hemisphere) *hemisphere = hemi;
    return value;
}

bool in_thai_lat(double v) { return v >= 5.0 && v <= 21.0; }
bool in_thai_lon(double v) { return v >= 97.0 && v <= 106.0; }

} // namespace

std::string trim(std::string_view s) {
    const auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    for (bool again = true; again;) {
        again = false;
        while (!s.empty() && space(static_cast<unsigned char>(s.front()))) s.remove_prefix(1), again = true;
        while (!s.empty() && space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1), again = true;
        // A no-break space (U+00A0) from a spreadsheet counts as space too.
        if (s.starts_with("\xc2\xa0")) s.remove_prefix(2), again = true;
        if (s.ends_with("\xc2\xa0")) s.remove_suffix(2), again = true;
    }
    return std::string(s);
}

std::string fold(std::string_view header) {
    std::string out;
    for (const char c : trim(header)) {
        if (c == ' ' || c == '_' || c == '-' || c == '.') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

std::string normalise_header(std::string_view header, std::string* unit) {
    std::string outside;
    std::string inside;
    int depth = 0;
    for (const char c : header) {
        if (c == '(' || c == '[') {
            ++depth;
        } else if ((c == ')' || c == ']') && depth > 0) {
            --depth;
        } else {
            (depth > 0 ? inside : outside).push_back(c);
        }
    }
    const auto strip = [](const std::string& s) {
        std::string out;
        for (const char c : fold(s)) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x80 && !std::isalnum(u)) continue; // ASCII punctuation: ( ) , / : ; # * ...
            out.push_back(c);
        }
        return out;
    };
    if (unit) *unit = strip(inside);
    return strip(outside);
}

std::optional<double> parse_angle(std::string_view text, char* hemisphere) { return angle(ascii_marks(text), hemisphere); }

bool looks_swapped(double lat, double lon) noexcept {
    return (in_thai_lon(lat) && in_thai_lat(lon)) || (std::fabs(lat) > 90.0 && std::fabs(lon) <= 90.0);
}

std::optional<lat_lon> parse_lat_lon(std::string_view text) {
    const std::string s = trim(ascii_marks(text));
    if (s.empty()) return std::nullopt;
    // Where the two values may part, most telling first: ";", ", ", spaces, then a bare ",".
    std::vector<std::pair<std::size_t, std::size_t>> splits; // (start, length) of the separator
    const auto add_all = [&](std::string_view sep) {
        for (std::size_t at = s.find(sep); at != std::string::npos; at = s.find(sep, at + 1)) splits.emplace_back(at, sep.size());
    };
    add_all(";");
    add_all(", ");
    add_all(" ");
    if (s.find('.') != std::string::npos || std::count(s.begin(), s.end(), ',') == 1) add_all(",");
    for (const auto& [at, len] : splits) {
        const std::string left = trim(std::string_view(s).substr(0, at));
        std::string right = trim(std::string_view(s).substr(at + len));
        while (!right.empty() && (right.front() == ',' || right.front() == ';')) right = trim(std::string_view(right).substr(1));
        char h1 = 0, h2 = 0;
        const auto a = angle(left, &h1);
        const auto b = angle(right, &h2);
        if (!a || !b) continue;
        const bool ns1 = h1 == 'N' || h1 == 'S', ew1 = h1 == 'E' || h1 == 'W';
        const bool ns2 = h2 == 'N' || h2 == 'S', ew2 = h2 == 'E' || h2 == 'W';
        if ((ns1 && ns2) || (ew1 && ew2)) return std::nullopt; // two latitudes or two longitudes
        if (ew1 || ns2) return lat_lon{{*a, *b}, false};      // longitude first, as its letters say
        if (ns1 || ew2) return lat_lon{{*b, *a}, false};
        if (looks_swapped(*a, *b)) return lat_lon{{*a, *b}, true};
        return lat_lon{{*b, *a}, false};
    }
    return std::nullopt;
}

area_unit unit_of(std::string_view header, area_unit fallback) {
    std::string unit;
    const std::string all = normalise_header(header, &unit) + unit;
    const auto has = [&](std::string_view w) { return all.find(w) != std::string::npos; };
    if (has("ตรม") || has("ตารางเมตร") || has("m2") || has("sqm") || has("m²")) return area_unit::square_metre;
    if (has("ไร่งาน") || has("ไรงาน") || has("rainganwa") || has("rngw")) return area_unit::rai_ngan_wa;
    if (has("ไร่") || has("rai")) return area_unit::rai;
    return fallback;
}

double area_m2(std::string_view value, area_unit unit) {
    const std::string text = trim(value);
    const auto wrong = [&](const std::string& why) {
        return bad_request("area \"" + geo::utf8_prefix(text, 40) + "\" " + why +
                           " (write rai-ngan-wa like 3-2-50, or 15 ไร่, or square metres with ตร.ม.)");
    };
    // rai-ngan-wa with dashes or slashes: 3-2-50, 3/2/50, 3-2.
    std::string dashed = text;
    for (char& c : dashed) {
        if (c == '/') c = '-';
    }
    if (dashed.find('-') != std::string::npos && dashed.front() != '-') {
        std::size_t parts = 1 + static_cast<std::size_t>(std::count(dashed.begin(), dashed.end(), '-'));
        if (parts == 2) dashed += "-0";
        if (parts == 2 || parts == 3) {
            try {
                return geo::parse_rai_ngan_wa(dashed).to_m2();
            } catch (const error& e) {
                throw wrong(std::string("is not rai-ngan-wa: ") + e.what());
            }
        }
        throw wrong("has too many parts");
    }
    // Numbers each followed by a unit word: 15 ไร่ 2 งาน 10 ตร.ว., 4,800 ตร.ม., or a bare number.
    double total = 0;
    bool any = false;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        if (i >= text.size()) break;
        std::string num;
        while (i < text.size() && (digit(text[i]) || text[i] == '.' || text[i] == ',')) {
            if (text[i] != ',') num.push_back(text[i]);
            ++i;
        }
        const auto n = plain_number(num);
        if (!n || *n < 0) throw wrong("is not a number");
        std::string word;
        while (i < text.size() && text[i] == ' ') ++i;
        while (i < text.size() && !digit(text[i])) word.push_back(text[i++]);
        const std::string w = normalise_header(word);
        double per = 0;
        if (w.empty()) {
            per = unit == area_unit::square_metre ? 1.0 : geo::m2_per_rai;
        } else if (w == "ไร่" || w == "rai") {
            per = geo::m2_per_rai;
        } else if (w == "งาน" || w == "ngan") {
            per = geo::m2_per_ngan;
        } else if (w == "ตรว" || w == "ตารางวา" || w == "วา" || w == "wa" || w == "sqwa") {
            per = geo::m2_per_square_wa;
        } else if (w == "ตรม" || w == "ตารางเมตร" || w == "m2" || w == "m²" || w == "sqm") {
            per = 1.0;
        } else {
            throw wrong("has a unit that is not ไร่, งาน, ตร.ว. or ตร.ม.");
        }
        total += *n * per;
        any = true;
    }
    if (!any) throw wrong("is empty");
    return total;
}

std::string admin_name_key(std::string_view name) {
    std::string s = trim(name);
    static const std::array<std::string_view, 18> prefixes{
        "กิ่งอำเภอ", "จังหวัด", "อำเภอ", "ตำบล", "แขวง", "เขต", "จ.", "อ.", "ต.", "changwat", "amphoe", "tambon", "khwaeng",
        "khet", "province", "district", "subdistrict", "sub-district"};
    for (bool again = true; again;) {
        again = false;
        std::string lowered;
        for (const char c : s) lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        for (const std::string_view p : prefixes) {
            if (lowered.starts_with(p) && lowered.size() > p.size()) {
                s = trim(std::string_view(s).substr(p.size()));
                again = true;
                break;
            }
            if (lowered.ends_with(p) && lowered.size() > p.size() && ascii_alpha(p.front())) {
                s = trim(std::string_view(s).substr(0, s.size() - p.size()));
                again = true;
                break;
            }
        }
    }
    std::string out;
    for (const char c : s) {
        if (c == ' ' || c == '.' || c == '-') continue;
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

bool looks_like_code(std::string_view name) {
    const std::string s = trim(name);
    if (s.size() < 3 || s.size() > 40) return false;
    bool has_digit = false;
    for (const char c : s) {
        if (digit(c)) {
            has_digit = true;
        } else if (!ascii_alpha(c) && c != '-' && c != '_' && c != '.' && c != '/') {
            return false;
        }
    }
    return has_digit;
}

std::optional<std::string> program_from_code(std::string_view code) {
    const std::string s = trim(code);
    if (s.size() < 4) return std::nullopt;
    std::string prefix;
    for (std::size_t i = 0; i < 3; ++i) prefix.push_back(upper(s[i]));
    if ((prefix == "HLM" || prefix == "CLM") && (s[3] == '-' || s[3] == '_' || digit(s[3]))) return prefix;
    return std::nullopt;
}

} // namespace plotmap::data::import_text
