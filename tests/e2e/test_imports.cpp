// Imports of hand-made files of every kind, good and broken, through the real CLI and the
// real server: the dry-run report (line/feature numbers and reasons), all or nothing,
// no duplicates on re-import, Thai text (including TIS-620 Shapefiles without a .cpg),
// coordinates against PROJ's cs2cs, and the upload's roles and scopes.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

using namespace plotmap;
using nlohmann::json;

namespace {

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Copies files into a new zip through GDAL's /vsizip/ (as Google My Maps and GIS tools make them).
void zip(const std::filesystem::path& out, const std::vector<std::pair<std::string, std::string>>& members) {
    for (const auto& [name, bytes] : members) {
        const std::string target = "/vsizip/" + out.string() + "/" + name;
        VSILFILE* f = VSIFOpenL(target.c_str(), "wb");
        ASSERT_NE(f, nullptr) << target;
        VSIFWriteL(bytes.data(), 1, bytes.size(), f);
        VSIFCloseL(f);
    }
}

/// Thai 'สมชาย ใจดี' in TIS-620 (= CP874 for Thai letters).
const std::string tis620_name = "\xca\xc1\xaa\xd2\xc2 \xe3\xa8\xb4\xd5";
const std::string thai_name = "สมชาย ใจดี";

class imports_e2e : public ::testing::Test {
protected:
    void SetUp() override { db = test::fresh_database(dir).string(); }

    test::command_result import(std::vector<std::string> args) {
        args.insert(args.begin(), {PLOTMAP_BINARY, "import", "--db", db});
        return test::run_command(args, std::chrono::minutes(2));
    }

    std::int64_t count(const std::string& where = "TRUE") {
        data::connection c(db, data::connection::mode::read_only);
        return c.scalar_int("SELECT count(*) FROM plots WHERE " + where);
    }

    std::string text(const std::string& sql) {
        data::connection c(db, data::connection::mode::read_only);
        data::statement st(c, sql);
        return st.step() && !st.is_null(0) ? std::string(st.text(0)) : std::string();
    }

    std::pair<double, double> pin_of(const std::string& code) {
        data::connection c(db, data::connection::mode::read_only);
        data::statement st(c, "SELECT ST_X(pin), ST_Y(pin) FROM plots WHERE code = ?1");
        st.bind(1, code);
        EXPECT_TRUE(st.step()) << code;
        return {st.real(0), st.real(1)};
    }

    test::temp_dir dir;
    std::string db;
};

const std::string sheet_header = "รหัสแปลง,ชื่อแปลง,ชื่อเกษตรกร,เบอร์โทร,หมู่ที่,ประเภท,ละติจูด,ลองจิจูด,WKT,ปีงบประมาณ,เนื้อที่,สี\n";
const std::string good_rows =
    ",แปลงหมู่ 3 ก,สมชาย ใจดี,081-111-1111,หมู่ที่ 3,ครัวเรือน,17.0079,99.8231,,2567,3-1-50,แดง\n"
    ",แปลงหมู่ 5 ข,\"สมหญิง \"\"ดีใจ\"\"\",081-222-2222,5,HLM,,,\"POLYGON((99.8240 17.0080,99.8244 17.0080,99.8244 17.0084,99.8240 17.0084,99.8240 17.0080))\",2567,,\n";
const std::string broken_rows = ",แปลงเสีย,ใคร,,,HLM,abc,99.8,,,,\n"                    // line 4: bad coordinate
                                ",แปลงปารีส,ใคร,,,HLM,48.85,2.35,,,,\n"                // line 5: outside Thailand
                                ",แปลงผิดโครงการ,ใคร,,,XYZ,17.01,99.83,,,,\n"           // line 6: unknown programme
                                ",แปลงไขว้,ใคร,,,HLM,,,\"POLYGON((99.8250 17.0080,99.8254 17.0084,99.8254 17.0080,99.8250 17.0084,99.8250 17.0080))\",,,\n";  // line 7: self-intersecting

} // namespace

TEST_F(imports_e2e, google_sheets_csv_dry_run_reports_every_rejected_line_and_a_real_import_is_all_or_nothing) {
    write(dir / "sheet.csv", "\xEF\xBB\xBF" + sheet_header + good_rows + broken_rows);
    auto r = import({"--dry-run", (dir / "sheet.csv").string()});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("dry run, nothing was changed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("rows: 6; would create 2, would update 0, unchanged 0, rejected 4"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 4: bad coordinate: latitude \"abc\""), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 5: pin (2.350000, 48.850000) is outside the service region Thailand"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 6: program \"XYZ\" is not one of HLM, CLM"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 7: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("self-intersect"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("ignored columns: สี;"), std::string::npos) << r.output;
    EXPECT_EQ(count(), 0);

    r = import({(dir / "sheet.csv").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("NOT applied, nothing was changed"), std::string::npos) << r.output;
    EXPECT_EQ(count(), 0) << "a failed import must leave the store unchanged";

    write(dir / "fixed.csv", sheet_header + good_rows);
    r = import({(dir / "fixed.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rows: 2; create 2"), std::string::npos) << r.output;
    EXPECT_EQ(count("adm3 = '640101'"), 2);
    EXPECT_EQ(text("SELECT owner_name FROM plots WHERE name = 'แปลงหมู่ 5 ข'"), "สมหญิง \"ดีใจ\"");
    EXPECT_EQ(text(test::per_backend("SELECT village_no || '/' || budget_year || '/' || declared_area_m2 || '/' || program",
                                     "SELECT village_no || '/' || budget_year || '/' || to_char(declared_area_m2, 'FM999999990.0') || '/' || program") +
                   " FROM plots WHERE name = 'แปลงหมู่ 3 ก'"),
              "3/2024/5400.0/HLM");
    EXPECT_EQ(text("SELECT pin_source FROM plots WHERE name = 'แปลงหมู่ 3 ก'"), "import");
    EXPECT_NE(text("SELECT created_by FROM plots LIMIT 1").find("cli:"), std::string::npos);

    // The same file again: matched (no code or uid, so by location and name), no duplicates.
    r = import({(dir / "fixed.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rows: 2; create 0, update 0, unchanged 2"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("matched on: location and name"), std::string::npos);
    EXPECT_EQ(count(), 2);
}

TEST_F(imports_e2e, a_google_maps_lat_lon_column_and_codes_update_in_place) {
    write(dir / "pair.csv", "code,name,program,Location,phone\nT-1,Plot one,CLM,\"16.4321, 102.8123\",0811\nT-2,Plot two,CLM,\"16.4400, 102.8200\",0812\n");
    ASSERT_EQ(import({(dir / "pair.csv").string()}).exit_code, 0);
    EXPECT_DOUBLE_EQ(pin_of("T-1").first, 102.8123);
    EXPECT_DOUBLE_EQ(pin_of("T-1").second, 16.4321);
    write(dir / "pair.csv", "code,name,program,Location,phone\nT-1,Plot one,CLM,\"16.4321, 102.8123\",0899\nT-2,Plot two,CLM,\"16.4400, 102.8200\",0812\n");
    const auto r = import({(dir / "pair.csv").string()});
    EXPECT_NE(r.output.find("rows: 2; create 0, update 1, unchanged 1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("matched on: code"), std::string::npos);
    EXPECT_EQ(text("SELECT owner_phone FROM plots WHERE code = 'T-1'"), "0899");
    EXPECT_EQ(count(), 2);
}

TEST_F(imports_e2e, utm_columns_with_zone_and_datum_agree_with_cs2cs) {
    write(dir / "utm.csv", "code,program,easting,northing,zone,datum\nU-1,HLM,588470,1880084,47,WGS 84\nU-2,HLM,588800,1880400,47Q,Indian 1975\n"
                           "U-3,HLM,588800,1880400,46,WGS 84\n");
    auto r = import({"--dry-run", (dir / "utm.csv").string()});
    EXPECT_NE(r.output.find("line 4: UTM zone \"46\" is not 47 or 48"), std::string::npos) << r.output;
    write(dir / "utm.csv", "code,program,easting,northing,zone,datum\nU-1,HLM,588470,1880084,47,WGS 84\nU-2,HLM,588800,1880400,47Q,Indian 1975\n");
    ASSERT_EQ(import({(dir / "utm.csv").string()}).exit_code, 0);
    for (const auto& [code, crs, e, n] : {std::tuple{"U-1", "EPSG:32647", "588470", "1880084"}, std::tuple{"U-2", "EPSG:24047", "588800", "1880400"}}) {
        const auto p = test::run_command({"/usr/bin/cs2cs", "-f", "%.9f", crs, "EPSG:4326"}, std::chrono::seconds(30), {},
                                         std::string(e) + " " + n + "\n");
        std::istringstream out(p.output);
        double lat = 0, lon = 0;
        out >> lat >> lon;
        EXPECT_NEAR(pin_of(code).first, lon, 1e-7) << code;
        EXPECT_NEAR(pin_of(code).second, lat, 1e-7) << code;
    }
}

TEST_F(imports_e2e, google_my_maps_kml_and_kmz_with_points_and_polygons) {
    const std::string kml = R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>แปลงโคก หนอง นา ต.ธานี</name><Folder><name>หมุดแปลง</name>
<Placemark><name>แปลงนายสมชาย</name><description>ปลูกกล้วย</description><Point><coordinates>99.8231,17.0079,0</coordinates></Point></Placemark>
<Placemark><name>แปลงนางสมศรี</name><Polygon><outerBoundaryIs><LinearRing><tessellate>1</tessellate>
<coordinates>99.8240,17.0080,0 99.8244,17.0080,0 99.8244,17.0084,0 99.8240,17.0084,0 99.8240,17.0080,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>เส้นทาง</name><LineString><coordinates>99.82,17.00,0 99.83,17.01,0</coordinates></LineString></Placemark>
</Folder></Document></kml>)";
    write(dir / "mymaps.kml", kml);
    auto r = import({"--dry-run", (dir / "mymaps.kml").string()});
    EXPECT_NE(r.output.find("feature 1: no programme"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("feature 3: a line is not a plot"), std::string::npos) << r.output;
    // Without the line, with a default programme:
    const std::string two = kml.substr(0, kml.find("<Placemark><name>เส้นทาง")) + "</Folder></Document></kml>";
    write(dir / "mymaps.kml", two);
    r = import({"--program", "HLM", (dir / "mymaps.kml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(text("SELECT notes FROM plots WHERE name = 'แปลงนายสมชาย'"), "ปลูกกล้วย");
    EXPECT_EQ(count("boundary IS NOT NULL AND name = 'แปลงนางสมศรี'"), 1);
    // The same placemarks as a KMZ (a zip with doc.kml, as My Maps downloads): already there.
    zip(dir / "mymaps.kmz", {{"doc.kml", two}});
    r = import({"--program", "HLM", (dir / "mymaps.kmz").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("create 0, update 0, unchanged 2"), std::string::npos) << r.output;
    EXPECT_EQ(count(), 2);
}

TEST_F(imports_e2e, geojson_round_trips_through_plotmaps_own_export_and_gpkg_and_gpx_import) {
    test::temp_dir other;
    const std::string source = test::demo_database(other, 60).string();
    const std::string exported = (dir / "plots.geojson").string();
    ASSERT_EQ(test::run_command({PLOTMAP_BINARY, "export", "--db", source, "--format", "geojson", exported}).exit_code, 0);
    auto r = import({exported});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rows: 60; create 60"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("matched on: uid"), std::string::npos) << r.output;
    const std::string uids = test::per_backend("SELECT group_concat(uid) FROM (SELECT uid FROM plots ORDER BY uid) u",
                                               "SELECT string_agg(uid, ',' ORDER BY uid) FROM plots");
    EXPECT_EQ(text(uids), [&] {
        data::connection c(source, data::connection::mode::read_only);
        data::statement st(c, uids);
        st.step();
        return std::string(st.text(0));
    }());
    r = import({exported});
    EXPECT_NE(r.output.find("rows: 60; create 0, update 0, unchanged 60"), std::string::npos) << r.output;

    const std::string gpkg = (dir / "plots.gpkg").string();
    ASSERT_EQ(test::run_command({"/usr/bin/ogr2ogr", "-f", "GPKG", gpkg, exported}).exit_code, 0);
    r = import({"--dry-run", gpkg});
    EXPECT_NE(r.output.find("rows: 60; would create 0, would update 0, unchanged 60"), std::string::npos) << r.output;

    write(dir / "walk.gpx", R"(<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<wpt lat="17.0090" lon="99.8250"><name>หมุด 1</name><desc>จุดสำรวจ</desc></wpt>
<wpt lat="17.0095" lon="99.8255"><name>หมุด 2</name></wpt>
<trk><name>เดินสำรวจ</name><trkseg><trkpt lat="17.0090" lon="99.8250"/><trkpt lat="17.0095" lon="99.8255"/></trkseg></trk>
</gpx>)");
    r = import({"--program", "CLM", (dir / "walk.gpx").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rows: 2; create 2"), std::string::npos) << r.output; // waypoints only, not the track
    EXPECT_EQ(text("SELECT notes FROM plots WHERE name = 'หมุด 1'"), "จุดสำรวจ");
}

TEST_F(imports_e2e, zipped_shapefiles_in_tis620_with_or_without_a_cpg_keep_thai_text) {
    // A Shapefile as Thai desktop GIS writes it: attributes in TIS-620, and no .cpg.
    GDALAllRegister();
    const std::filesystem::path shp_dir = dir / "shp";
    std::filesystem::create_directories(shp_dir);
    {
        GDALDriverH driver = GDALGetDriverByName("ESRI Shapefile");
        GDALDatasetH ds = GDALCreate(driver, (shp_dir / "plots.shp").c_str(), 0, 0, 0, GDT_Unknown, nullptr);
        ASSERT_NE(ds, nullptr);
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, 32647);
        const char* lco[] = {"ENCODING=", nullptr}; // write the bytes as given
        OGRLayerH layer = GDALDatasetCreateLayer(ds, "plots", srs, wkbPolygon, const_cast<char**>(lco));
        OSRRelease(srs);
        for (const char* name : {"code", "owner", "program"}) {
            OGRFieldDefnH f = OGR_Fld_Create(name, OFTString);
            OGR_L_CreateField(layer, f, TRUE);
            OGR_Fld_Destroy(f);
        }
        OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldString(feat, 0, "S-1");
        OGR_F_SetFieldString(feat, 1, tis620_name.c_str());
        OGR_F_SetFieldString(feat, 2, "HLM");
        OGRGeometryH g = nullptr;
        char* wkt = const_cast<char*>("POLYGON((588470 1880084,588510 1880084,588510 1880124,588470 1880124,588470 1880084))");
        OGR_G_CreateFromWkt(&wkt, nullptr, &g);
        OGR_F_SetGeometryDirectly(feat, g);
        ASSERT_EQ(OGR_L_CreateFeature(layer, feat), OGRERR_NONE);
        OGR_F_Destroy(feat);
        GDALClose(ds);
    }
    std::filesystem::remove(shp_dir / "plots.cpg");
    std::vector<std::pair<std::string, std::string>> members;
    for (const char* ext : {"shp", "shx", "dbf", "prj"}) members.emplace_back(std::string("plots.") + ext, file_bytes(shp_dir / (std::string("plots.") + ext)));
    ASSERT_NE(file_bytes(shp_dir / "plots.dbf").find(tis620_name), std::string::npos);
    zip(dir / "no_cpg.zip", members);
    auto r = import({(dir / "no_cpg.zip").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(text("SELECT owner_name FROM plots WHERE code = 'S-1'"), thai_name);
    EXPECT_EQ(text("SELECT adm3 FROM plots WHERE code = 'S-1'"), "640101"); // UTM 47N read from the .prj

    // With a .cpg saying 874, and the same plot: matched by code, nothing changes.
    members.emplace_back("plots.cpg", "874");
    zip(dir / "with_cpg.zip", members);
    r = import({(dir / "with_cpg.zip").string()});
    EXPECT_NE(r.output.find("create 0, update 0, unchanged 1"), std::string::npos) << r.output;
}

/// A real zip bomb: one entry of `inflated` zero bytes, deflated (about 1,000:1) and
/// written with its true sizes and CRC, as an attacker would build it.
void zip_bomb(const std::filesystem::path& out, const std::string& name, std::uint64_t inflated) {
    z_stream z{};
    ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_RLE), Z_OK);
    const std::vector<unsigned char> zeros(1 << 20, 0);
    std::vector<unsigned char> chunk(1 << 16);
    std::string deflated;
    uLong crc = crc32(0, nullptr, 0);
    for (std::uint64_t done = 0; done < inflated;) {
        const auto n = static_cast<uInt>(std::min<std::uint64_t>(zeros.size(), inflated - done));
        crc = crc32(crc, zeros.data(), n);
        done += n;
        z.next_in = const_cast<unsigned char*>(zeros.data());
        z.avail_in = n;
        const int flush = done == inflated ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = chunk.data();
            z.avail_out = static_cast<uInt>(chunk.size());
            deflate(&z, flush);
            deflated.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z.avail_out);
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
    const auto le = [](std::string& s, std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    };
    std::string local;
    le(local, 0x04034b50, 4);
    le(local, 20, 2), le(local, 0, 2), le(local, 8, 2), le(local, 0, 4);
    le(local, crc, 4), le(local, deflated.size(), 4), le(local, inflated, 4);
    le(local, name.size(), 2), le(local, 0, 2);
    local += name;
    std::string central;
    le(central, 0x02014b50, 4);
    le(central, 20, 2), le(central, 20, 2), le(central, 0, 2), le(central, 8, 2), le(central, 0, 4);
    le(central, crc, 4), le(central, deflated.size(), 4), le(central, inflated, 4);
    le(central, name.size(), 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 2), le(central, 0, 4), le(central, 0, 4);
    central += name;
    std::string end;
    le(end, 0x06054b50, 4);
    le(end, 0, 2), le(end, 0, 2), le(end, 1, 2), le(end, 1, 2);
    le(end, central.size(), 4), le(end, local.size() + deflated.size(), 4), le(end, 0, 2);
    std::ofstream(out, std::ios::binary) << local << deflated << central << end;
}

TEST_F(imports_e2e, zip_bombs_are_refused_from_the_archive_directory_in_bounded_time) {
    // A 1.1 MB zip whose .shx inflates to 1.1 GB once took 17 s and 2.5 GB of memory.
    zip_bomb(dir / "bomb.zip", "plots.shx", 1'100'000'000);
    ASSERT_LT(std::filesystem::file_size(dir / "bomb.zip"), 2'000'000u);
    const auto started = std::chrono::steady_clock::now();
    auto r = import({(dir / "bomb.zip").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("the archive would unpack to more than 512 MiB"), std::string::npos) << r.output;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    // The same as an upload: 413, and the server keeps serving.
    test::running_server server(db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
    std::ifstream in(dir / "bomb.zip", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const test::http_reply up = test::http_request(server.port, "POST", "/api/v1/imports?format=shp&dry_run=true", bytes,
                                                   "Content-Type: application/zip\r\nAuthorization: Bearer " +
                                                       test::admin_credentials().token + "\r\n");
    EXPECT_EQ(up.status, 413) << up.body;
    EXPECT_EQ(test::http_request(server.port, "GET", "/healthz").status, 200);
    EXPECT_EQ(count(), 0);
}

TEST_F(imports_e2e, unreadable_files_get_a_clear_message) {
    write(dir / "bad.kml", "this is not KML");
    auto r = import({(dir / "bad.kml").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cannot be read as KML"), std::string::npos) << r.output;
    write(dir / "noloc.csv", "name,program\nA,HLM\n");
    r = import({(dir / "noloc.csv").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("the CSV has no location columns"), std::string::npos) << r.output;
    write(dir / "ragged.csv", "name,program,lat,lon\nA,HLM,17.0079,99.8231\nB,HLM,17.0079\n\"C,HLM,17.1,99.8\n");
    r = import({(dir / "ragged.csv").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("line 4: a quoted cell is never closed"), std::string::npos) << r.output;
    // Found by fuzz_import: a Google Maps pair with nothing after the comma once escaped as
    // an exception (a 500 over HTTP); it is a rejected line like any other bad coordinate.
    write(dir / "halfpair.csv", "name,พิกัด,program\nA,\"17.01, \",HLM\n");
    r = import({"--dry-run", (dir / "halfpair.csv").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("line 2: bad coordinate \"17.01,\": expected \"latitude, longitude\""), std::string::npos) << r.output;
    write(dir / "plots.xls", "x");
    r = import({(dir / "plots.xls").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("imports take .csv, .kml, .kmz, .geojson, .zip (Shapefile), .gpkg or .gpx"), std::string::npos) << r.output;
    r = import({"--map", "nonsense", (dir / "noloc.csv").string()});
    EXPECT_EQ(r.exit_code, 2);
    // --map names a column the built-in names do not know.
    write(dir / "mapped.csv", "ชื่อผู้ถือครอง,ประเภท,lat,lon\nนายดำ,HLM,17.0079,99.8231\n");
    r = import({"--map", "ชื่อผู้ถือครอง=owner_name", (dir / "mapped.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(text("SELECT owner_name FROM plots"), "นายดำ");
    EXPECT_EQ(count(), 1);
}

TEST_F(imports_e2e, uploads_are_for_editors_and_rows_outside_their_scope_are_rejected) {
    auto added = test::run_command({PLOTMAP_BINARY, "user", "add", "--db", db, "--username", "staff6401", "--role", "staff", "--scope",
                                    "6401", "--password-stdin"},
                                   std::chrono::minutes(1), {}, "staff-password\n");
    ASSERT_EQ(added.exit_code, 0) << added.output;
    const auto token = test::run_command({PLOTMAP_BINARY, "token", "create", "--db", db, "--username", "staff6401", "--write"});
    const std::string staff = "Authorization: Bearer " + test::token_in(token.output) + "\r\n";
    test::running_server s(db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
    const std::string csv = "code,program,lat,lon\nIN-1,HLM,17.0079,99.8231\nOUT-1,HLM,18.7883,98.9853\n";
    EXPECT_EQ(test::http_request(s.port, "POST", "/api/v1/imports?filename=p.csv", csv, "Content-Type: text/csv\r\n").status, 401);
    const test::http_reply dry = test::http_request(s.port, "POST", "/api/v1/imports?filename=p.csv", csv, "Content-Type: text/csv\r\n" + staff);
    ASSERT_EQ(dry.status, 200) << dry.body;
    const json report = json::parse(dry.body);
    EXPECT_EQ(report["dry_run"], true);
    EXPECT_EQ(report["created"], 1);
    ASSERT_EQ(report["rejected"].size(), 1u);
    EXPECT_EQ(report["rejected"][0]["where"], "line 3");
    EXPECT_NE(report["rejected"][0]["reason"].get<std::string>().find("outside staff6401's scope"), std::string::npos);
    const test::http_reply refused =
        test::http_request(s.port, "POST", "/api/v1/imports?filename=p.csv&dry_run=false", csv, "Content-Type: text/csv\r\n" + staff);
    EXPECT_EQ(refused.status, 422);
    EXPECT_EQ(json::parse(refused.body)["applied"], false);
    EXPECT_EQ(count(), 0);
    const std::string in_scope = "code,program,lat,lon\nIN-1,HLM,17.0079,99.8231\n";
    const test::http_reply applied =
        test::http_request(s.port, "POST", "/api/v1/imports?format=csv&dry_run=false", in_scope, "Content-Type: text/csv\r\n" + staff);
    ASSERT_EQ(applied.status, 200) << applied.body;
    EXPECT_EQ(json::parse(applied.body)["applied"], true);
    EXPECT_EQ(text("SELECT created_by FROM plots WHERE code = 'IN-1'"), "staff6401");
    EXPECT_EQ(test::http_request(s.port, "POST", "/api/v1/imports", in_scope, "Content-Type: application/octet-stream\r\n" + staff).status, 400);
}

TEST_F(imports_e2e, a_district_google_sheet_with_loose_thai_headers_pasted_coordinates_and_duplicates) {
    // As district offices fill in Google Sheets: headers with dashes, spaces and units in
    // parentheses, areas in rai-ngan-wa, admin names with and without prefixes, coordinates
    // in degrees-minutes-seconds, with N/E letters, a decimal comma, and one pair swapped;
    // no programme column (the code prefix says it) and one code twice.
    const std::string header = "รหัส,ชื่อ-สกุล เจ้าของแปลง,เบอร์โทร เจ้าของ,พื้นที่ (ไร่-งาน-ตร.ว.),จังหวัด,อำเภอ,ตำบล,พิกัด\n";
    const std::string rows =
        "HLM-4601-0001,นายสมชาย ใจดี,081-111-1111,3-0-0,กาฬสินธุ์,เมือง,หลุบ,\"16°24'12.1\"\"N 103°30'20.4\"\"E\"\n"  // line 2
        "HLM-4601-0002,นางสมศรี มีนา,,3-2-50,จ.กาฬสินธุ์,อ.เมืองกาฬสินธุ์,ต.หลุบ,16.4036N 103.5059E\n"                  // line 3
        "CLM-4001-0001,กลุ่มวิสาหกิจบ้านโคก,,15 ไร่,ขอนแก่น,เมืองขอนแก่น,เมืองเก่า,\"102.8236, 16.4033\"\n"             // line 4: swapped
        "HLM-4001-0002,นายทองดี,,2-1-0,มหาสารคาม,เมือง,เมืองเก่า,\"16,4035 102,8238\"\n"                              // line 5: wrong province
        "HLM-4601-0003,นายซ้ำ,,1-0-0,กาฬสินธุ์,,,\"16º24'13\"\"N 103º30'21\"\"E\"\n"                                   // line 6
        "HLM-4601-0003,นายซ้ำสอง,,1-0-0,กาฬสินธุ์,,,\"16°24'14\"\" 103°30'22\"\"\"\n";                                 // line 7: same code
    write(dir / "sheet.csv", header + rows);
    auto r = import({"--dry-run", (dir / "sheet.csv").string()});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    // The report says which column went where, and why.
    for (const char* used : {"ชื่อ-สกุล เจ้าของแปลง -> owner_name (header contains \"เจ้าของ\")",
                             "เบอร์โทร เจ้าของ -> owner_phone (header contains \"โทร\")",
                             "พื้นที่ (ไร่-งาน-ตร.ว.) -> declared_area_rai (name without spaces, punctuation and units)",
                             "จังหวัด -> province_name (name)", "รหัส -> code (name)"}) {
        EXPECT_NE(r.output.find(used), std::string::npos) << used << "\n" << r.output;
    }
    EXPECT_NE(r.output.find("line 6: code \"HLM-4601-0003\" is also on line 7"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 7: code \"HLM-4601-0003\" is also on line 6"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 4: \"102.8236, 16.4033\" looks like longitude, latitude"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 5: the province (จังหวัด) column says \"มหาสารคาม\" but the location lies in จ.ขอนแก่น"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("line 2: the "), std::string::npos) << "อ.เมือง is the province's own district\n" << r.output;
    EXPECT_EQ(r.output.find("line 3: the "), std::string::npos) << "prefixes are not differences\n" << r.output;

    // Without the duplicate the import goes through.
    write(dir / "sheet.csv", header + rows.substr(0, rows.find("HLM-4601-0003,นายซ้ำสอง")));
    r = import({(dir / "sheet.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(count(), 5);
    EXPECT_EQ(text("SELECT owner_name FROM plots WHERE code = 'HLM-4601-0001'"), "นายสมชาย ใจดี");
    EXPECT_EQ(text("SELECT owner_phone FROM plots WHERE code = 'HLM-4601-0001'"), "081-111-1111");
    EXPECT_EQ(text("SELECT declared_area_m2 FROM plots WHERE code = \'HLM-4601-0001\'"), test::per_backend("4800.0", "4800"));
    EXPECT_EQ(text("SELECT declared_area_m2 FROM plots WHERE code = \'HLM-4601-0002\'"), test::per_backend("5800.0", "5800"));
    EXPECT_EQ(text("SELECT declared_area_m2 FROM plots WHERE code = \'CLM-4001-0001\'"), test::per_backend("24000.0", "24000"));
    EXPECT_EQ(text("SELECT program FROM plots WHERE code = 'CLM-4001-0001'"), "CLM");
    EXPECT_EQ(text("SELECT program FROM plots WHERE code = 'HLM-4601-0002'"), "HLM");
    EXPECT_EQ(text("SELECT adm3 FROM plots WHERE code = 'HLM-4601-0001'"), "460103");
    EXPECT_EQ(text("SELECT adm3 FROM plots WHERE code = 'CLM-4001-0001'"), "400106");
    const auto [lon, lat] = pin_of("HLM-4601-0001");
    EXPECT_NEAR(lat, 16.0 + 24.0 / 60 + 12.1 / 3600, 1e-9);
    EXPECT_NEAR(lon, 103.0 + 30.0 / 60 + 20.4 / 3600, 1e-9);
    const auto [lon4, lat4] = pin_of("CLM-4001-0001");
    EXPECT_DOUBLE_EQ(lat4, 16.4033);
    EXPECT_DOUBLE_EQ(lon4, 102.8236);
    const auto [lon5, lat5] = pin_of("HLM-4001-0002");
    EXPECT_DOUBLE_EQ(lat5, 16.4035);
    EXPECT_DOUBLE_EQ(lon5, 102.8238);
}

TEST_F(imports_e2e, a_location_outside_every_subdistrict_is_refused_with_the_distance_unless_allowed) {
    // A plot in Khon Kaen (UTM zone 48) with its coordinates typed as zone 47: Myanmar.
    write(dir / "utm.csv", "code,program,easting,northing,zone,datum\nKK-1,HLM,267569.06,1814794.08,47,WGS 84\n");
    auto r = import({"--dry-run", (dir / "utm.csv").string()});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("line 2: the location (latitude, longitude 16.4"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("is outside every Thai subdistrict: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(" km from ต."), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--allow-outside"), std::string::npos) << r.output;
    // In the right zone it is at home.
    write(dir / "utm.csv", "code,program,easting,northing,zone,datum\nKK-1,HLM,267569.06,1814794.08,48,WGS 84\n");
    r = import({(dir / "utm.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(text("SELECT adm3 FROM plots WHERE code = 'KK-1'"), "400106");
    // A real exception: just off the coast, inside the service region but in no subdistrict.
    write(dir / "sea.csv", "code,program,lat,lon\nSEA-1,CLM,12.2,100.6\n");
    r = import({"--dry-run", (dir / "sea.csv").string()});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("outside every Thai subdistrict"), std::string::npos) << r.output;
    r = import({"--allow-outside", (dir / "sea.csv").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("not inside any Thai subdistrict"), std::string::npos) << r.output;
    EXPECT_EQ(count("code = 'SEA-1'"), 1);
}

TEST_F(imports_e2e, google_my_maps_extended_data_keeps_thai_names_and_pin_and_boundary_become_one_plot) {
    const std::string kml = R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>โคก หนอง นา ต.ธานี</name>
<Folder><name>หมุดแปลง</name>
<Placemark><name>HLM-6401-0001</name><ExtendedData>
<Data name="ชื่อเจ้าของ"><value>นายสมชาย ใจดี</value></Data><Data name="เนื้อที่"><value>3-1-50</value></Data>
<Data name="ขั้นตอน"><value>ขุดบ่อ</value></Data></ExtendedData><Point><coordinates>99.8231,17.0079,0</coordinates></Point></Placemark>
<Placemark><name>แปลงนางสมศรี</name><ExtendedData><Data name="รหัสแปลง"><value>HLM-6401-0002</value></Data>
<Data name="เกษตรกร"><value>นางสมศรี มีสุข</value></Data></ExtendedData><Point><coordinates>99.8300,17.0100</coordinates></Point></Placemark>
</Folder>
<Folder><name>ขอบเขตแปลง</name>
<Placemark><name>HLM-6401-0001</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
99.8228,17.0076,0 99.8234,17.0076,0 99.8234,17.0082,0 99.8228,17.0082,0 99.8228,17.0076,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>)";
    write(dir / "mymaps.kml", kml);
    auto r = import({(dir / "mymaps.kml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("ชื่อเจ้าของ -> owner_name"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("create 2,"), std::string::npos) << r.output;
    EXPECT_EQ(count(), 2);
    // The pin placemark and the boundary placemark of HLM-6401-0001 are one plot with both.
    EXPECT_EQ(count("code = 'HLM-6401-0001' AND pin IS NOT NULL AND boundary IS NOT NULL"), 1);
    EXPECT_EQ(text("SELECT owner_name FROM plots WHERE code = 'HLM-6401-0001'"), "นายสมชาย ใจดี");
    EXPECT_EQ(text("SELECT declared_area_m2 FROM plots WHERE code = \'HLM-6401-0001\'"), test::per_backend("5400.0", "5400"));
    EXPECT_EQ(text("SELECT stage FROM plots WHERE code = 'HLM-6401-0001'"), "digging");
    EXPECT_EQ(text("SELECT program FROM plots WHERE code = 'HLM-6401-0001'"), "HLM");
    // A name that is not a code stays the plot's name; its code came from the data.
    EXPECT_EQ(text("SELECT name FROM plots WHERE code = 'HLM-6401-0002'"), "แปลงนางสมศรี");
    EXPECT_EQ(text("SELECT owner_name FROM plots WHERE code = 'HLM-6401-0002'"), "นางสมศรี มีสุข");
    // Importing again changes nothing.
    r = import({(dir / "mymaps.kml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("create 0, update 0, unchanged 2"), std::string::npos) << r.output;
}

TEST_F(imports_e2e, long_imports_show_progress_on_standard_error) {
    std::string csv = "code,program,lat,lon\n";
    for (int i = 0; i < 12000; ++i) {
        char line[96];
        std::snprintf(line, sizeof line, "P-%05d,HLM,%.6f,%.6f\n", i, 17.0 + (i % 100) * 0.0005, 99.80 + (i / 100) * 0.0005);
        csv += line;
    }
    write(dir / "big.csv", csv);
    const auto r = import({"--dry-run", (dir / "big.csv").string()});
    EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("import: 12000 rows read"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("import: 5000/12000 rows checked"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("import: 12000/12000 rows checked"), std::string::npos) << r.output.substr(0, 2000);
}

// A batch of 2,000 rows or more, against a table not ten times larger, is written with its
// secondary indexes dropped and sorted in again at the end, and the R*Trees of pins and
// locations filled in one pass: the database after it must be the one row-by-row upkeep
// leaves (same schema, consistent indexes, every R*Tree entry, the triggers' tables), and a
// rejected batch must leave it as it was.
TEST_F(imports_e2e, a_large_import_sorts_its_indexes_in_at_the_end_and_leaves_the_database_whole) {
    const bool sqlite = test::fixture_backend() == data::backend::sqlite;
    const auto schema = [&] {
        return text(test::per_backend("SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10)) FROM "
                                      "(SELECT * FROM sqlite_master ORDER BY type, name)",
                                      "SELECT string_agg('index ' || indexname || ': ' || indexdef, chr(10) ORDER BY indexname) "
                                      "FROM pg_indexes WHERE schemaname = current_schema()"));
    };
    const std::string before = schema();
    ASSERT_NE(before.find(sqlite ? "index plots_adm3: CREATE INDEX" : "index plots_adm3: CREATE INDEX plots_adm3"), std::string::npos);
    if (sqlite) {
        ASSERT_NE(before.find("trigger gii_plots_pin: CREATE TRIGGER"), std::string::npos);
    }

    // Rejected: 2,400 good rows and one that is not (an unknown programme) change nothing.
    std::string csv = "code,program,lat,lon\n";
    for (int i = 0; i < 2400; ++i) {
        char line[96];
        std::snprintf(line, sizeof line, "P-%05d,HLM,%.6f,%.6f\n", i, 17.0 + (i % 50) * 0.0005, 99.80 + (i / 50) * 0.0005);
        csv += line;
    }
    write(dir / "one-bad-row.csv", csv + "P-99999,XYZ,17.01,99.83\n");
    auto r = import({(dir / "one-bad-row.csv").string()});
    EXPECT_NE(r.exit_code, 0) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("line 2402"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_EQ(count(), 0);
    EXPECT_EQ(schema(), before);

    // Accepted: 2,500 demo plots with pins and boundaries, through plotmap's own GeoPackage.
    test::temp_dir other;
    const std::string source = test::demo_database(other, 2500).string();
    const std::string gpkg = (dir / "plots.gpkg").string();
    ASSERT_EQ(test::run_command({PLOTMAP_BINARY, "export", "--db", source, "--format", "gpkg", gpkg}).exit_code, 0);
    r = import({gpkg});
    ASSERT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("rows: 2500; create 2500"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_EQ(schema(), before);
    if (sqlite) {
        EXPECT_EQ(text("PRAGMA integrity_check"), "ok"); // every index entry matches its row
    }
    for (const std::string column : {"pin", "location", "boundary"}) {
        if (!sqlite) break; // SpatiaLite's R*Trees; PostGIS keeps its GiST indexes itself
        EXPECT_EQ(count(column + " IS NOT NULL"),
                  count("id IN (SELECT pkid FROM idx_plots_" + column + ") AND " + column + " IS NOT NULL"))
            << column;
        EXPECT_EQ(text("SELECT count(*) FROM idx_plots_" + column), std::to_string(count(column + " IS NOT NULL"))) << column;
        // Each box holds its geometry (R*Tree boxes are rounded outwards to floats).
        EXPECT_EQ(count("id IN (SELECT pkid FROM idx_plots_" + column + " r WHERE r.pkid = plots.id AND r.xmin <= MbrMinX(" + column +
                        ") AND r.xmax >= MbrMaxX(" + column + ") AND r.ymin <= MbrMinY(" + column + ") AND r.ymax >= MbrMaxY(" +
                        column + "))"),
                  count(column + " IS NOT NULL"))
            << column;
    }
    EXPECT_EQ(text("SELECT count(*) FROM stage_changes"), "2500");
    EXPECT_EQ(text("SELECT sum(plots) FROM plot_totals"), "2500");
    // The indexes are used again: a bbox list through the spatial index of pins finds what a scan does.
    EXPECT_EQ(count(test::per_backend("id IN (SELECT pkid FROM idx_plots_pin WHERE xmin >= 99 AND xmax <= 101 AND ymin >= 13 AND ymax <= 19)",
                                      "pin @ BuildMbr(99, 13, 101, 19, 4326)")),
              count("pin IS NOT NULL AND ST_X(pin) BETWEEN 99 AND 101 AND ST_Y(pin) BETWEEN 13 AND 19"));

    // The same file again (every row matched, nothing to write) still leaves it whole.
    r = import({gpkg});
    ASSERT_EQ(r.exit_code, 0) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("rows: 2500; create 0, update 0, unchanged 2500"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_EQ(schema(), before);
    if (sqlite) {
        EXPECT_EQ(text("PRAGMA integrity_check"), "ok");
    }
}
