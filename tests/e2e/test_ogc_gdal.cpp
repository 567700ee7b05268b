// OGC API Features read by a real client: GDAL's OAPIF driver (ogrinfo, ogr2ogr) against the
// running server lists the collections, counts exactly, pages through everything and
// filters by bbox; coordinates match the store in CRS84 and, checked with PROJ's cs2cs, in
// EPSG:32647.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace plotmap;

namespace {

class ogc_gdal : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(test::demo_database(*dir, 400).string());
        server = new test::running_server(*db, {"PLOTMAP_SERVER_ACCESS_LOG=false"});
    }
    static void TearDownTestSuite() {
        delete server;
        delete db;
        delete dir;
    }

    static std::string url() { return "http://127.0.0.1:" + std::to_string(server->port); }

    static test::command_result gdal(std::vector<std::string> args) {
        const auto r = test::run_command(args, std::chrono::minutes(2), {"GDAL_HTTP_TIMEOUT=30", "CPL_DEBUG=OFF"});
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return r;
    }

    static std::int64_t sql_count(const std::string& sql) { return test::sql_count(*db, sql); }

    static std::int64_t feature_count(const std::string& output) {
        const auto at = output.find("Feature Count: ");
        if (at == std::string::npos) return -1;
        return std::stoll(output.substr(at + 15));
    }

    /// code -> (x, y) from ogr2ogr's CSV with GEOMETRY=AS_XY (X, Y first, then the fields).
    static std::map<std::string, std::pair<double, double>> csv_points(const std::string& csv) {
        std::map<std::string, std::pair<double, double>> out;
        std::istringstream in(csv);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            std::istringstream row(line);
            std::string x, y, code;
            std::getline(row, x, ',');
            std::getline(row, y, ',');
            std::getline(row, code, ',');
            if (code.empty()) continue;
            out[code] = {std::stod(x), std::stod(y)};
        }
        return out;
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline test::running_server* server = nullptr;
};

} // namespace

TEST_F(ogc_gdal, ogr2ogr_where_is_sent_to_the_server_as_a_cql2_filter) {
    // A server of its own with the access log on, to see what GDAL asked for.
    test::running_server logged(*db, {});
    const std::string base = "http://127.0.0.1:" + std::to_string(logged.port);
    const std::string out = (dir->path() / "complete.csv").string();
    gdal({"/usr/bin/ogr2ogr", "-f", "CSV", out, "OAPIF:" + base, "pins", "-where", "stage = 'complete' AND budget_year >= 2024",
          "-lco", "GEOMETRY=AS_XY", "-overwrite"});
    std::ifstream csv(out);
    const auto points = csv_points(std::string(std::istreambuf_iterator<char>(csv), {}));
    EXPECT_EQ(static_cast<std::int64_t>(points.size()),
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND stage = 'complete' AND budget_year >= 2024"));
    // The server did the filtering: after GDAL's first look at the layer (one page, to learn
    // its fields), every page it read carried the filter (GDAL 3.6 sends the draft's
    // filter-lang=cql-text, which the OpenAPI document offers).
    const auto id = test::http_request(logged.port, "GET", "/healthz?probe=end").headers.at("x-request-id");
    ASSERT_TRUE(logged.process.wait_for_line("rid=" + id, std::chrono::seconds(10)));
    const std::string log = logged.process.output();
    std::size_t pages = 0;
    std::size_t filtered = 0;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("/collections/pins/items?limit=10\" 200") != std::string::npos) continue; // the first look
        if (line.find("/collections/pins/items") == std::string::npos) continue;
        ++pages;
        if (line.find("filter=") != std::string::npos && line.find("\" 200 ") != std::string::npos) ++filtered;
    }
    EXPECT_GT(pages, 1u) << log;
    EXPECT_EQ(filtered, pages) << log;
}

TEST_F(ogc_gdal, ogrinfo_lists_the_collections_and_counts_exactly) {
    const auto layers = gdal({"/usr/bin/ogrinfo", "-ro", "OAPIF:" + url()});
    for (const char* id : {"1: plots", "2: pins", "3: adm1", "4: adm2", "5: adm3"}) {
        EXPECT_NE(layers.output.find(id), std::string::npos) << id << "\n" << layers.output;
    }
    EXPECT_EQ(feature_count(gdal({"/usr/bin/ogrinfo", "-ro", "-so", "OAPIF:" + url(), "pins"}).output),
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL"));
    EXPECT_EQ(feature_count(gdal({"/usr/bin/ogrinfo", "-ro", "-so", "OAPIF:" + url(), "plots"}).output),
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND boundary IS NOT NULL"));
    EXPECT_EQ(feature_count(gdal({"/usr/bin/ogrinfo", "-ro", "-so", "OAPIF:" + url(), "adm1"}).output), 77);
}

TEST_F(ogc_gdal, ogr2ogr_pages_through_everything_with_the_stores_coordinates) {
    // A page size that does not divide the count, so the last page is partial.
    const auto r = gdal({"/usr/bin/ogr2ogr", "-f", "CSV", "/vsistdout/", "OAPIF:" + url(), "pins", "-oo", "PAGE_SIZE=37", "-select", "code",
                         "-lco", "GEOMETRY=AS_XY"});
    const auto points = csv_points(r.output);
    ASSERT_EQ(static_cast<std::int64_t>(points.size()), sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL"));
    data::connection c(*db, data::connection::mode::read_only);
    data::statement st(c, "SELECT code, ST_X(location), ST_Y(location) FROM plots WHERE deleted_at IS NULL");
    int compared = 0;
    while (st.step()) {
        const auto it = points.find(std::string(st.text(0)));
        ASSERT_NE(it, points.end()) << st.text(0);
        EXPECT_NEAR(it->second.first, st.real(1), 1e-9);
        EXPECT_NEAR(it->second.second, st.real(2), 1e-9);
        ++compared;
    }
    EXPECT_EQ(compared, static_cast<int>(points.size()));
}

TEST_F(ogc_gdal, a_spatial_filter_becomes_a_bbox_and_matches_the_store) {
    const auto r = gdal({"/usr/bin/ogrinfo", "-ro", "-al", "-so", "OAPIF:" + url(), "pins", "-spat", "99.5", "16.5", "100.5", "17.5"});
    const std::int64_t expected = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND "
                                            "ST_Intersects(location, BuildMbr(99.5, 16.5, 100.5, 17.5, 4326))" + test::per_backend(" = 1", ""));
    ASSERT_GT(expected, 0);
    EXPECT_EQ(feature_count(r.output), expected);
}

TEST_F(ogc_gdal, utm_47n_coordinates_agree_with_cs2cs) {
    const std::string items = url() + "/collections/pins/items?limit=1000&crs=http://www.opengis.net/def/crs/EPSG/0/32647&adm1=64";
    const auto r = gdal({"/usr/bin/ogr2ogr", "-f", "CSV", "/vsistdout/", items, "-select", "code", "-lco", "GEOMETRY=AS_XY"});
    const auto utm = csv_points(r.output);
    ASSERT_GT(utm.size(), 0u);
    // The same points, projected by PROJ's command line tool from the store's lon/lat.
    std::string input;
    std::vector<std::string> codes;
    {
        data::connection c(*db, data::connection::mode::read_only);
        data::statement st(c, "SELECT code, ST_X(location), ST_Y(location) FROM plots WHERE deleted_at IS NULL AND adm1 = '64' ORDER BY id");
        while (st.step()) {
            codes.emplace_back(st.text(0));
            char line[96];
            std::snprintf(line, sizeof line, "%.12f %.12f\n", st.real(2), st.real(1)); // EPSG:4326 is lat, lon
            input += line;
        }
    }
    ASSERT_EQ(codes.size(), utm.size());
    const auto projected = test::run_command({"/usr/bin/cs2cs", "-f", "%.4f", "EPSG:4326", "EPSG:32647"}, std::chrono::seconds(30), {}, input);
    ASSERT_EQ(projected.exit_code, 0) << projected.output;
    std::istringstream out(projected.output);
    for (const std::string& code : codes) {
        double e = 0, n = 0, h = 0;
        out >> e >> n >> h;
        EXPECT_NEAR(utm.at(code).first, e, 0.001) << code;
        EXPECT_NEAR(utm.at(code).second, n, 0.001) << code;
    }
}
