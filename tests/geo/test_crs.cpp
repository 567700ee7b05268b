#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace plotmap;
using namespace plotmap::geo;

namespace {

/// Asks PROJ's own cs2cs (authority axis order on both sides) to transform one point.
/// Input and output here are x = lon/easting; cs2cs wants EPSG:4326 and 4240 as lat, lon.
point cs2cs(const crs& from, const crs& to, point p) {
    const auto swap_if = [](const crs& c, point q) { return c.lat_first ? point{q.y, q.x} : q; };
    const point in = swap_if(from, p);
    std::ostringstream cmd;
    cmd.precision(12);
    cmd << "echo " << in.x << " " << in.y << " | cs2cs -d 10 " << from.id << " " << to.id;
    const auto r = test::run_command({"/bin/sh", "-c", cmd.str()});
    std::istringstream out(r.output);
    point q;
    out >> q.x >> q.y;
    if (!out) throw std::runtime_error("cs2cs said: " + r.output);
    return swap_if(to, q);
}

struct control_point {
    const char* to;
    point lonlat;
    double tolerance; ///< metres or degrees of the target CRS
};

} // namespace

TEST(crs, finds_every_spelling_and_rejects_others) {
    EXPECT_EQ(find_crs("EPSG:32647").id, "EPSG:32647");
    EXPECT_EQ(find_crs("epsg:32647").id, "EPSG:32647");
    EXPECT_EQ(find_crs("32648").id, "EPSG:32648");
    EXPECT_EQ(find_crs("http://www.opengis.net/def/crs/EPSG/0/24047").id, "EPSG:24047");
    EXPECT_EQ(find_crs("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>").id, "OGC:CRS84");
    EXPECT_EQ(find_crs("urn:ogc:def:crs:EPSG::4240").id, "EPSG:4240");
    EXPECT_EQ(find_crs("CRS84").id, "OGC:CRS84");
    EXPECT_EQ(supported_crs().front().id, "OGC:CRS84");
    EXPECT_EQ(supported_crs().size(), 8u);
    try {
        (void)find_crs("EPSG:2154");
        FAIL();
    } catch (const bad_request& e) {
        EXPECT_STREQ(e.what(), "CRS \"EPSG:2154\" is not supported; use one of OGC:CRS84, EPSG:4326, EPSG:3857, "
                               "EPSG:32647, EPSG:32648, EPSG:24047, EPSG:24048, EPSG:4240");
    }
}

TEST(crs, forward_and_back_match_cs2cs_in_both_zones_and_datums) {
    const std::vector<control_point> points{
        {"EPSG:32647", {100.5, 13.75}, 0.001},   {"EPSG:32647", {99.0, 16.0}, 0.001},
        {"EPSG:32648", {103.5, 16.43}, 0.001},   {"EPSG:32648", {104.9, 15.2}, 0.001},
        {"EPSG:24047", {100.5, 13.75}, 0.001},   {"EPSG:24047", {99.82, 17.01}, 0.001},
        {"EPSG:24048", {103.5, 16.43}, 0.001},   {"EPSG:24048", {102.83, 16.44}, 0.001},
        {"EPSG:4240", {100.5, 13.75}, 1e-8},     {"EPSG:3857", {102.5, 12.24}, 0.001},
    };
    for (const control_point& cp : points) {
        const crs& target = find_crs(cp.to);
        const point ours = transformer_for(crs84(), target).apply(cp.lonlat);
        const point theirs = cs2cs(find_crs("EPSG:4326"), target, cp.lonlat);
        EXPECT_NEAR(ours.x, theirs.x, cp.tolerance) << cp.to;
        EXPECT_NEAR(ours.y, theirs.y, cp.tolerance) << cp.to;
        const point back = transformer_for(target, crs84()).apply(ours);
        const point back_theirs = cs2cs(target, find_crs("EPSG:4326"), ours);
        EXPECT_NEAR(back.x, back_theirs.x, 1e-8) << cp.to;
        EXPECT_NEAR(back.y, back_theirs.y, 1e-8) << cp.to;
        EXPECT_NEAR(back.x, cp.lonlat.x, 1e-7) << cp.to;
        EXPECT_NEAR(back.y, cp.lonlat.y, 1e-7) << cp.to;
    }
}

TEST(crs, indian_1975_uses_the_operation_proj_selects_and_records_it) {
    transformer& t = transformer_for(find_crs("EPSG:24047"), crs84());
    const point p = t.apply({662690.9254, 1520229.7285});
    const operation_info op = t.last_operation();
    // For onshore Thailand PROJ selects EPSG:1812 "Indian 1975 to WGS 84 (4)", stated accuracy
    // 3 m, over EPSG:1304 "(2)" (5 m); the two disagree by ~190 m here, so which one ran matters.
    EXPECT_NE(op.name.find("Indian 1975 to WGS 84 (4)"), std::string::npos) << op.name;
    EXPECT_DOUBLE_EQ(op.accuracy_m, 3.0);
    // The result is exactly EPSG:1812's published Helmert parameters applied by hand with cct.
    const auto r = test::run_command(
        {"/bin/sh", "-c",
         "echo 662690.9254 1520229.7285 0 0 | cct -d 10 +proj=pipeline +step +inv +proj=utm +zone=47 +ellps=evrst30 "
         "+step +proj=push +v_3 +step +proj=cart +ellps=evrst30 +step +proj=helmert +x=293 +y=836 +z=318 +rx=0.5 "
         "+ry=1.6 +rz=-2.8 +s=2.1 +convention=position_vector +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3 "
         "+step +proj=unitconvert +xy_in=rad +xy_out=deg"});
    std::istringstream out(r.output);
    point by_hand;
    out >> by_hand.x >> by_hand.y;
    ASSERT_TRUE(out) << r.output;
    EXPECT_LT(geodesic_distance_m(p, by_hand), 0.01);
    // And the control point (made from WGS 84 100.5E 13.75N with cs2cs) comes back within
    // the operation's stated accuracy.
    EXPECT_LT(geodesic_distance_m(p, {100.5, 13.75}), op.accuracy_m);
}

TEST(crs, identity_between_crs84_and_4326_normalised) {
    transformer& t = transformer_for(crs84(), find_crs("EPSG:4326"));
    EXPECT_TRUE(t.identity());
    EXPECT_EQ(t.apply({100.5, 13.75}), (point{100.5, 13.75}));
    EXPECT_EQ(t.last_operation().name, "identity");
}

TEST(crs, untransformable_points_are_invalid_geometry) {
    transformer& t = transformer_for(find_crs("EPSG:32647"), crs84());
    try {
        (void)t.apply({1e30, 0});
        FAIL();
    } catch (const invalid_geometry& e) {
        EXPECT_STREQ(e.what(), "coordinates 1e+30, 0 cannot be transformed (outside the coordinate system's area?)");
    }
}
