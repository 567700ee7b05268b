#include "geo/wkb.hpp"

#include "geo/error.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace plotmap::geo {
namespace {

constexpr std::uint32_t wkb_point = 1;
constexpr std::uint32_t wkb_polygon = 3;
constexpr std::uint32_t wkb_multi_polygon = 6;

static_assert(std::endian::native == std::endian::little, "WKB writer assumes a little-endian host");

class writer {
public:
    void header(std::uint32_t type) {
        out_.push_back('\x01');
        u32(type);
    }
    void u32(std::uint32_t v) { append(&v, sizeof v); }
    void f64(double v) { append(&v, sizeof v); }
    void ring(const geo::ring& r) {
        u32(static_cast<std::uint32_t>(r.size()));
        for (const point& p : r) {
            f64(p.x);
            f64(p.y);
        }
    }
    void polygon(const geo::polygon& poly) {
        header(wkb_polygon);
        u32(static_cast<std::uint32_t>(poly.rings.size()));
        for (const geo::ring& r : poly.rings) ring(r);
    }
    std::string take() { return std::move(out_); }

private:
    void append(const void* data, std::size_t n) { out_.append(static_cast<const char*>(data), n); }
    std::string out_;
};

class reader {
public:
    explicit reader(std::string_view bytes) : bytes_(bytes) {}

    std::uint32_t header() {
        const auto order = static_cast<unsigned char>(take(1)[0]);
        if (order > 1) throw invalid_geometry("WKB: bad byte-order mark");
        swap_ = (order == 0);
        const std::uint32_t type = u32();
        if (type > 1000) throw invalid_geometry("WKB: only 2D geometries are supported");
        return type;
    }
    std::uint32_t u32() {
        std::uint32_t v;
        std::memcpy(&v, take(4).data(), 4);
        return swap_ ? __builtin_bswap32(v) : v;
    }
    double f64() {
        std::uint64_t bits;
        std::memcpy(&bits, take(8).data(), 8);
        if (swap_) bits = __builtin_bswap64(bits);
        return std::bit_cast<double>(bits);
    }
    geo::ring ring() {
        const std::uint32_t n = count(16);
        geo::ring r;
        r.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) {
            const double x = f64();
            const double y = f64();
            r.push_back({x, y});
        }
        return r;
    }
    geo::polygon polygon_body() {
        const std::uint32_t n = count(4);
        geo::polygon poly;
        poly.rings.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) poly.rings.push_back(ring());
        return poly;
    }
    /// A count whose elements take at least min_bytes each: rejects counts the input cannot hold.
    std::uint32_t count(std::size_t min_bytes) {
        const std::uint32_t n = u32();
        if (n > (bytes_.size() - pos_) / min_bytes) throw invalid_geometry("WKB: truncated geometry");
        return n;
    }

private:
    std::string_view take(std::size_t n) {
        if (bytes_.size() - pos_ < n) throw invalid_geometry("WKB: truncated geometry");
        const std::string_view s = bytes_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    std::string_view bytes_;
    std::size_t pos_ = 0;
    bool swap_ = false;
};

} // namespace

std::string to_wkb(point p) {
    writer w;
    w.header(wkb_point);
    w.f64(p.x);
    w.f64(p.y);
    return w.take();
}

std::string to_wkb(const multi_polygon& mp) {
    writer w;
    w.header(wkb_multi_polygon);
    w.u32(static_cast<std::uint32_t>(mp.polygons.size()));
    for (const polygon& poly : mp.polygons) w.polygon(poly);
    return w.take();
}

point point_from_wkb(std::string_view wkb) {
    reader r(wkb);
    if (r.header() != wkb_point) throw invalid_geometry("WKB: expected a Point");
    const double x = r.f64();
    const double y = r.f64();
    return {x, y};
}

multi_polygon multi_polygon_from_wkb(std::string_view wkb) {
    reader r(wkb);
    const std::uint32_t type = r.header();
    multi_polygon mp;
    if (type == wkb_polygon) {
        mp.polygons.push_back(r.polygon_body());
    } else if (type == wkb_multi_polygon) {
        const std::uint32_t n = r.count(9);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (r.header() != wkb_polygon) throw invalid_geometry("WKB: MultiPolygon member is not a Polygon");
            mp.polygons.push_back(r.polygon_body());
        }
    } else {
        throw invalid_geometry("WKB: expected a Polygon or MultiPolygon");
    }
    return mp;
}

} // namespace plotmap::geo
