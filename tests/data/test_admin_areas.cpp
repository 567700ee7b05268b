#include "config/config.hpp"
#include "data/admin_areas.hpp"
#include "data/plot_store.hpp"
#include "data/database.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace plotmap;
using namespace plotmap::data;

TEST(admin_areas, shipped_boundaries_load_all_three_levels) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    EXPECT_EQ(count_admin_areas(conn), (admin_counts{77, 928, 7425}));
    statement st = conn.prepare("SELECT code, pcode, name_th, name_en, adm1, adm2 FROM adm3 WHERE code = '420803'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(1), "TH420803");
    EXPECT_EQ(st.text(2), "อาฮี");
    EXPECT_EQ(st.text(3), "A Hi");
    EXPECT_EQ(st.text(4), "42");
    EXPECT_EQ(st.text(5), "4208");
}

TEST(admin_areas, loading_again_changes_nothing) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    EXPECT_EQ(load_admin_areas(conn, config::default_admin_dir()), (admin_counts{77, 928, 7425}));
}

TEST(admin_areas, spatial_index_finds_the_subdistrict_of_a_point) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    // Sukhothai city hall area; the subdistrict is Thani (ตำบลธานี), amphoe Mueang Sukhothai.
    statement st = conn.prepare(test::per_backend(
        "SELECT code, name_en FROM adm3 WHERE ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'adm3' "
        "AND search_frame = MakePoint(99.8230, 17.0078, 4326)) AND ST_Contains(geom, MakePoint(99.8230, 17.0078, 4326))",
        "SELECT code, name_en FROM adm3 WHERE geom && MakePoint(99.8230, 17.0078, 4326) "
        "AND ST_Contains(geom, MakePoint(99.8230, 17.0078, 4326))"));
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0).substr(0, 4), "6401");
    EXPECT_FALSE(st.step());
}

TEST(admin_areas, geometries_are_valid_and_wound_per_rfc7946) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    const std::vector<subdistrict> trat = read_subdistricts(conn, {"23"});
    ASSERT_FALSE(trat.empty());
    for (const subdistrict& s : trat) {
        EXPECT_EQ(s.adm1, "23");
        EXPECT_EQ(s.adm3.substr(0, 4), s.adm2);
        for (const auto& poly : s.geometry.polygons) EXPECT_GT(geo::signed_area(poly.rings.front()), 0.0) << s.adm3;
    }
}

TEST(admin_areas, broken_file_is_reported_with_its_name_and_nothing_is_loaded) {
    test::temp_dir dir;
    const auto src = config::default_admin_dir();
    std::filesystem::copy_file(src / "th_adm1.geojson", dir / "th_adm1.geojson");
    std::filesystem::copy_file(src / "th_adm2.geojson", dir / "th_adm2.geojson");
    std::ofstream(dir / "th_adm3.geojson") << R"({"type":"FeatureCollection","features":[{"type":"Feature",
        "properties":{"adm3_pcode":"TH999999","adm3_th":"x","adm3_en":"x","adm2_pcode":"TH1001","adm1_pcode":"TH10"},
        "geometry":{"type":"Polygon","coordinates":[[[100,13],[101,13],[100,13]]]}}]})";
    connection fixture(test::fresh_database(dir, "b.sqlite").string(), connection::mode::read_write);
    fixture.exec("DELETE FROM adm3; DELETE FROM adm2; DELETE FROM adm1;");
    try {
        load_admin_areas(fixture, dir.path());
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), (dir / "th_adm3.geojson").string() +
                                             " feature 0 (TH999999): exterior ring: a ring needs at least 4 positions, got 3");
    }
    EXPECT_EQ(count_admin_areas(fixture), (admin_counts{0, 0, 0}));
}

TEST(admin_areas, every_subdistrict_is_found_from_a_point_well_inside_it) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    statement st = conn.prepare("SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM adm3 ORDER BY code");
    int checked = 0;
    int found_itself = 0;
    while (st.step()) {
        const std::string code(st.text(0));
        const geo::point p{st.real(1), st.real(2)};
        const auto match = locate_admin(conn, p);
        ASSERT_TRUE(match.has_value()) << code;
        ++checked;
        if (match->adm3 == code) {
            ++found_itself;
        } else {
            // The simplified boundaries overlap slightly in places: then the point must lie
            // in the other subdistrict too, and that one has the lower code.
            EXPECT_LT(match->adm3, code);
            statement inside = conn.prepare("SELECT ST_Intersects(geom, MakePoint(?, ?, 4326)) FROM adm3 WHERE code = ?");
            inside.bind(1, p.x).bind(2, p.y).bind(3, match->adm3);
            ASSERT_TRUE(inside.step());
            EXPECT_EQ(inside.int64(0), 1) << code << " located as " << match->adm3;
        }
    }
    EXPECT_EQ(checked, 7425);
    EXPECT_GT(found_itself, 7425 * 99 / 100);
}

TEST(admin_areas, a_point_on_a_shared_border_gets_the_lower_code_every_time) {
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    // The first point of the border Thani (640101) shares with a higher-coded neighbour:
    // a point on both subdistricts' boundaries.
    statement border = conn.prepare(R"sql(
        SELECT a.code, b.code, ST_X(ST_StartPoint(ST_GeometryN(ST_Intersection(a.geom, b.geom), 1))),
               ST_Y(ST_StartPoint(ST_GeometryN(ST_Intersection(a.geom, b.geom), 1)))
        FROM adm3 a, adm3 b WHERE a.code = '640101' AND b.adm2 = '6401' AND b.code > a.code
          AND ST_Intersects(a.geom, b.geom) ORDER BY b.code LIMIT 1)sql");
    ASSERT_TRUE(border.step());
    const std::string neighbour(border.text(1));
    const geo::point p{border.real(2), border.real(3)};
    for (const std::string& code : {std::string("640101"), neighbour}) {
        statement on = conn.prepare("SELECT ST_Intersects(geom, MakePoint(?, ?, 4326)) FROM adm3 WHERE code = ?");
        on.bind(1, p.x).bind(2, p.y).bind(3, code);
        ASSERT_TRUE(on.step());
        ASSERT_EQ(on.int64(0), 1) << "the point is on " << code << "'s boundary too";
    }
    for (int i = 0; i < 3; ++i) {
        const auto match = locate_admin(conn, p);
        ASSERT_TRUE(match.has_value());
        EXPECT_EQ(match->adm3, "640101");
    }
}
