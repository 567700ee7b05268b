// `plotmap tiles`: tilesets baked into MBTiles and PMTiles archives, read back by tools plotmap
// did not write (GDAL's MBTiles and MVT drivers, SQLite; the pmtiles npm package in
// web/test/archive.test.js): tile for tile what the server sends, nothing left out, nothing
// half-written, bad requests refused before anything is written.

#include "fixture_db.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_cache.hpp"
#include "http_client.hpp"
#include "mvt_reader.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <array>
#include <map>
#include <memory>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

using namespace plotmap;
using nlohmann::json;

using test::plotmap_cli;

namespace {

std::string gunzip(const std::string& in) { return tiles::gunzip(in, std::size_t{1} << 30); }

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

/// Every tile of a PMTiles archive by tile id (runs expanded).
std::map<std::uint64_t, std::string> pmtiles_tiles(const std::string& file) {
    const tiles::pmtiles::reader r(file);
    std::map<std::uint64_t, std::string> out;
    for (const tiles::pmtiles::entry& e : r.entries()) {
        const std::string bytes = r.bytes_of(e);
        for (std::uint64_t id = e.tile_id; id < e.tile_id + e.run_length; ++id) out[id] = bytes;
    }
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

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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
        {{"--update", "--tileset", "plots", out}, "leave out --tileset"},
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

    // Updating what plotmap did not bake, or a damaged archive: refused, nothing changed.
    const std::string cut = (dir / "cut.pmtiles").string();
    std::ofstream(cut, std::ios::binary) << before.substr(0, before.size() / 2);
    const std::string noise = (dir / "noise.mbtiles").string();
    std::ofstream(noise, std::ios::binary) << std::string(5000, 'x');
    for (const auto& [file, message] : std::vector<std::pair<std::string, std::string>>{
             {cut, "beyond the end of the file"}, {noise, "not an MBTiles archive"}, {(dir / "none.pmtiles").string(), "is not a file"}}) {
        const test::command_result r = plotmap_cli({"tiles", "--db", db, "--update", file});
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << message << " in " << r.output;
    }
    EXPECT_EQ(file_bytes(noise), std::string(5000, 'x'));
}

namespace {

/// Moves every position of a GeoJSON geometry by `dlon` degrees east.
void shift(json& coords, double dlon) {
    if (coords.is_array() && coords.size() >= 2 && coords[0].is_number()) {
        coords[0] = coords[0].get<double>() + dlon;
        return;
    }
    for (auto& c : coords) shift(c, dlon);
}

/// The lon/lat box of a GeoJSON geometry's coordinates.
void extend(std::array<double, 4>& box, const json& coords) {
    if (coords.is_array() && coords.size() >= 2 && coords[0].is_number()) {
        box[0] = std::min(box[0], coords[0].get<double>());
        box[1] = std::min(box[1], coords[1].get<double>());
        box[2] = std::max(box[2], coords[0].get<double>());
        box[3] = std::max(box[3], coords[1].get<double>());
        return;
    }
    for (const auto& c : coords) extend(box, c);
}

/// Whether tile `a`'s extent, grown by `share` of a tile on every side, meets `box`.
bool near(const address& a, const std::array<double, 4>& box, double share) {
    const auto [z, x, y] = a;
    const double n = std::pow(2.0, z);
    const auto lon = [&](double tx) { return tx / n * 360 - 180; };
    const auto lat = [&](double ty) { return std::atan(std::sinh(std::numbers::pi * (1 - 2 * ty / n))) * 180 / std::numbers::pi; };
    return lon(x - share) <= box[2] && lon(x + 1 + share) >= box[0] && lat(y + 1 + share) <= box[3] && lat(y - share) >= box[1];
}

} // namespace

TEST(bake, an_update_after_edits_draws_again_only_the_tiles_they_touch_and_equals_a_fresh_bake) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 300).string();
    const std::vector<std::string> area{"--bbox", "97.3,5.6,105.7,20.5", "--maxzoom", "15"};
    const auto bake_into = [&](const std::string& file) {
        std::vector<std::string> args{"tiles", "--db", db, "--tileset", "plots"};
        args.insert(args.end(), area.begin(), area.end());
        args.push_back(file);
        const test::command_result r = plotmap_cli(args);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    };
    const std::string pm = (dir / "plots.pmtiles").string();
    const std::string mb = (dir / "plots.mbtiles").string();
    bake_into(pm);
    bake_into(mb);
    const std::map<address, std::string> before = mbtiles_tiles(mb);

    // Nothing changed yet: nothing to do.
    const test::command_result idle = plotmap_cli({"tiles", "--db", db, "--update", pm});
    ASSERT_EQ(idle.exit_code, 0) << idle.output;
    EXPECT_NE(idle.output.find("up to date"), std::string::npos) << idle.output;

    // Four edits through the API: a stage, a boundary moved 5 km east, a deletion, a new plot.
    std::vector<std::array<double, 4>> edited;
    {
        const test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
        const std::string headers = "Content-Type: application/json\r\n" + test::admin_authorization();
        const test::http_reply listed = test::http_request(server.port, "GET", "/api/v1/plots?limit=50", {}, headers);
        ASSERT_EQ(listed.status, 200) << listed.body;
        const json page = json::parse(listed.body);
        json plots = json::array();
        for (const json& p : page["plots"]) {
            if (p["boundary"].is_object() && plots.size() < 3) plots.push_back(p);
        }
        ASSERT_EQ(plots.size(), 3u);
        const auto box_of = [](const json& p) {
            std::array<double, 4> b{1e9, 1e9, -1e9, -1e9};
            extend(b, p["pin"]["coordinates"]);
            if (p["boundary"].is_object()) extend(b, p["boundary"]["coordinates"]);
            return b;
        };
        const auto if_match = [](const json& p) { return "If-Match: \"" + std::to_string(p["version"].get<std::int64_t>()) + "\"\r\n"; };
        const auto url = [](const json& p) { return "/api/v1/plots/" + std::to_string(p["id"].get<std::int64_t>()); };

        edited.push_back(box_of(plots[0]));
        const std::string stage = plots[0]["stage"] == "complete" ? "digging" : "complete";
        ASSERT_EQ(test::http_request(server.port, "PATCH", url(plots[0]), R"({"stage":")" + stage + R"("})", headers + if_match(plots[0])).status,
                  200);

        edited.push_back(box_of(plots[1]));
        json moved = plots[1]["boundary"];
        shift(moved["coordinates"], 0.05);
        json pin = plots[1]["pin"];
        shift(pin["coordinates"], 0.05);
        const test::http_reply m = test::http_request(server.port, "PATCH", url(plots[1]), json{{"boundary", moved}, {"pin", pin}}.dump(),
                                                      headers + if_match(plots[1]));
        ASSERT_EQ(m.status, 200) << m.body;
        edited.push_back(box_of(json::parse(m.body)));

        edited.push_back(box_of(plots[2]));
        ASSERT_EQ(test::http_request(server.port, "DELETE", url(plots[2]), {}, headers + if_match(plots[2])).status, 200);

        json fresh_pin = plots[0]["pin"];
        shift(fresh_pin["coordinates"], 0.01);
        const test::http_reply c =
            test::http_request(server.port, "POST", "/api/v1/plots", json{{"program", "HLM"}, {"pin", fresh_pin}}.dump(), headers);
        ASSERT_EQ(c.status, 201) << c.body;
        edited.push_back(box_of(json::parse(c.body)));
    }

    for (const std::string& archive : {pm, mb}) {
        const test::command_result u = plotmap_cli({"tiles", "--db", db, "--update", archive});
        ASSERT_EQ(u.exit_code, 0) << u.output;
        EXPECT_NE(u.output.find("4 history entries on 4 plots"), std::string::npos) << u.output;
        EXPECT_FALSE(std::filesystem::exists(archive + ".tmp"));
    }

    // The updated archives equal fresh bakes of the same area and zooms, tile for tile. (The
    // PMTiles update appends the changed tiles after the old data: no longer clustered.)
    const std::string fresh_pm = (dir / "fresh.pmtiles").string();
    const std::string fresh_mb = (dir / "fresh.mbtiles").string();
    bake_into(fresh_pm);
    bake_into(fresh_mb);
    EXPECT_TRUE(pmtiles_tiles(pm) == pmtiles_tiles(fresh_pm)) << "the updated PMTiles archive differs from a fresh bake";
    EXPECT_FALSE(tiles::pmtiles::reader(pm).head().clustered);
    EXPECT_TRUE(tiles::pmtiles::reader(fresh_pm).head().clustered);
    const std::map<address, std::string> after = mbtiles_tiles(mb);
    const std::map<address, std::string> fresh = mbtiles_tiles(fresh_mb);
    ASSERT_EQ(after.size(), fresh.size());
    for (const auto& [at, bytes] : fresh) {
        ASSERT_TRUE(after.contains(at)) << tile_path("plots", at);
        EXPECT_EQ(gunzip(after.at(at)), gunzip(bytes)) << tile_path("plots", at);
    }

    // Exactly the touched tiles changed: each differing tile is near an edited plot (within a
    // cluster cell's eighth of a tile), and the tiles under every edit changed at the low zooms
    // (cluster counts) and the high ones (shapes).
    std::set<address> differing;
    for (const auto& [at, bytes] : after) {
        if (!before.contains(at) || gunzip(before.at(at)) != gunzip(bytes)) differing.insert(at);
    }
    for (const auto& [at, bytes] : before) {
        if (!after.contains(at)) differing.insert(at);
    }
    ASSERT_FALSE(differing.empty());
    for (const address& d : differing) {
        bool explained = false;
        for (const auto& box : edited) explained = explained || near(d, box, 0.125);
        EXPECT_TRUE(explained) << tile_path("plots", d) << " changed far from every edit";
    }
    for (const auto& box : edited) {
        for (const int z : {4, 15}) {
            EXPECT_TRUE(differing.contains(tile_of((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, z)) ||
                        differing.contains(tile_of(box[0], box[1], z)))
                << "the tile under an edit at zoom " << z;
        }
    }
    EXPECT_LT(differing.size(), after.size() / 4) << "an update changes a few tiles, not the archive";
}

TEST(bake, archives_are_served_as_tilesets_and_their_files_in_byte_ranges) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 200).string();
    const std::string pm = (dir / "district.pmtiles").string();
    const std::string mb = (dir / "admin-z8.mbtiles").string();
    ASSERT_EQ(plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--maxzoom", "14", pm}).exit_code, 0);
    ASSERT_EQ(plotmap_cli({"tiles", "--db", db, "--tileset", "admin", "--maxzoom", "8", mb}).exit_code, 0);
    const std::string bytes = file_bytes(pm);

    // An archive that cannot be served stops the server at its start, saying which and why.
    for (const auto& [list, message] : std::vector<std::pair<std::string, std::string>>{
             {(dir / "missing.pmtiles").string(), "tiles.archives"},
             {(dir / "plots.pmtiles").string(), "tiles.archives"},
             {pm + "," + (dir / "copy" / "district.pmtiles").string(), "another archive is named"}}) {
        if (list.ends_with("/plots.pmtiles")) std::filesystem::copy_file(pm, list);
        if (list.find("/copy/") != std::string::npos && !std::filesystem::exists(dir / "copy")) {
            std::filesystem::create_directory(dir / "copy");
            std::filesystem::copy_file(pm, dir / "copy" / "district.pmtiles");
        }
        const test::command_result r = test::run_command({PLOTMAP_BINARY, "serve", "--db", db, "--listen", "127.0.0.1:0"},
                                                         std::chrono::seconds(30), {"PLOTMAP_TILES_ARCHIVES=" + list});
        EXPECT_EQ(r.exit_code, 2) << r.output;
        EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
    }

    const test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false", "PLOTMAP_TILES_ARCHIVES=" + pm + "," + mb});
    client http(server.port);

    // Listed (the embed builder offers them), in the order configured.
    const test::http_reply listing = http.get("/archives");
    ASSERT_EQ(listing.status, 200) << listing.body;
    const json archives = json::parse(listing.body)["archives"];
    ASSERT_EQ(archives.size(), 2U);
    EXPECT_EQ(archives[0]["name"], "district");
    EXPECT_EQ(archives[0]["format"], "pmtiles");
    EXPECT_TRUE(archives[0]["href"].get<std::string>().ends_with("/archives/district.pmtiles"));
    EXPECT_TRUE(archives[0]["tilejson"].get<std::string>().ends_with("/tiles/district.json"));
    EXPECT_EQ(archives[1]["file"], "admin-z8.mbtiles");
    EXPECT_EQ(archives[1]["format"], "mbtiles");

    // A style per archive: the default style with the source of what the archive holds read from it.
    ASSERT_TRUE(archives[0]["style"].get<std::string>().ends_with("/styles/district.json"));
    const test::http_reply plots_style = http.get("/styles/district.json");
    ASSERT_EQ(plots_style.status, 200) << plots_style.body;
    const json ps = json::parse(plots_style.body);
    EXPECT_TRUE(ps["sources"]["plots"]["url"].get<std::string>().ends_with("/tiles/district.json"));
    EXPECT_TRUE(ps["sources"]["admin"]["url"].get<std::string>().ends_with("/tiles/admin.json")) << "the live admin tiles";
    EXPECT_EQ(ps["layers"].size(), json::parse(http.get("/styles/default.json").body)["layers"].size());
    const json as = json::parse(http.get("/styles/admin-z8.json").body);
    EXPECT_TRUE(as["sources"]["admin"]["url"].get<std::string>().ends_with("/tiles/admin-z8.json"));
    EXPECT_TRUE(as["sources"]["plots"]["url"].get<std::string>().ends_with("/tiles/plots.json"));
    for (const std::string bad : {"/styles/nothing.json", "/styles/district.pmtiles", "/styles/plots.json"}) {
        const test::http_reply r = http.get(bad);
        EXPECT_EQ(r.status, 404) << bad;
        EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << bad;
    }

    // TileJSON from the archive's header and metadata, tiles served from it here.
    const test::http_reply doc = http.get("/tiles/district.json");
    ASSERT_EQ(doc.status, 200) << doc.body;
    const json tj = json::parse(doc.body);
    EXPECT_EQ(tj["maxzoom"], 14);
    EXPECT_EQ(tj["vector_layers"][0]["id"], "plots");
    EXPECT_NE(tj["tiles"][0].get<std::string>().find("/tiles/district/{z}/{x}/{y}.mvt"), std::string::npos);

    // Its tiles are the server's own live tiles (until an edit), with ETags and 204 where it has none.
    const test::http_reply listed = test::http_request(server.port, "GET", "/api/v1/plots?limit=5", {}, test::admin_authorization());
    const json page = json::parse(listed.body);
    for (const json& p : page["plots"]) {
        const address at = tile_of(p["pin"]["coordinates"][0], p["pin"]["coordinates"][1], 14);
        const test::http_reply archived = http.get(tile_path("district", at));
        ASSERT_EQ(archived.status, 200);
        EXPECT_EQ(archived.headers.at("content-type"), "application/vnd.mapbox-vector-tile");
        EXPECT_EQ(archived.body, http.get(tile_path("plots", at)).body);
        const test::http_reply again = test::http_request(server.port, "GET", tile_path("district", at), {},
                                                          "If-None-Match: " + archived.headers.at("etag") + "\r\n");
        EXPECT_EQ(again.status, 304);
        // A client that takes gzip gets the tile as the archive stores it (not unzipped and zipped
        // again), under the same ETag.
        const test::http_reply zipped = test::http_request(server.port, "GET", tile_path("district", at), {}, "Accept-Encoding: gzip\r\n");
        ASSERT_EQ(zipped.status, 200);
        EXPECT_EQ(zipped.headers.at("content-encoding"), "gzip");
        EXPECT_EQ(zipped.headers.at("etag"), archived.headers.at("etag"));
        EXPECT_EQ(zipped.body, tiles::pmtiles::reader(pm).bytes_of(tiles::pmtiles::tile_id_of({std::get<0>(at), std::get<1>(at), std::get<2>(at)})));
        EXPECT_EQ(gunzip(zipped.body), archived.body);
    }
    EXPECT_EQ(http.get(tile_path("district", tile_of(92.0, 5.0, 12))).status, 204);
    EXPECT_EQ(http.get("/tiles/admin-z8/5/24/14.mvt").status, 200) << "an MBTiles archive too";
    EXPECT_EQ(http.get("/tiles/admin-z8.json").status, 200);

    // The file itself, in byte ranges (RFC 9110), as MapLibre's pmtiles:// reads it.
    const std::string url = "/archives/district.pmtiles";
    const auto ranged = [&](const std::string& extra) { return test::http_request(server.port, "GET", url, {}, extra); };
    const test::http_reply whole = ranged("");
    ASSERT_EQ(whole.status, 200);
    EXPECT_EQ(whole.body, bytes);
    EXPECT_EQ(whole.headers.at("accept-ranges"), "bytes");
    EXPECT_EQ(whole.headers.at("access-control-allow-origin"), "*");
    const std::string etag = whole.headers.at("etag");
    const test::http_reply head = ranged("Range: bytes=0-126\r\n");
    EXPECT_EQ(head.status, 206);
    EXPECT_EQ(head.body, bytes.substr(0, 127));
    EXPECT_EQ(head.headers.at("content-range"), "bytes 0-126/" + std::to_string(bytes.size()));
    const test::http_reply tail = ranged("Range: bytes=-100\r\n");
    EXPECT_EQ(tail.status, 206);
    EXPECT_EQ(tail.body, bytes.substr(bytes.size() - 100));
    EXPECT_EQ(ranged("Range: bytes=10-20\r\nIf-Range: " + etag + "\r\n").status, 206);
    const test::http_reply stale = ranged("Range: bytes=10-20\r\nIf-Range: \"an-older-version\"\r\n");
    EXPECT_EQ(stale.status, 200) << "a range of another version gets the whole file";
    EXPECT_EQ(stale.body.size(), bytes.size());
    const test::http_reply past = ranged("Range: bytes=" + std::to_string(bytes.size()) + "-\r\n");
    EXPECT_EQ(past.status, 416);
    EXPECT_EQ(past.headers.at("content-range"), "bytes */" + std::to_string(bytes.size()));
    EXPECT_EQ(past.headers.at("content-type"), "application/problem+json");
    EXPECT_EQ(ranged("Range: bytes=0-1,5-9\r\n").status, 200) << "several ranges: the whole file";
    EXPECT_EQ(ranged("If-None-Match: " + etag + "\r\n").status, 304);
    EXPECT_EQ(http.get("/archives/plotmap.sqlite").status, 404) << "only the listed archives";
    EXPECT_EQ(http.get("/archives/..%2Fplotmap.sqlite").status, 404);

    // A new bake renamed into place is served at the next request, under a new ETag.
    ASSERT_EQ(plotmap_cli({"tiles", "--db", db, "--tileset", "plots", "--maxzoom", "10", pm}).exit_code, 0);
    const test::http_reply renewed = ranged("");
    EXPECT_EQ(renewed.status, 200);
    EXPECT_NE(renewed.headers.at("etag"), etag);
    EXPECT_EQ(json::parse(http.get("/tiles/district.json").body)["maxzoom"], 10);
}

TEST(bake, an_update_that_replaces_most_tiles_rewrites_the_archive_whole_and_clustered) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 120).string();
    const std::vector<std::string> args{"tiles", "--db", db, "--tileset", "plots", "--bbox", "97.3,5.6,105.7,20.5", "--maxzoom", "12"};
    const std::string pm = (dir / "plots.pmtiles").string();
    const std::string fresh_pm = (dir / "fresh.pmtiles").string();
    const auto bake_into = [&](const std::string& file) {
        std::vector<std::string> a = args;
        a.push_back(file);
        const test::command_result r = plotmap_cli(a);
        ASSERT_EQ(r.exit_code, 0) << r.output;
    };
    bake_into(pm);
    {
        // Every plot's stage changes: every tile's pins and cluster counts with it.
        const test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false", "PLOTMAP_SERVER_REQUESTS_PER_S=0"});
        const std::string headers = "Content-Type: application/json\r\n" + test::admin_authorization();
        const test::http_reply listed = test::http_request(server.port, "GET", "/api/v1/plots?limit=200", {}, headers);
        ASSERT_EQ(listed.status, 200) << listed.body;
        const json page = json::parse(listed.body);
        ASSERT_EQ(page["plots"].size(), 120u);
        for (const json& p : page["plots"]) {
            const std::string stage = p["stage"] == "complete" ? "digging" : "complete";
            const test::http_reply r = test::http_request(
                server.port, "PATCH", "/api/v1/plots/" + std::to_string(p["id"].get<std::int64_t>()), R"({"stage":")" + stage + R"("})",
                headers + "If-Match: \"" + std::to_string(p["version"].get<std::int64_t>()) + "\"\r\n");
            ASSERT_EQ(r.status, 200) << r.body;
        }
    }
    const test::command_result u = plotmap_cli({"tiles", "--db", db, "--update", pm});
    ASSERT_EQ(u.exit_code, 0) << u.output;
    EXPECT_NE(u.output.find("120 history entries on 120 plots"), std::string::npos) << u.output;
    bake_into(fresh_pm);
    EXPECT_TRUE(tiles::pmtiles::reader(pm).head().clustered) << "rewritten whole, in tile-id order again";
    EXPECT_TRUE(file_bytes(pm) == file_bytes(fresh_pm)) << "a whole rewrite equals a fresh bake byte for byte";
}

TEST(bake, a_district_pack_is_made_at_the_first_request_and_kept_current_by_edits) {
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 300).string();
    const std::string packs = (dir / "packs").string();
    const test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false", "PLOTMAP_TILES_PACKS_DIR=" + packs});
    const std::string headers = "Content-Type: application/json\r\n" + test::admin_authorization();
    const test::http_reply listed = test::http_request(server.port, "GET", "/api/v1/plots?limit=1", {}, headers);
    ASSERT_EQ(listed.status, 200) << listed.body;
    const json plot = json::parse(listed.body)["plots"][0];
    const std::string district = plot["adm2"];
    const address under = tile_of(plot["pin"]["coordinates"][0], plot["pin"]["coordinates"][1], 16);
    const std::string url = "/api/v1/packs/" + district + ".pmtiles";

    // Signed-in users and tokens only (a first request costs a bake).
    const test::http_reply anonymous = test::http_request(server.port, "GET", url);
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    EXPECT_FALSE(std::filesystem::exists(packs + "/" + district + ".pmtiles"));
    const std::string signed_in = test::admin_authorization();

    // Made at the first request: a PMTiles archive to zoom 18 (the plots' deepest) with the plot's tile in it.
    const test::http_reply first = test::http_request(server.port, "GET", url, {}, signed_in);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.headers.at("content-type"), "application/vnd.pmtiles");
    EXPECT_EQ(first.body, file_bytes(packs + "/" + district + ".pmtiles"));
    const std::string kept = (dir / "first.pmtiles").string();
    std::ofstream(kept, std::ios::binary) << first.body;
    const tiles::pmtiles::reader pack(kept);
    EXPECT_EQ(pack.head().max_zoom, 18);
    const address deepest = tile_of(plot["pin"]["coordinates"][0], plot["pin"]["coordinates"][1], 18);
    EXPECT_FALSE(pack.bytes_of(tiles::pmtiles::tile_id_of({std::get<0>(deepest), std::get<1>(deepest), std::get<2>(deepest)})).empty())
        << "the tile under the plot at zoom 18";
    const auto [z, x, y] = under;
    const std::string before = pack.bytes_of(tiles::pmtiles::tile_id_of({z, x, y}));
    ASSERT_FALSE(before.empty()) << "the tile under the plot at zoom 16";
    EXPECT_EQ(test::http_request(server.port, "GET", url, {}, signed_in + "Range: bytes=0-126\r\n").status, 206);
    EXPECT_EQ(test::http_request(server.port, "GET", url, {}, signed_in + "If-None-Match: " + first.headers.at("etag") + "\r\n").status, 304)
        << "unchanged: the same file";

    // An edit in the district: the next request brings the pack up to date.
    const std::string stage = plot["stage"] == "complete" ? "digging" : "complete";
    ASSERT_EQ(test::http_request(server.port, "PATCH", "/api/v1/plots/" + std::to_string(plot["id"].get<std::int64_t>()),
                                 R"({"stage":")" + stage + R"("})",
                                 headers + "If-Match: \"" + std::to_string(plot["version"].get<std::int64_t>()) + "\"\r\n")
                  .status,
              200);
    const test::http_reply second = test::http_request(server.port, "GET", url, {}, signed_in);
    ASSERT_EQ(second.status, 200);
    EXPECT_NE(second.headers.at("etag"), first.headers.at("etag"));
    const std::string renewed = (dir / "second.pmtiles").string();
    std::ofstream(renewed, std::ios::binary) << second.body;
    const std::string after = tiles::pmtiles::reader(renewed).bytes_of(tiles::pmtiles::tile_id_of({z, x, y}));
    EXPECT_NE(after, before);
    EXPECT_EQ(gunzip(after), test::http_request(server.port, "GET", tile_path("plots", under)).body) << "the live tile";

    for (const std::string bad : {"/api/v1/packs/9999.pmtiles", "/api/v1/packs/abc.pmtiles", "/api/v1/packs/6401.zip",
                                  "/api/v1/packs/..%2F6401.pmtiles"}) {
        const test::http_reply r = test::http_request(server.port, "GET", bad, {}, signed_in);
        EXPECT_EQ(r.status, 404) << bad;
        EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << bad;
    }
}
