// Real QGIS (Debian's python3-qgis, headless) against the running server, as a GIS officer
// adds plotmap to a project: an OGC API Features layer for every collection with exactly the
// store's feature counts, a filtered layer, the XYZ vector-tile layer, and a rendered map
// with plots in it (written to the system temp folder as plotmap-qgis-map.png).
// The client is tests/qgis/qgis_client.py; scripts/install-deps.sh --with-test-tools
// installs QGIS.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace plotmap;
using nlohmann::json;

TEST(qgis, adds_every_collection_a_filtered_layer_and_the_vector_tiles_and_draws_them) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 300).string();
    test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
    const std::filesystem::path png = std::filesystem::temp_directory_path() / "plotmap-qgis-map.png";
    std::filesystem::remove(png);

    // plotmap's own GeoPackage (bulk-loaded R*Tree) and FlatGeobuf (its own writer) files.
    std::vector<std::string> files;
    for (const std::string format : {"gpkg", "fgb"}) {
        files.push_back((dir / ("plots." + format)).string());
        const auto e = test::run_command({PLOTMAP_BINARY, "export", "--db", db, "--format", format, files.back()});
        ASSERT_EQ(e.exit_code, 0) << e.output;
    }
    const auto r = test::run_command({"/usr/bin/python3", PLOTMAP_SOURCE_DIR "/tests/qgis/qgis_client.py",
                                      "http://127.0.0.1:" + std::to_string(server.port), png.string(), files[0], files[1]},
                                     std::chrono::minutes(5), {"QT_QPA_PLATFORM=offscreen"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto at = r.output.find("QGIS-RESULT ");
    ASSERT_NE(at, std::string::npos) << r.output;
    const json result = json::parse(r.output.substr(at + 12, r.output.find('\n', at) - at - 12));
    const json& layers = result["layers"];

    data::connection c(db, data::connection::mode::read_only);
    const auto count = [&](const std::string& sql) { return c.scalar_int(sql); };
    const std::map<std::string, std::int64_t> expected{
        {"plots", count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND boundary IS NOT NULL")},
        {"pins", count("SELECT count(*) FROM plots WHERE deleted_at IS NULL")},
        {"adm1", count("SELECT count(*) FROM adm1")},
        {"adm2", count("SELECT count(*) FROM adm2")},
        {"adm3", count("SELECT count(*) FROM adm3")},
        {"pins_complete", count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND stage = 'complete'")}};
    for (const auto& [name, n] : expected) {
        const json& layer = layers[name];
        ASSERT_TRUE(layer.value("valid", false)) << name << ": " << layer.dump();
        EXPECT_GT(n, 0) << name;
        EXPECT_EQ(layer["features"], n) << name;
        EXPECT_EQ(layer["with_geometry"], n) << name;
        EXPECT_EQ(layer["crs"], "EPSG:4326") << name;
    }
    // Public layers carry no personal fields.
    for (const json& field : layers["plots"]["fields"]) EXPECT_NE(field, "owner_name");
    EXPECT_TRUE(layers["tiles"].value("valid", false)) << layers["tiles"].dump();
    EXPECT_EQ(layers["tiles"]["crs"], "EPSG:3857");

    // The export files open with every plot; a box filter through each file's index finds what
    // a scan of every feature finds.
    for (const std::string file : {"plots.gpkg", "plots.fgb"}) {
        const json& seen = result["files"][file];
        ASSERT_TRUE(seen.value("valid", false)) << file << ": " << seen.dump();
        EXPECT_EQ(seen["features"], expected.at("pins")) << file;
        EXPECT_EQ(seen["with_geometry"], expected.at("pins")) << file;
        EXPECT_TRUE(seen["crs"] == "OGC:CRS84" || seen["crs"] == "EPSG:4326") << file << ": " << seen["crs"];
        EXPECT_GT(seen["in_box"].get<int>(), 0) << file;
        EXPECT_EQ(seen["in_box"], seen["in_box_scan"]) << file;
    }

    // The map around a plot has the plot in it (red pixels) and the subdistricts behind it.
    ASSERT_TRUE(std::filesystem::exists(png));
    EXPECT_GT(result["map"]["plot_pixels"].get<int>(), 1000) << result["map"].dump();
    EXPECT_EQ(result["map"]["drawn"], result["map"]["pixels"]) << "the subdistrict fills the background";
}
