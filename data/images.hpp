#pragma once
// Photos as images, through libvips: what a file is (by its content, never its name), and
// the sizes plotmap serves. libvips because it is made for this: it decodes JPEGs already
// shrunk (a 12-megapixel photo becomes a 1600-pixel one without ever being whole in memory),
// streams what it can, auto-rotates by EXIF orientation, and is packaged by Debian with the
// JPEG, PNG, WebP and HEIF (libheif) loaders. Only those four formats are accepted.

#include "geo/geometry.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace plotmap::data::images {

/// What an uploaded image is.
struct info {
    std::string format;     ///< "jpeg", "png", "webp" or "heif"
    std::string media_type; ///< image/jpeg, image/png, image/webp, image/heic
    int width = 0;          ///< as shown: after the EXIF orientation is applied
    int height = 0;
    int orientation = 1;    ///< EXIF orientation, 1..8 (1 when absent)
    std::optional<geo::point> exif_location;  ///< EXIF GPS position, lon/lat
    std::optional<std::string> exif_taken_at; ///< EXIF DateTimeOriginal as "YYYY-MM-DDTHH:MM:SS" (camera local time)
};

/// Reads the header of `file` (nothing else) and decides whether it is an accepted image.
/// @throws unsupported_media_type if the content is not a JPEG, PNG, WebP or HEIF image
///         (whatever the file is called); unprocessable if its header is damaged or it
///         would decode to more than `max_pixels` pixels.
[[nodiscard]] info inspect(const std::filesystem::path& file, std::int64_t max_pixels);

/// Writes `out` as a JPEG at most `size` pixels on its longer side (never enlarged),
/// upright, in sRGB, with no metadata at all. Decodes the whole image, so a truncated or
/// corrupt file is found here. @throws unprocessable naming what is wrong with the image.
void write_resized(const std::filesystem::path& in, const std::filesystem::path& out, int size, int quality);

/// Writes the full-size copy that is served as the original: a JPEG keeps its exact image
/// data, with every metadata segment (EXIF with its GPS position, XMP, IPTC, comments)
/// dropped except the colour profile, and an EXIF block holding only the orientation; a PNG
/// is re-encoded losslessly without metadata; WebP and HEIF become an upright JPEG
/// (quality 92) without metadata. @returns the media type written.
std::string write_public_original(const std::filesystem::path& in, const info& image, const std::filesystem::path& out);

/// A JPEG's bytes without metadata segments but the colour profile, with an EXIF block
/// holding only `orientation` (none when 1). Exposed for tests.
/// @throws unprocessable if `jpeg` is not a well-formed JPEG up to its image data.
[[nodiscard]] std::string strip_jpeg_metadata(const std::string& jpeg, int orientation);

} // namespace plotmap::data::images
