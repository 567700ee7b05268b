// libFuzzer target: the import readers. The first byte picks the format (CSV, GeoJSON, KML,
// GPX, zipped Shapefile, KMZ); the rest is the file, imported as a dry run into a real
// database, so every row goes through the same checks as an upload.

#include "data/importer.hpp"
#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"

#include <cpl_error.h>

#include <array>
#include <fstream>
#include <memory>

using namespace plotmap;

namespace {

struct registry {
    registry() {
        CPLSetErrorHandler(CPLQuietErrorHandler);
        path = test::fresh_database(dir);
        db = std::make_unique<data::store>(data::store_options{path.string(), 1});
        plots = std::make_unique<data::plot_registry>(*db, server::registry_rules_from(settings));
    }
    test::temp_dir dir;
    std::filesystem::path path;
    config::settings settings;
    std::unique_ptr<data::store> db;
    std::unique_ptr<data::plot_registry> plots;
};

registry& the_registry() {
    static registry r;
    return r;
}

constexpr std::array<data::import_format, 6> formats{data::import_format::csv, data::import_format::geojson,
                                                     data::import_format::kml, data::import_format::gpx,
                                                     data::import_format::shp_zip, data::import_format::kmz};
constexpr std::array<const char*, 6> names{"in.csv", "in.geojson", "in.kml", "in.gpx", "in.zip", "in.kmz"};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)the_registry();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    registry& r = the_registry();
    const std::size_t which = data[0] % formats.size();
    const std::filesystem::path file = r.dir / names[which];
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    }
    data::import_options o;
    o.dry_run = true;
    o.default_program = "HLM";
    o.max_unpacked_bytes = 64 << 20;
    try {
        (void)data::import_plots(*r.plots, file, formats[which], o, data::editor{std::string("fuzz"), std::nullopt});
    } catch (const plotmap::error&) {
    }
    return 0;
}
