#include "data/spatialite_blob.hpp"

#include "geo/error.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace plotmap::data {
namespace {

// BLOB-Geometry: 0x00, endianness, SRID (4), MBR (4 doubles), 0x7C, class (4), body..., 0xFE.
constexpr std::size_t header_size = 43;
constexpr std::uint32_t point_class = 1;
constexpr std::uint32_t polygon_class = 3;
constexpr std::uint32_t multi_polygon_class = 6;

class cursor {
public:
    explicit cursor(std::string_view b) : bytes_(b) {
        if (b.size() < header_size + 1 || static_cast<unsigned char>(b[0]) != 0x00 ||
            static_cast<unsigned char>(b[38]) != 0x7C || static_cast<unsigned char>(b.back()) != 0xFE) {
            throw store_error("not a SpatiaLite geometry BLOB");
        }
        swap_ = static_cast<unsigned char>(b[1]) == 0x00; // 0x01 little endian, 0x00 big
        pos_ = 39;
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v;
        std::memcpy(&v, bytes_.data() + pos_, 4);
        pos_ += 4;
        return swap_ ? __builtin_bswap32(v) : v;
    }
    double f64() {
        need(8);
        std::uint64_t v;
        std::memcpy(&v, bytes_.data() + pos_, 8);
        pos_ += 8;
        return std::bit_cast<double>(swap_ ? __builtin_bswap64(v) : v);
    }
    void marker(unsigned char expected) {
        need(1);
        if (static_cast<unsigned char>(bytes_[pos_++]) != expected) throw store_error("malformed SpatiaLite geometry BLOB");
    }
    std::uint32_t count(std::size_t min_bytes) {
        const std::uint32_t n = u32();
        if (n > (bytes_.size() - pos_) / min_bytes) throw store_error("truncated SpatiaLite geometry BLOB");
        return n;
    }
    geo::polygon polygon() {
        geo::polygon poly;
        const std::uint32_t rings = count(4);
        poly.rings.resize(rings);
        for (auto& ring : poly.rings) {
            const std::uint32_t n = count(16);
            ring.reserve(n);
            for (std::uint32_t i = 0; i < n; ++i) {
                const double x = f64();
                const double y = f64();
                ring.push_back({x, y});
            }
        }
        return poly;
    }

private:
    void need(std::size_t n) const {
        if (bytes_.size() - pos_ < n) throw store_error("truncated SpatiaLite geometry BLOB");
    }
    std::string_view bytes_;
    std::size_t pos_ = 0;
    bool swap_ = false;
};

} // namespace

geo::point point_from_spatialite(std::string_view blob) {
    cursor c(blob);
    if (c.u32() != point_class) throw store_error("SpatiaLite BLOB is not an XY POINT");
    const double x = c.f64();
    const double y = c.f64();
    return {x, y};
}

geo::multi_polygon multi_polygon_from_spatialite(std::string_view blob) {
    cursor c(blob);
    const std::uint32_t type = c.u32();
    geo::multi_polygon mp;
    if (type == polygon_class) {
        mp.polygons.push_back(c.polygon());
    } else if (type == multi_polygon_class) {
        const std::uint32_t n = c.count(9);
        mp.polygons.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            c.marker(0x69); // entity start
            if (c.u32() != polygon_class) throw store_error("SpatiaLite MULTIPOLYGON member is not an XY POLYGON");
            mp.polygons.push_back(c.polygon());
        }
    } else {
        throw store_error("SpatiaLite BLOB is not an XY POLYGON or MULTIPOLYGON");
    }
    return mp;
}

} // namespace plotmap::data
