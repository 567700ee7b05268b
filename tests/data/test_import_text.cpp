// The text district spreadsheets hold: coordinates as pasted, areas in Thai units, headers
// and admin names however they are spelled.

#include "data/import_text.hpp"
#include "geo/error.hpp"

#include <gtest/gtest.h>

using namespace plotmap::data::import_text;

namespace {

constexpr double dms(double d, double m, double s) { return d + m / 60.0 + s / 3600.0; }

TEST(import_text, angles_in_every_pasted_form) {
    EXPECT_DOUBLE_EQ(*parse_angle("16.4321"), 16.4321);
    EXPECT_DOUBLE_EQ(*parse_angle("16,4321"), 16.4321);
    EXPECT_DOUBLE_EQ(*parse_angle(" 102.8123E "), 102.8123);
    EXPECT_DOUBLE_EQ(*parse_angle("N16.4321"), 16.4321);
    EXPECT_DOUBLE_EQ(*parse_angle("16°24'12.1\"N"), dms(16, 24, 12.1));
    EXPECT_DOUBLE_EQ(*parse_angle("16º24′12.1″"), dms(16, 24, 12.1));
    EXPECT_DOUBLE_EQ(*parse_angle("16° 24' 12.1''"), dms(16, 24, 12.1));
    EXPECT_DOUBLE_EQ(*parse_angle("16 24 12.1"), dms(16, 24, 12.1));
    EXPECT_DOUBLE_EQ(*parse_angle("16°24.5'"), dms(16, 24.5, 0));
    EXPECT_DOUBLE_EQ(*parse_angle("12.5S"), -12.5);
    char h = 0;
    EXPECT_TRUE(parse_angle("103°30'20.4\"E", &h));
    EXPECT_EQ(h, 'E');
    for (const char* bad : {"", "abc", "16°61'", "16.5°24'", "16 24 12 5", "Nan", "16°24'60\"", "16'"}) {
        EXPECT_FALSE(parse_angle(bad)) << bad;
    }
}

TEST(import_text, lat_lon_pairs_and_swaps) {
    const auto expect = [](const char* text, double lat, double lon, bool swapped) {
        const auto p = parse_lat_lon(text);
        ASSERT_TRUE(p) << text;
        EXPECT_NEAR(p->lonlat.y, lat, 1e-9) << text;
        EXPECT_NEAR(p->lonlat.x, lon, 1e-9) << text;
        EXPECT_EQ(p->swapped, swapped) << text;
    };
    expect("16.4321, 102.8123", 16.4321, 102.8123, false);
    expect("16.4321,102.8123", 16.4321, 102.8123, false);
    expect("16,4321 102,8123", 16.4321, 102.8123, false);
    expect("16.4321; 102.8123", 16.4321, 102.8123, false);
    expect("16.4321N 102.8123E", 16.4321, 102.8123, false);
    expect("102.8123E 16.4321N", 16.4321, 102.8123, false); // letters decide, no guess
    expect("16°24'12.1\"N 103°30'20.4\"E", dms(16, 24, 12.1), dms(103, 30, 20.4), false);
    expect("16°24'12.1\" 103°30'20.4\"", dms(16, 24, 12.1), dms(103, 30, 20.4), false);
    expect("16 24 12.1 N 103 30 20.4 E", dms(16, 24, 12.1), dms(103, 30, 20.4), false);
    expect("102.8123, 16.4321", 16.4321, 102.8123, true);
    EXPECT_FALSE(parse_lat_lon("16.4321N 17.1N"));
    EXPECT_FALSE(parse_lat_lon("16.4321"));
    EXPECT_FALSE(parse_lat_lon("somewhere"));
    EXPECT_TRUE(looks_swapped(102.8, 16.4));
    EXPECT_FALSE(looks_swapped(16.4, 102.8));
}

TEST(import_text, areas_in_thai_units) {
    EXPECT_DOUBLE_EQ(area_m2("3-0-0", area_unit::rai_ngan_wa), 4800);
    EXPECT_DOUBLE_EQ(area_m2("3-2-50", area_unit::rai_ngan_wa), 5800);
    EXPECT_DOUBLE_EQ(area_m2("3/2/50", area_unit::rai_ngan_wa), 5800);
    EXPECT_DOUBLE_EQ(area_m2("3-2", area_unit::rai_ngan_wa), 5600);
    EXPECT_DOUBLE_EQ(area_m2("15 ไร่", area_unit::rai_ngan_wa), 24000);
    EXPECT_DOUBLE_EQ(area_m2("15ไร่ 2 งาน 10 ตร.ว.", area_unit::rai_ngan_wa), 24000 + 800 + 40);
    EXPECT_DOUBLE_EQ(area_m2("15", area_unit::rai), 24000);
    EXPECT_DOUBLE_EQ(area_m2("4,800", area_unit::square_metre), 4800);
    EXPECT_DOUBLE_EQ(area_m2("4800 ตร.ม.", area_unit::rai), 4800);
    EXPECT_THROW((void)area_m2("3-5-0", area_unit::rai_ngan_wa), plotmap::bad_request);
    EXPECT_THROW((void)area_m2("15 acres", area_unit::rai), plotmap::bad_request);
    EXPECT_THROW((void)area_m2("lots", area_unit::rai), plotmap::bad_request);
    EXPECT_EQ(unit_of("พื้นที่ (ไร่-งาน-ตร.ว.)", area_unit::rai), area_unit::rai_ngan_wa);
    EXPECT_EQ(unit_of("พื้นที่ (ตร.ม.)", area_unit::rai_ngan_wa), area_unit::square_metre);
    EXPECT_EQ(unit_of("เนื้อที่ (ไร่)", area_unit::rai_ngan_wa), area_unit::rai);
    EXPECT_EQ(unit_of("เนื้อที่", area_unit::rai_ngan_wa), area_unit::rai_ngan_wa);
}

TEST(import_text, headers_admin_names_and_codes) {
    std::string unit;
    EXPECT_EQ(normalise_header("พื้นที่ (ไร่-งาน-ตร.ว.)", &unit), "พื้นที่");
    EXPECT_EQ(unit, "ไร่งานตรว");
    EXPECT_EQ(normalise_header("ชื่อ-สกุล เจ้าของแปลง"), "ชื่อสกุลเจ้าของแปลง");
    EXPECT_EQ(normalise_header(" Owner Name: "), "ownername");
    EXPECT_EQ(admin_name_key("จ.ขอนแก่น"), admin_name_key("ขอนแก่น"));
    EXPECT_EQ(admin_name_key("จังหวัด ขอนแก่น"), "ขอนแก่น");
    EXPECT_EQ(admin_name_key("อ.เมืองขอนแก่น"), "เมืองขอนแก่น");
    EXPECT_EQ(admin_name_key("ต. ในเมือง"), "ในเมือง");
    EXPECT_EQ(admin_name_key("Khon Kaen Province"), "khonkaen");
    EXPECT_EQ(admin_name_key("อ่างทอง"), "อ่างทอง"); // not the อ. prefix
    EXPECT_TRUE(looks_like_code("HLM-4608-0001"));
    EXPECT_TRUE(looks_like_code("460806-0001"));
    EXPECT_FALSE(looks_like_code("แปลงนายสมชาย"));
    EXPECT_FALSE(looks_like_code("Plot of Somchai"));
    EXPECT_FALSE(looks_like_code("Somchai"));
    EXPECT_EQ(program_from_code("HLM-4608-0001"), "HLM");
    EXPECT_EQ(program_from_code("clm_12"), "CLM");
    EXPECT_EQ(program_from_code("460806-0001"), std::nullopt);
    EXPECT_EQ(program_from_code("HLMX-1"), std::nullopt);
}

} // namespace
