#include "data/spatialite_blob.hpp"
#include "data/sqlite.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"
#include "geo/wkb.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

TEST(spatialite_blob, reads_the_same_geometry_as_asbinary) {
    test::temp_dir dir;
    connection conn(test::demo_database(dir, 50).string(), connection::mode::read_write);
    statement st = conn.prepare("SELECT boundary, AsBinary(boundary), location, AsBinary(location) FROM plots");
    int n = 0;
    while (st.step()) {
        EXPECT_EQ(multi_polygon_from_spatialite(st.blob(0)), geo::multi_polygon_from_wkb(st.blob(1)));
        EXPECT_EQ(point_from_spatialite(st.blob(2)), geo::point_from_wkb(st.blob(3)));
        ++n;
    }
    EXPECT_EQ(n, 50);
    statement holes = conn.prepare("SELECT geom, AsBinary(geom) FROM adm1");
    while (holes.step()) EXPECT_EQ(multi_polygon_from_spatialite(holes.blob(0)), geo::multi_polygon_from_wkb(holes.blob(1)));
}

TEST(spatialite_blob, rejects_what_it_does_not_read) {
    EXPECT_THROW((void)point_from_spatialite("not a blob"), store_error);
    test::temp_dir dir;
    connection conn(test::fresh_database(dir).string(), connection::mode::read_write);
    statement st = conn.prepare("SELECT MakePoint(1, 2, 4326), GeomFromText('LINESTRING(0 0, 1 1)', 4326)");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(point_from_spatialite(st.blob(0)), (geo::point{1, 2}));
    EXPECT_THROW((void)multi_polygon_from_spatialite(st.blob(1)), store_error);
    std::string truncated(st.blob(0));
    truncated.erase(45, 8);
    EXPECT_THROW((void)point_from_spatialite(truncated), store_error);
}
