// Exports through the real server and CLI, read back with GDAL's own command line tools:
// every format's count, attributes (Thai text) and coordinates against the store; CRS
// (checked with PROJ's cs2cs); Shapefile sidecars; personal fields by audience and scope.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

using namespace plotmap;

namespace {

using row = std::map<std::string, std::string>;

/// Splits CSV text (RFC 4180 quoting) into rows keyed by the header.
std::vector<row> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> lines(1);
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            lines.back().push_back(std::move(cell));
            cell.clear();
        } else if (c == '\n') {
            lines.back().push_back(std::move(cell));
            cell.clear();
            lines.emplace_back();
        } else if (c != '\r') {
            cell.push_back(c);
        }
    }
    std::vector<row> out;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].size() != lines[0].size()) continue;
        row r;
        for (std::size_t j = 0; j < lines[0].size(); ++j) r[lines[0][j]] = lines[i][j];
        out.push_back(std::move(r));
    }
    return out;
}

/// The first x, y of a WKT geometry.
std::pair<double, double> first_xy(const std::string& wkt) {
    std::smatch m;
    if (!std::regex_search(wkt, m, std::regex(R"(\(+\s*(-?[0-9.eE+-]+) (-?[0-9.eE+-]+))"))) return {NAN, NAN};
    return {std::stod(m[1]), std::stod(m[2])};
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct stored {
    std::string adm3_name;
    std::string owner_name;
    std::string adm2;
    double x = 0, y = 0;     ///< first boundary vertex, lon/lat
    double lon = 0, lat = 0; ///< location
};

class exports_e2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(test::demo_database(*dir, 300).string());
        const auto added = test::run_command({PLOTMAP_BINARY, "user", "add", "--db", *db, "--username", "staff6401", "--role", "staff",
                                              "--scope", "6401", "--password-stdin"},
                                             std::chrono::minutes(1), {}, "staff-password\n");
        ASSERT_EQ(added.exit_code, 0) << added.output;
        const auto token = test::run_command({PLOTMAP_BINARY, "token", "create", "--db", *db, "--username", "staff6401"});
        staff_token = new std::string(test::token_in(token.output));
        server = new test::running_server(*db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
        plots = new std::map<std::string, stored>;
        data::connection c(*db, data::connection::mode::read_only);
        data::statement st(c, "SELECT p.code, a.name_th, coalesce(p.owner_name, ''), p.adm2, "
                              "ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(p.boundary, 1)), 1)), ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(p.boundary, 1)), 1)), "
                              "ST_X(p.location), ST_Y(p.location) FROM plots p JOIN adm3 a ON a.code = p.adm3 "
                              "WHERE p.deleted_at IS NULL AND p.adm1 = '64'");
        while (st.step()) {
            (*plots)[std::string(st.text(0))] = {std::string(st.text(1)), std::string(st.text(2)), std::string(st.text(3)),
                                                 st.real(4), st.real(5), st.real(6), st.real(7)};
        }
    }
    static void TearDownTestSuite() {
        delete server;
        delete plots;
        delete staff_token;
        delete db;
        delete dir;
    }

    /// Downloads /api/v1/exports/plots.<ext>?<query> to a file; returns its path.
    static std::string download(const std::string& ext, const std::string& query, const std::string& headers = {}) {
        const test::http_reply r = test::http_request(server->port, "GET", "/api/v1/exports/plots." + ext + "?" + query, {}, headers);
        EXPECT_EQ(r.status, 200) << r.body.substr(0, 300);
        EXPECT_EQ(r.headers.at("content-disposition"), "attachment; filename=\"plots." + ext + "\"");
        const std::string path = (*dir / ("download-" + std::to_string(++downloads) + "." + ext)).string();
        std::ofstream(path, std::ios::binary) << r.body;
        return path;
    }

    /// The features of a file as GDAL reads them (ogr2ogr to CSV with WKT geometry).
    static std::vector<row> read_back(const std::string& path, const std::string& layer = {}) {
        std::vector<std::string> args{"/usr/bin/ogr2ogr", "-f", "CSV", "/vsistdout/", path};
        if (!layer.empty()) args.push_back(layer);
        args.insert(args.end(), {"-lco", "GEOMETRY=AS_WKT"});
        const auto r = test::run_command(args, std::chrono::minutes(1));
        EXPECT_EQ(r.exit_code, 0) << r.output.substr(0, 500);
        return parse_csv(r.output);
    }

    /// Every feature matches the store: same plots, Thai names, first vertex; personal
    /// fields as `personal` says for each.
    static void expect_matches_store(const std::vector<row>& rows, const std::function<bool(const stored&)>& personal,
                                     double tolerance = 1e-9) {
        EXPECT_EQ(rows.size(), plots->size());
        for (const row& r : rows) {
            const auto it = plots->find(r.at("code"));
            ASSERT_NE(it, plots->end()) << r.at("code");
            const stored& s = it->second;
            EXPECT_EQ(r.at("adm3_name"), s.adm3_name);
            const auto [x, y] = first_xy(r.at("WKT"));
            EXPECT_NEAR(x, s.x, tolerance) << r.at("code");
            EXPECT_NEAR(y, s.y, tolerance) << r.at("code");
            const auto owner = r.find("owner_name");
            if (personal(s)) {
                ASSERT_NE(owner, r.end());
                EXPECT_EQ(owner->second, s.owner_name);
            } else {
                EXPECT_TRUE(owner == r.end() || owner->second.empty()) << r.at("code");
            }
        }
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline std::string* staff_token = nullptr;
    static inline test::running_server* server = nullptr;
    static inline std::map<std::string, stored>* plots = nullptr;
    static inline int downloads = 0;
};

const auto nobody = [](const stored&) { return false; };
const auto everyone = [](const stored&) { return true; };

} // namespace

TEST_F(exports_e2e, every_format_reads_back_in_gdal_with_the_stores_plots) {
    ASSERT_GT(plots->size(), 5u);
    for (const std::string ext : {"geojson", "gpkg", "kml", "csv", "fgb"}) {
        SCOPED_TRACE(ext);
        const std::vector<row> rows = read_back(download(ext, "adm1=64"));
        expect_matches_store(rows, nobody);
        if (ext == "csv") {
            for (const row& r : rows) {
                EXPECT_NEAR(std::stod(r.at("lon")), plots->at(r.at("code")).lon, 1e-9);
                EXPECT_NEAR(std::stod(r.at("lat")), plots->at(r.at("code")).lat, 1e-9);
            }
        }
    }
}

TEST_F(exports_e2e, zipped_shapefiles_carry_cpg_and_prj_and_keep_thai_text) {
    const std::string path = download("shp.zip", "adm1=64");
    const std::string bytes = file_bytes(path);
    for (const char* member : {"plots_polygons.shp", "plots_polygons.dbf", "plots_polygons.cpg", "plots_polygons.prj",
                               "plots_points.cpg", "plots_points.prj"}) {
        EXPECT_NE(bytes.find(member), std::string::npos) << member;
    }
    expect_matches_store(read_back("/vsizip/" + path, "plots_polygons"), nobody);
}

TEST_F(exports_e2e, crs_is_honoured_and_agrees_with_cs2cs) {
    const std::vector<row> rows = read_back(download("gpkg", "adm1=64&crs=EPSG:32647"));
    ASSERT_EQ(rows.size(), plots->size());
    std::string input;
    for (const row& r : rows) {
        const stored& s = plots->at(r.at("code"));
        char line[96];
        std::snprintf(line, sizeof line, "%.12f %.12f\n", s.y, s.x); // EPSG:4326: latitude first
        input += line;
    }
    const auto projected = test::run_command({"/usr/bin/cs2cs", "-f", "%.4f", "EPSG:4326", "EPSG:32647"}, std::chrono::seconds(30), {}, input);
    ASSERT_EQ(projected.exit_code, 0) << projected.output;
    std::istringstream out(projected.output);
    for (const row& r : rows) {
        double e = 0, n = 0, h = 0;
        out >> e >> n >> h;
        const auto [x, y] = first_xy(r.at("WKT"));
        EXPECT_NEAR(x, e, 0.001) << r.at("code");
        EXPECT_NEAR(y, n, 0.001) << r.at("code");
    }
    // FlatGeobuf (plotmap's own writer) in the same CRS: the same positions as the GeoPackage.
    std::map<std::string, std::string> gpkg_wkt;
    for (const row& r : rows) gpkg_wkt[r.at("code")] = r.at("WKT");
    const std::vector<row> fgb_rows = read_back(download("fgb", "adm1=64&crs=EPSG:32647"));
    ASSERT_EQ(fgb_rows.size(), rows.size());
    for (const row& r : fgb_rows) EXPECT_EQ(r.at("WKT"), gpkg_wkt.at(r.at("code"))) << r.at("code");
    const auto info = test::run_command({"/usr/bin/ogrinfo", "-ro", "-so", download("fgb", "adm1=64&crs=EPSG:24047"), "plots"});
    EXPECT_NE(info.output.find("Indian 1975 / UTM zone 47N"), std::string::npos) << info.output;
    EXPECT_EQ(test::http_request(server->port, "GET", "/api/v1/exports/plots.kml?crs=EPSG:32647").status, 400);
    EXPECT_EQ(test::http_request(server->port, "GET", "/api/v1/exports/plots.xlsx").status, 400);
    EXPECT_EQ(test::http_request(server->port, "GET", "/api/v1/exports/roads.gpkg").status, 404);
    EXPECT_EQ(test::http_request(server->port, "GET", "/api/v1/exports/plots.gpkg?colour=red").status, 400);
}

TEST_F(exports_e2e, personal_fields_follow_the_callers_scope) {
    const std::string admin = test::admin_authorization();
    expect_matches_store(read_back(download("gpkg", "adm1=64", admin)), everyone);
    const std::string staff = "Authorization: Bearer " + *staff_token + "\r\n";
    expect_matches_store(read_back(download("geojson", "adm1=64", staff)), [](const stored& s) { return s.adm2 == "6401"; });
    const std::string anonymous_bytes = file_bytes(download("csv", "adm1=64"));
    for (const auto& [code, s] : *plots) {
        if (!s.owner_name.empty()) {
            EXPECT_EQ(anonymous_bytes.find(s.owner_name), std::string::npos) << code;
        }
    }
}

TEST_F(exports_e2e, the_cli_exports_with_progress_and_personal_fields_unless_public) {
    const std::string out = (*dir / "cli.gpkg").string();
    const auto r = test::run_command({PLOTMAP_BINARY, "export", "--db", *db, "--format", "gpkg", "--adm1", "64", out});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("export: " + std::to_string(plots->size()) + "/" + std::to_string(plots->size()) + " plots (100%)"),
              std::string::npos)
        << r.output;
    expect_matches_store(read_back(out), everyone);
    // The GeoPackage is whole as GDAL sees it: a spatial index, an extent, a clean file.
    const auto index = test::run_command({"/usr/bin/ogrinfo", "-ro", out, "-sql", "SELECT HasSpatialIndex('plots', 'geom')"});
    EXPECT_NE(index.output.find("HasSpatialIndex (Integer) = 1"), std::string::npos) << index.output;
    const auto summary = test::run_command({"/usr/bin/ogrinfo", "-ro", "-so", out, "plots"});
    EXPECT_NE(summary.output.find("Feature Count: " + std::to_string(plots->size())), std::string::npos) << summary.output;
    EXPECT_NE(summary.output.find("Extent: (99."), std::string::npos) << summary.output;
    const auto integrity = test::run_command({"/usr/bin/sqlite3", out, "PRAGMA integrity_check"});
    EXPECT_EQ(integrity.output, "ok\n");
    // The bulk-loaded spatial index passes SQLite's own check; the count GDAL keeps is set.
    const auto tree = test::run_command(
        {"/usr/bin/sqlite3", out, "SELECT rtreecheck('rtree_plots_geom'), (SELECT count(*) FROM rtree_plots_geom), "
                                  "(SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'plots')"});
    EXPECT_EQ(tree.output, "ok|" + std::to_string(plots->size()) + "|" + std::to_string(plots->size()) + "\n");
    const std::string pub = (*dir / "public.shp.zip").string();
    ASSERT_EQ(test::run_command({PLOTMAP_BINARY, "export", "--db", *db, "--format", "shp.zip", "--adm1", "64", "--public", pub}).exit_code, 0);
    expect_matches_store(read_back("/vsizip/" + pub, "plots_polygons"), nobody);
    const auto bad = test::run_command({PLOTMAP_BINARY, "export", "--db", *db, "--format", "xls", out});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.output.find("export format must be geojson, gpkg, shp.zip, kml, csv or fgb"), std::string::npos);
    const auto no_out = test::run_command({PLOTMAP_BINARY, "export", "--db", *db, "--format", "gpkg"});
    EXPECT_EQ(no_out.exit_code, 2);
}
