#include "tiles/glyphs.hpp"

#include "geo/error.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <protozero/pbf_writer.hpp>

#include <cmath>
#include <limits>
#include <mutex>

namespace plotmap::tiles {
namespace {

constexpr int font_size = 24;
constexpr int buffer = 3;
constexpr double radius = 8.0;
constexpr double cutoff = 0.25;
constexpr double infinity = 1e20;

/// One dimension of the Felzenszwalb-Huttenlocher squared Euclidean distance transform.
void edt_1d(std::vector<double>& f, std::size_t offset, std::size_t stride, std::size_t n, std::vector<double>& d,
            std::vector<int>& v, std::vector<double>& z) {
    v[0] = 0;
    z[0] = -infinity;
    z[1] = infinity;
    int k = 0;
    for (std::size_t q = 1; q < n; ++q) {
        const auto fq = f[offset + q * stride];
        const auto qd = static_cast<double>(q);
        double s = 0;
        do {
            const auto r = static_cast<std::size_t>(v[static_cast<std::size_t>(k)]);
            const auto rd = static_cast<double>(r);
            s = (fq - f[offset + r * stride] + qd * qd - rd * rd) / (2 * qd - 2 * rd);
        } while (s <= z[static_cast<std::size_t>(k)] && --k > -1);
        ++k;
        v[static_cast<std::size_t>(k)] = static_cast<int>(q);
        z[static_cast<std::size_t>(k)] = s;
        z[static_cast<std::size_t>(k) + 1] = infinity;
    }
    k = 0;
    for (std::size_t q = 0; q < n; ++q) {
        const auto qd = static_cast<double>(q);
        while (z[static_cast<std::size_t>(k) + 1] < qd) ++k;
        const auto r = static_cast<std::size_t>(v[static_cast<std::size_t>(k)]);
        const double dr = qd - static_cast<double>(r);
        d[q] = dr * dr + f[offset + r * stride];
    }
    for (std::size_t q = 0; q < n; ++q) f[offset + q * stride] = d[q];
}

void edt_2d(std::vector<double>& grid, std::size_t w, std::size_t h) {
    const std::size_t n = std::max(w, h);
    std::vector<double> d(n);
    std::vector<int> v(n);
    std::vector<double> z(n + 1);
    for (std::size_t x = 0; x < w; ++x) edt_1d(grid, x, w, h, d, v, z);
    for (std::size_t y = 0; y < h; ++y) edt_1d(grid, y * w, 1, w, d, v, z);
}

struct library_deleter {
    void operator()(FT_Library lib) const noexcept { FT_Done_FreeType(lib); }
};
struct face_deleter {
    void operator()(FT_Face face) const noexcept { FT_Done_Face(face); }
};

} // namespace

std::string signed_distance_field(const unsigned char* coverage, int width, int height, int pitch, int pad, double r,
                                  double cut) {
    const auto w = static_cast<std::size_t>(width + 2 * pad);
    const auto h = static_cast<std::size_t>(height + 2 * pad);
    std::vector<double> outer(w * h, infinity);
    std::vector<double> inner(w * h, 0.0);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const double a = coverage[y * pitch + x] / 255.0;
            const std::size_t i = static_cast<std::size_t>(y + pad) * w + static_cast<std::size_t>(x + pad);
            if (a >= 1.0) {
                outer[i] = 0;
                inner[i] = infinity;
            } else if (a > 0.0) {
                const double outside = std::max(0.0, 0.5 - a);
                const double inside = std::max(0.0, a - 0.5);
                outer[i] = outside * outside;
                inner[i] = inside * inside;
            }
        }
    }
    edt_2d(outer, w, h);
    edt_2d(inner, w, h);
    std::string out(w * h, '\0');
    for (std::size_t i = 0; i < w * h; ++i) {
        const double d = std::sqrt(outer[i]) - std::sqrt(inner[i]);
        out[i] = static_cast<char>(static_cast<unsigned char>(std::clamp(std::round(255.0 - 255.0 * (d / r + cut)), 0.0, 255.0)));
    }
    return out;
}

struct glyph_renderer::impl {
    std::unique_ptr<FT_LibraryRec_, library_deleter> library;
    std::vector<std::string> font_bytes;
    std::vector<std::unique_ptr<FT_FaceRec_, face_deleter>> faces;
    std::mutex mutex; // FreeType faces are not thread-safe
};

glyph_renderer::glyph_renderer(std::vector<std::string> fonts) : impl_(std::make_unique<impl>()) {
    FT_Library lib = nullptr;
    if (FT_Init_FreeType(&lib) != 0) throw error("FreeType could not start");
    impl_->library.reset(lib);
    impl_->font_bytes = std::move(fonts);
    for (const std::string& bytes : impl_->font_bytes) {
        FT_Face face = nullptr;
        if (FT_New_Memory_Face(lib, reinterpret_cast<const FT_Byte*>(bytes.data()), static_cast<FT_Long>(bytes.size()), 0,
                               &face) != 0) {
            throw error("FreeType cannot read a label font");
        }
        FT_Set_Pixel_Sizes(face, 0, font_size);
        impl_->faces.emplace_back(face);
    }
}

glyph_renderer::~glyph_renderer() = default;

std::string glyph_renderer::range(const std::string& name, unsigned start) const {
    std::string stack;
    protozero::pbf_writer fontstack(stack);
    fontstack.add_string(1, name);
    fontstack.add_string(2, std::to_string(start) + "-" + std::to_string(start + 255));
    const std::lock_guard lock(impl_->mutex);
    for (unsigned cp = start; cp <= start + 255; ++cp) {
        for (const auto& face : impl_->faces) {
            const FT_UInt index = FT_Get_Char_Index(face.get(), cp);
            if (index == 0) continue;
            if (FT_Load_Glyph(face.get(), index, FT_LOAD_RENDER | FT_LOAD_NO_HINTING) != 0) break;
            const FT_GlyphSlot slot = face->glyph;
            const FT_Bitmap& bm = slot->bitmap;
            std::string glyph;
            protozero::pbf_writer g(glyph);
            g.add_uint32(1, cp);
            if (bm.width > 0 && bm.rows > 0) {
                g.add_bytes(2, signed_distance_field(bm.buffer, static_cast<int>(bm.width), static_cast<int>(bm.rows),
                                                     bm.pitch, buffer, radius, cutoff));
            }
            g.add_uint32(3, bm.width);
            g.add_uint32(4, bm.rows);
            g.add_sint32(5, slot->bitmap_left);
            g.add_sint32(6, slot->bitmap_top - font_size);
            g.add_uint32(7, static_cast<std::uint32_t>(std::lround(static_cast<double>(slot->advance.x) / 64.0)));
            fontstack.add_message(3, glyph);
            break;
        }
    }
    std::string out;
    protozero::pbf_writer(out).add_message(1, stack);
    return out;
}

} // namespace plotmap::tiles
