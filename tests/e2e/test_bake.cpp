// `plotmap tiles`: tilesets baked into MBTiles and PMTiles archives, read back by tools plotmap
// did not write (GDAL's MBTiles and MVT drivers, SQLite; the pmtiles npm package in
// web/test/archive.test.js): tile for tile what the server sends, nothing left out, nothing
// half-written, bad requests refused before anything is written.

#include "fixture_db.hpp"
#include "gunzip.hpp"
#include "http_client.hpp"
#include "mvt_reader.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

using namespace plotmap;
using nlohmann::json;
using test::gunzip;
using test::plotmap_cli;

namespace {

using address = std::tuple<int, unsigned, unsigned>; // z, x, y (XYZ: y = 0 at the north)

/// Every tile of an MBTiles file, read with SQL the test writes (the spec's `tiles` table or
/// view, TMS rows turned into XYZ).
std::map<address, std::string> mbtiles_tiles(const std::string& file) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles", -1, &st, nullptr), SQLITE_OK);
    std::map<address, std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const int z = sqlite3_column_int(st, 0);
        const auto x = static_cast<unsigned>(sqlite3_column_int64(st, 1));
        const auto y = static_cast<unsigned>((std::int64_t{1} << z) - 1 - sqlite3_column_int64(st, 2));
        const auto* data = static_cast<const char*>(sqlite3_column_blob(st, 3));
        out[{z, x, y}] = std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(st, 3)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

address tile_of(double lon, double lat, int z) {
    const double n = std::pow(2.0, z);
    const double r = lat * std::numbers::pi / 180;
    return {z, static_cast<unsigned>((lon + 180) / 360 * n), static_cast<unsigned>((1 - std::asinh(std::tan(r)) / std::numbers::pi) / 2 * n)};
}

std::string tile_path(const std::string& set, const address& a) {
    return "/tiles/" + set + "/" + std::to_string(std::get<0>(a)) + "/" + std::to_string(std::get<1>(a)) + "/" +
           std::to_string(std::get<2>(a)) + ".mvt";
}

/// GETs over one kept-alive connection, as a map client fetches its tiles.
class client {
public:
    explicit client(unsigned short port) : port_(port) {}
    test::http_reply get(const std::string& target) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!c_) c_ = std::make_unique<test::http_connection>(port_);
            if (c_->send_raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) {
                test::http_reply r = c_->read_reply();
                if (r.status != 0) return r;
            }
            c_.reset(); // the server closed an idle connection: open another
        }
        return {};
    }

private:
    unsigned short port_;
    std::unique_ptr<test::http_connection> c_;
};

std::size_t files_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

} // namespace

TEST(bake, plots_baked_into_mbtiles_are_what_the_server_sends_tile_for_tile_as_gdal_reads_them) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 400).string();
    const std::string out = (dir / "plots.mbtiles").string();
    const test::command_result made = plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--maxzoom", "15", out});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    EXPECT_NE(made.output.find("plotmap: wrote "), std::string::npos) << made.output;
    EXPECT_NE(made.output.find("tiles/s"), std::string::npos) << "a progress line on standard error: " << made.output;

    // GDAL's MBTiles driver opens it as vector tiles with the TileJSON's layers.
    const auto info = test::run_command({"/usr/bin/ogrinfo", "-ro", "-so", out});
    ASSERT_EQ(info.exit_code, 0) << info.output;
    for (const char* expected : {"using driver `MBTiles'", "format=pbf", "minzoom=0", "maxzoom=15", "1: plots", "2: pins"}) {
        EXPECT_NE(info.output.find(expected), std::string::npos) << expected << " in\n" << info.output;
    }
    const auto z15 = test::run_command({"/usr/bin/ogrinfo", "-ro", "-so", "-oo", "ZOOM_LEVEL=15", out, "pins"});
    EXPECT_NE(z15.output.find("Feature Count: "), std::string::npos) << z15.output;

    const std::map<address, std::string> archived = mbtiles_tiles(out);
    ASSERT_FALSE(archived.empty());
    const test::running_server server(db, {"PLOTMAP_SERVER_REQUESTS_PER_S=0", "PLOTMAP_SERVER_ACCESS_LOG=false"}); // every tile, at once
    client tiles(server.port);

    // Every tile in the archive is the server's tile, byte for byte once unzipped.
    std::map<int, int> per_zoom;
    for (const auto& [at, gz] : archived) {
        const test::http_reply r = tiles.get(tile_path("plots", at));
        ASSERT_EQ(r.status, 200) << tile_path("plots", at) << " is in the archive but not served";
        ASSERT_EQ(gunzip(gz), r.body) << tile_path("plots", at);
        ++per_zoom[std::get<0>(at)];
    }
    for (int z = 0; z <= 15; ++z) EXPECT_GT(per_zoom[z], 0) << "zoom " << z;

    // Nothing the server draws is missing: the tile under every plot's pin, at every zoom.
    const test::http_reply listed =
        test::http_request(server.port, "GET", "/api/v1/plots?limit=1000", {}, test::admin_authorization());
    ASSERT_EQ(listed.status, 200) << listed.body;
    const json plots = json::parse(listed.body)["plots"];
    ASSERT_EQ(plots.size(), 400u);
    for (const json& p : plots) {
        const double lon = p["pin"]["coordinates"][0];
        const double lat = p["pin"]["coordinates"][1];
        for (int z = 0; z <= 15; ++z) {
            ASSERT_TRUE(archived.contains(tile_of(lon, lat, z))) << "plot " << p["id"] << " at zoom " << z;
        }
    }

    // GDAL's MVT driver reads the archive's (gzipped) tiles as it reads the server's: the same
    // features per layer, for a sample at the plot zooms.
    int sampled = 0;
    for (const auto& [at, gz] : archived) {
        if (std::get<0>(at) < 13 || sampled >= 12) continue;
        const auto [z, x, y] = at;
        const test::http_reply r = tiles.get(tile_path("plots", at));
        const auto ours = test::decode_with_gdal(gz, z, x, y, (dir / "archived").string());
        const auto theirs = test::decode_with_gdal(r.body, z, x, y, (dir / "served").string());
        ASSERT_EQ(ours.size(), theirs.size());
        for (const auto& [layer, features] : theirs) {
            ASSERT_TRUE(ours.contains(layer)) << layer;
            EXPECT_EQ(ours.at(layer).size(), features.size()) << layer << " in " << tile_path("plots", at);
        }
        ++sampled;
    }
    EXPECT_EQ(sampled, 12);
    EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST(bake, an_area_and_the_admin_tileset_bake_into_pmtiles_and_equal_tiles_are_stored_once) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 300).string();
    // District 6401 (Mueang Sukhothai) at zooms 8-12.
    const std::string plots = (dir / "6401.pmtiles").string();
    const test::command_result made =
        plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--area", "6401", "--minzoom", "8", "--maxzoom", "12", plots});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    std::ifstream in(plots, std::ios::binary);
    std::string head(127, '\0');
    in.read(head.data(), 127);
    ASSERT_EQ(head.substr(0, 7), "PMTiles");
    EXPECT_EQ(static_cast<int>(head[7]), 3) << "version 3";
    EXPECT_EQ(static_cast<int>(head[96]), 1) << "clustered";
    EXPECT_EQ(static_cast<int>(head[99]), 1) << "tile type MVT";
    EXPECT_EQ(static_cast<int>(head[100]), 8) << "min zoom";
    EXPECT_EQ(static_cast<int>(head[101]), 12) << "max zoom";

    // Admin boundaries at zoom 0-9: every tile inside one province's interior at a high zoom
    // looks the same, so the archive holds fewer contents than tiles.
    const std::string admin = (dir / "admin.pmtiles").string();
    const test::command_result boundaries = plotmap_cli({"tiles", "--db", db, "--tileset", "admin", "--maxzoom", "9", admin});
    ASSERT_EQ(boundaries.exit_code, 0) << boundaries.output;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(boundaries.output, m, std::regex(R"(wrote (\d+) tiles \((\d+) different\))"))) << boundaries.output;
    EXPECT_GT(std::stoll(m[1]), 100);
    EXPECT_LE(std::stoll(m[2]), std::stoll(m[1]));
}

TEST(bake, bad_requests_are_refused_before_anything_is_written_and_a_failed_bake_keeps_the_old_archive) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 50).string();
    const std::string out = (dir / "plots.pmtiles").string();
    ASSERT_EQ(plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--maxzoom", "10", out}).exit_code, 0);
    std::ifstream first(out, std::ios::binary);
    const std::string before((std::istreambuf_iterator<char>(first)), std::istreambuf_iterator<char>());
    const std::size_t files = files_in(dir.path());

    const std::vector<std::pair<std::vector<std::string>, std::string>> refused{
        {{"--tileset", "owners", out}, "--tileset is plots or admin"},
        {{"--tileset", "plots", "--maxzoom", "25", out}, "maxzoom"},
        {{"--tileset", "plots", "--minzoom", "9", "--maxzoom", "3", out}, "minzoom <= maxzoom"},
        {{"--tileset", "plots", "--minzoom", "-1", out}, "--minzoom"},
        {{"--tileset", "plots", (dir / "plots.zip").string()}, ".pmtiles or .mbtiles"},
        {{"--tileset", "plots", "--bbox", "nan,1,2,3", out}, "--bbox"},
        {{"--tileset", "plots", "--bbox", "105,10,100,20", out}, "west to east"},
        {{"--tileset", "plots", "--area", "99", out}, "--area"},
        {{"--tileset", "plots", "--area", "'; DROP TABLE plots; --", out}, "--area"},
        {{"--tileset", "plots", "--bbox", "100,10,101,11", "--area", "64", out}, "not both"},
        {{"--tileset", "plots"}, "give the archive to write"},
    };
    for (const auto& [args, message] : refused) {
        std::vector<std::string> argv{"tiles", "--db", db};
        argv.insert(argv.end(), args.begin(), args.end());
        const test::command_result r = plotmap_cli(argv);
        EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << message << " in " << r.output;
    }

    // The open sea off Thailand: nothing to draw, so nothing is written and the old archive stays.
    const test::command_result empty = plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--minzoom", "12", "--maxzoom", "14",
                                                   "--bbox", "92.0,5.0,92.1,5.1", out});
    EXPECT_EQ(empty.exit_code, 1) << empty.output;
    EXPECT_NE(empty.output.find("nothing to write"), std::string::npos) << empty.output;
    std::ifstream second(out, std::ios::binary);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(second)), std::istreambuf_iterator<char>()), before);
    EXPECT_EQ(files_in(dir.path()), files) << "no temporary file is left behind";
}
