#pragma once
// Signed-distance-field glyphs for MapLibre labels, in the glyph PBF format MapLibre GL
// reads from a style's "glyphs" URL: 24 px glyphs, 3 px buffer, radius 8, cutoff 0.25 (the
// conventions of Mapbox's fontnik and TinySDF). Fonts come in as bytes; this file does no I/O.

#include <memory>
#include <string>
#include <vector>

namespace plotmap::tiles {

class glyph_renderer {
public:
    /// `fonts`: font file contents, first choice first; a code point missing from the first
    /// falls back to the next. @throws error if FreeType cannot read a font.
    explicit glyph_renderer(std::vector<std::string> fonts);
    ~glyph_renderer();
    glyph_renderer(const glyph_renderer&) = delete;
    glyph_renderer& operator=(const glyph_renderer&) = delete;

    /// The PBF for code points [start, start + 255] under the font stack `name`.
    /// @pre start is a multiple of 256 and below 65536.
    [[nodiscard]] std::string range(const std::string& name, unsigned start) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Signed distance field of an 8-bit coverage bitmap (exposed for tests): returns
/// (width + 2 * buffer) x (height + 2 * buffer) bytes, 255 deep inside, about 191 on the
/// edge, falling to 0 `radius` pixels outside.
[[nodiscard]] std::string signed_distance_field(const unsigned char* coverage, int width, int height, int pitch, int buffer,
                                                double radius, double cutoff);

} // namespace plotmap::tiles
