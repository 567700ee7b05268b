#include "data/images.hpp"

#include "geo/error.hpp"

#include <vips/vips.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string_view>

namespace plotmap::data::images {
namespace {

void start_vips() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (VIPS_INIT("plotmap") != 0) throw error("libvips could not be initialised: " + std::string(vips_error_buffer()));
        // Loaders that are not meant for files from strangers (ImageMagick, MATLAB, ...) are off;
        // plotmap also accepts only four formats by name below.
        vips_block_untrusted_set(TRUE);
        // No operation cache: every photo is processed once, and cached images would hold memory.
        vips_cache_set_max(0);
        vips_cache_set_max_mem(0);
    });
}

struct image_unref {
    void operator()(VipsImage* im) const noexcept { g_object_unref(im); }
};
using image_ptr = std::unique_ptr<VipsImage, image_unref>;

/// libvips' message for the last failure, cleared, without its trailing newline.
std::string vips_message() {
    std::string msg = vips_error_buffer();
    vips_error_clear();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl) + " ...";
    return msg;
}

struct format_of_loader {
    const char* loader;
    const char* format;
    const char* media_type;
};
constexpr format_of_loader accepted[] = {
    {"VipsForeignLoadJpeg", "jpeg", "image/jpeg"},
    {"VipsForeignLoadPng", "png", "image/png"},
    {"VipsForeignLoadWebp", "webp", "image/webp"},
    {"VipsForeignLoadHeif", "heif", "image/heic"},
};

std::optional<std::string> exif_string(VipsImage* im, const char* name) {
    const char* value = nullptr;
    if (vips_image_get_typeof(im, name) == 0 || vips_image_get_string(im, name, &value) != 0 || value == nullptr) {
        vips_error_clear();
        return std::nullopt;
    }
    return std::string(value);
}

/// libvips shows an EXIF rational triple as "13/1 45/1 3012/100 (13, 45, 30.12, ...)":
/// degrees, minutes, seconds.
std::optional<double> exif_degrees(const std::string& text) {
    double parts[3] = {0, 0, 0};
    const char* s = text.c_str();
    for (double& part : parts) {
        long long num = 0;
        long long den = 0;
        int used = 0;
        if (std::sscanf(s, " %lld/%lld%n", &num, &den, &used) != 2 || den == 0) return std::nullopt;
        part = static_cast<double>(num) / static_cast<double>(den);
        s += used;
    }
    if (parts[1] < 0 || parts[1] >= 60 || parts[2] < 0 || parts[2] >= 60) return std::nullopt;
    return parts[0] + parts[1] / 60.0 + parts[2] / 3600.0;
}

std::optional<geo::point> exif_location(VipsImage* im) {
    const auto lat = exif_string(im, "exif-ifd3-GPSLatitude");
    const auto lat_ref = exif_string(im, "exif-ifd3-GPSLatitudeRef");
    const auto lon = exif_string(im, "exif-ifd3-GPSLongitude");
    const auto lon_ref = exif_string(im, "exif-ifd3-GPSLongitudeRef");
    if (!lat || !lon || !lat_ref || !lon_ref) return std::nullopt;
    auto y = exif_degrees(*lat);
    auto x = exif_degrees(*lon);
    if (!x || !y || *y > 90 || *x > 180) return std::nullopt;
    if (!lat_ref->empty() && lat_ref->front() == 'S') *y = -*y;
    if (!lon_ref->empty() && lon_ref->front() == 'W') *x = -*x;
    if (*x == 0 && *y == 0) return std::nullopt; // cameras without a fix write zeros
    return geo::point{*x, *y};
}

/// "2026:03:03 10:12:00 (2026:03:03 10:12:00, ASCII, 20 components, 20 bytes)" as
/// "2026-03-03T10:12:00".
std::optional<std::string> exif_time(VipsImage* im) {
    const auto text = exif_string(im, "exif-ifd2-DateTimeOriginal");
    if (!text || text->size() < 19) return std::nullopt;
    std::string t = text->substr(0, 19);
    for (const std::size_t i : {4u, 7u}) {
        if (t[i] != ':') return std::nullopt;
        t[i] = '-';
    }
    if (t[10] != ' ' || t[13] != ':' || t[16] != ':') return std::nullopt;
    t[10] = 'T';
    for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u}) {
        if (t[i] < '0' || t[i] > '9') return std::nullopt;
    }
    if (t.starts_with("0000")) return std::nullopt;
    return t;
}

/// Upright, sRGB (or grey) and without alpha: what a JPEG can hold.
image_ptr for_jpeg(image_ptr im) {
    VipsImage* out = nullptr;
    if (vips_image_hasalpha(im.get())) {
        VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
        const int rc = vips_flatten(im.get(), &out, "background", white, nullptr);
        vips_area_unref(VIPS_AREA(white));
        if (rc != 0) throw unprocessable("the image cannot be converted: " + vips_message());
        im.reset(out);
    }
    const VipsInterpretation interpretation = vips_image_guess_interpretation(im.get());
    if (interpretation != VIPS_INTERPRETATION_sRGB && interpretation != VIPS_INTERPRETATION_B_W) {
        if (vips_colourspace(im.get(), &out, VIPS_INTERPRETATION_sRGB, nullptr) != 0) {
            throw unprocessable("the image cannot be converted to sRGB: " + vips_message());
        }
        im.reset(out);
    }
    if (vips_image_get_format(im.get()) != VIPS_FORMAT_UCHAR) {
        if (vips_cast(im.get(), &out, VIPS_FORMAT_UCHAR, nullptr) != 0) throw unprocessable("the image cannot be converted: " + vips_message());
        im.reset(out);
    }
    return im;
}

void save_jpeg(VipsImage* im, const std::filesystem::path& out, int quality) {
    if (vips_jpegsave(im, out.c_str(), "Q", quality, "strip", TRUE, "optimize_coding", TRUE, nullptr) != 0) {
        throw unprocessable("the image cannot be decoded (truncated or corrupt?): " + vips_message());
    }
}

void put16(std::string& out, unsigned v) {
    out.push_back(static_cast<char>((v >> 8) & 0xff));
    out.push_back(static_cast<char>(v & 0xff));
}

} // namespace

info inspect(const std::filesystem::path& file, std::int64_t max_pixels) {
    start_vips();
    const char* loader = vips_foreign_find_load(file.c_str());
    if (loader == nullptr) {
        vips_error_clear();
        throw unsupported_media_type("the file is not an image plotmap accepts: send a JPEG, PNG, WebP or HEIC photo");
    }
    info result;
    for (const format_of_loader& f : accepted) {
        if (std::string_view(loader).starts_with(f.loader)) {
            result.format = f.format;
            result.media_type = f.media_type;
        }
    }
    if (result.format.empty()) {
        throw unsupported_media_type("the file is an image plotmap does not accept (" + std::string(loader) +
                                     "): send a JPEG, PNG, WebP or HEIC photo");
    }
    // Header only: sequential access and no pixels decoded yet.
    image_ptr im(vips_image_new_from_file(file.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, nullptr));
    if (!im) throw unprocessable("the " + result.format + " image cannot be read: " + vips_message());
    const std::int64_t w = vips_image_get_width(im.get());
    const std::int64_t h = vips_image_get_height(im.get());
    if (w <= 0 || h <= 0) throw unprocessable("the image has no pixels");
    if (w * h > max_pixels) {
        throw unprocessable("the image is " + std::to_string(w) + " x " + std::to_string(h) + " pixels, more than the " +
                            std::to_string(max_pixels) + " allowed (photos.max_pixels)");
    }
    result.orientation = std::clamp(vips_image_get_orientation(im.get()), 1, 8);
    const bool swapped = result.orientation >= 5;
    result.width = static_cast<int>(swapped ? h : w);
    result.height = static_cast<int>(swapped ? w : h);
    result.exif_location = exif_location(im.get());
    result.exif_taken_at = exif_time(im.get());
    return result;
}

void write_resized(const std::filesystem::path& in, const std::filesystem::path& out, int size, int quality) {
    start_vips();
    VipsImage* raw = nullptr;
    // fail_on truncated: a photo cut short by a dropped connection is refused, not served grey.
    if (vips_thumbnail(in.c_str(), &raw, size, "height", size, "size", VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                       nullptr) != 0) {
        throw unprocessable("the image cannot be decoded (truncated or corrupt?): " + vips_message());
    }
    image_ptr im = for_jpeg(image_ptr(raw));
    save_jpeg(im.get(), out, quality);
}

std::string strip_jpeg_metadata(const std::string& jpeg, int orientation) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(jpeg[i]); };
    if (jpeg.size() < 4 || byte(0) != 0xFF || byte(1) != 0xD8) throw unprocessable("not a JPEG file (no start-of-image marker)");
    std::string out;
    out.reserve(jpeg.size());
    out.append("\xFF\xD8", 2);
    if (orientation > 1 && orientation <= 8) {
        // APP1 "Exif\0\0", little-endian TIFF header, one IFD with one SHORT entry: Orientation.
        out.append("\xFF\xE1", 2);
        put16(out, 2 + 6 + 8 + 2 + 12 + 4);
        out.append("Exif\0\0", 6);
        out.append("II*\0\x08\0\0\0", 8);
        out.append("\x01\0", 2);
        out.append("\x12\x01\x03\0\x01\0\0\0", 8);
        out.push_back(static_cast<char>(orientation));
        out.append("\0\0\0", 3);
        out.append("\0\0\0\0", 4);
    }
    std::size_t i = 2;
    for (;;) {
        if (i + 4 > jpeg.size()) throw unprocessable("the JPEG ends before its image data");
        if (byte(i) != 0xFF) throw unprocessable("the JPEG's structure is damaged at byte " + std::to_string(i));
        const unsigned marker = byte(i + 1);
        if (marker == 0xFF) { // fill byte
            ++i;
            continue;
        }
        if (marker == 0xDA) { // start of scan: the image data and everything after it, unchanged
            out.append(jpeg, i, std::string::npos);
            return out;
        }
        const std::size_t length = (static_cast<std::size_t>(byte(i + 2)) << 8) | byte(i + 3);
        if (length < 2 || i + 2 + length > jpeg.size()) throw unprocessable("the JPEG's structure is damaged at byte " + std::to_string(i));
        // APP0 (JFIF) and APP2 (ICC colour profile) and Adobe APP14 stay; other APPn (EXIF,
        // XMP, IPTC, maker data) and comments go.
        const bool metadata = (marker >= 0xE1 && marker <= 0xEF && marker != 0xE2 && marker != 0xEE) || marker == 0xFE;
        if (!metadata) out.append(jpeg, i, 2 + length);
        i += 2 + length;
    }
}

std::string write_public_original(const std::filesystem::path& in, const info& image, const std::filesystem::path& out) {
    start_vips();
    if (image.format == "jpeg") {
        std::ifstream f(in, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (!f.good() && !f.eof()) throw error("cannot read " + in.string());
        const std::string stripped = strip_jpeg_metadata(bytes, image.orientation);
        std::ofstream o(out, std::ios::binary | std::ios::trunc);
        o.write(stripped.data(), static_cast<std::streamsize>(stripped.size()));
        o.close();
        if (!o) throw error("cannot write " + out.string());
        return "image/jpeg";
    }
    image_ptr im(vips_image_new_from_file(in.c_str(), "fail_on", VIPS_FAIL_ON_TRUNCATED, nullptr));
    if (!im) throw unprocessable("the image cannot be read: " + vips_message());
    VipsImage* raw = nullptr;
    if (vips_autorot(im.get(), &raw, nullptr) != 0) throw unprocessable("the image cannot be turned upright: " + vips_message());
    im.reset(raw);
    if (image.format == "png") {
        if (vips_pngsave(im.get(), out.c_str(), "strip", TRUE, nullptr) != 0) {
            throw unprocessable("the image cannot be decoded (truncated or corrupt?): " + vips_message());
        }
        return "image/png";
    }
    im = for_jpeg(std::move(im));
    save_jpeg(im.get(), out, 92);
    return "image/jpeg";
}

} // namespace plotmap::data::images
