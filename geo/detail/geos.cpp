#include "geo/detail/geos.hpp"

#include "geo/error.hpp"
#include "geo/wkb.hpp"

namespace plotmap::geo::detail {
namespace {

struct context_owner {
    GEOSContextHandle_t handle = GEOS_init_r();
    ~context_owner() { GEOS_finish_r(handle); }
};

struct wkb_reader_deleter {
    void operator()(GEOSWKBReader* r) const noexcept { GEOSWKBReader_destroy_r(geos_context(), r); }
};
struct wkb_writer_deleter {
    void operator()(GEOSWKBWriter* w) const noexcept { GEOSWKBWriter_destroy_r(geos_context(), w); }
};

void append_polygons(const GEOSGeometry* g, multi_polygon& out) {
    GEOSContextHandle_t ctx = geos_context();
    const int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
        if (GEOSisEmpty_r(ctx, g) == 1) return;
        std::unique_ptr<GEOSWKBWriter, wkb_writer_deleter> writer(GEOSWKBWriter_create_r(ctx));
        GEOSWKBWriter_setByteOrder_r(ctx, writer.get(), GEOS_WKB_NDR);
        std::size_t size = 0;
        unsigned char* bytes = GEOSWKBWriter_write_r(ctx, writer.get(), g, &size);
        if (bytes == nullptr) throw error("GEOS could not write a geometry");
        const std::string wkb(reinterpret_cast<const char*>(bytes), size);
        GEOSFree_r(ctx, bytes);
        for (polygon& p : multi_polygon_from_wkb(wkb).polygons) out.polygons.push_back(std::move(p));
    } else if (type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < n; ++i) append_polygons(GEOSGetGeometryN_r(ctx, g, i), out);
    }
}

} // namespace

GEOSContextHandle_t geos_context() {
    thread_local context_owner owner;
    return owner.handle;
}

geos_ptr to_geos(const multi_polygon& mp) {
    GEOSContextHandle_t ctx = geos_context();
    std::unique_ptr<GEOSWKBReader, wkb_reader_deleter> reader(GEOSWKBReader_create_r(ctx));
    const std::string wkb = to_wkb(mp);
    geos_ptr g(GEOSWKBReader_read_r(ctx, reader.get(), reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size()));
    if (!g) throw invalid_geometry("the geometry cannot be read by GEOS");
    return g;
}

multi_polygon polygons_of(const GEOSGeometry* g) {
    multi_polygon out;
    append_polygons(g, out);
    return out;
}

} // namespace plotmap::geo::detail
