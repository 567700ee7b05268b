// plotmap's FlatGeobuf writer read back by GDAL's FlatGeobuf driver (a reader plotmap did not
// write): every feature's geometry and properties, the header's schema, CRS and extent, and
// box filters through the file's packed R-tree against a scan of what was written.

#include "data/flatgeobuf.hpp"
#include "geo/wkb.hpp"
#include "temp_dir.hpp"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>

#include <random>

using namespace plotmap;
namespace fgb = plotmap::data::flatgeobuf;

namespace {

struct dataset_closer {
    void operator()(void* ds) const noexcept { GDALClose(ds); }
};
using dataset_ptr = std::unique_ptr<void, dataset_closer>;

dataset_ptr open(const std::filesystem::path& p) {
    GDALAllRegister();
    return dataset_ptr(GDALOpenEx(p.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
}

struct written {
    std::variant<geo::point, geo::multi_polygon> geometry;
    std::optional<std::int64_t> number;
    std::optional<double> area;
    std::optional<std::string> name;
    geo::bbox box;
};

fgb::crs_info wgs84() {
    return {"EPSG", 4326, "WGS 84", ""};
}

std::vector<fgb::column> schema() {
    return {{"number", fgb::column_type::integer}, {"area", fgb::column_type::real}, {"name", fgb::column_type::text}};
}

} // namespace

TEST(flatgeobuf, gdal_reads_back_every_feature_and_filters_by_box_through_the_index) {
    test::temp_dir dir;
    const auto path = dir / "plots.fgb";
    std::mt19937_64 random(2566);
    std::uniform_real_distribution<double> lon(97.5, 105.5), lat(5.7, 20.4), step(0.0005, 0.01);
    std::vector<written> features;
    {
        fgb::writer w(path, "plots", schema(), wgs84());
        for (int i = 0; i < 5000; ++i) { // 5,000 leaves of 16: a tree of five levels
            written f;
            const double x = lon(random), y = lat(random), d = step(random);
            if (i % 3 == 0) {
                f.geometry = geo::point{x, y};
                f.box = {x, y, x, y};
            } else {
                geo::multi_polygon mp;
                mp.polygons.push_back({{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}});
                if (i % 5 == 0) { // a hole
                    const double q = d / 4;
                    mp.polygons[0].rings.push_back({{x + q, y + q}, {x + q, y + 2 * q}, {x + 2 * q, y + 2 * q}, {x + 2 * q, y + q}, {x + q, y + q}});
                }
                if (i % 7 == 0) { // a second part
                    mp.polygons.push_back({{{{x + 2 * d, y}, {x + 3 * d, y}, {x + 3 * d, y + d}, {x + 2 * d, y}}}});
                }
                f.box = geo::envelope(mp);
                f.geometry = std::move(mp);
            }
            if (i % 4 != 0) f.number = i * 1000003LL;
            if (i % 6 != 0) f.area = d * 123456.789;
            if (i % 2 == 0) f.name = i % 10 == 0 ? std::string("แปลงนาย \"สมชาย\" ") + std::to_string(i) : std::string();
            std::vector<fgb::property> props(3);
            if (f.number) props[0] = {false, *f.number, 0, {}};
            if (f.area) props[1] = {false, 0, *f.area, {}};
            if (f.name) props[2] = {false, 0, 0, *f.name};
            std::visit([&](const auto& g) { w.add(g, props); }, f.geometry);
            features.push_back(std::move(f));
        }
        EXPECT_EQ(w.finish(), 5000);
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "plots.fgb.features")); // the scratch file is gone

    const dataset_ptr ds = open(path);
    ASSERT_TRUE(ds) << CPLGetLastErrorMsg();
    OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
    EXPECT_STREQ(OGR_L_GetName(layer), "plots");
    EXPECT_EQ(OGR_L_GetFeatureCount(layer, FALSE), 5000);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    ASSERT_EQ(OGR_FD_GetFieldCount(defn), 3);
    EXPECT_EQ(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, 0)), OFTInteger64);
    EXPECT_EQ(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, 1)), OFTReal);
    EXPECT_EQ(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, 2)), OFTString);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(OSRGetAuthorityCode(srs, nullptr), "4326");
    OGREnvelope extent;
    ASSERT_EQ(OGR_L_GetExtent(layer, &extent, FALSE), OGRERR_NONE);
    geo::bbox all;
    for (const written& f : features) all.extend(f.box);
    EXPECT_EQ(extent.MinX, all.min_x);
    EXPECT_EQ(extent.MaxY, all.max_y);

    // Every feature, in whatever order the file keeps them, exactly as written.
    std::map<std::string, const written*> by_geometry;
    for (const written& f : features) {
        by_geometry[std::visit([](const auto& g) { return geo::to_wkb(g); }, f.geometry)] = &f;
    }
    std::size_t matched = 0;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH feat = OGR_L_GetNextFeature(layer)) {
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        ASSERT_NE(g, nullptr);
        std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
        OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
        const auto found = by_geometry.find(wkb);
        ASSERT_NE(found, by_geometry.end()) << OGR_G_GetGeometryName(g);
        const written& f = *found->second;
        EXPECT_EQ(OGR_F_IsFieldSetAndNotNull(feat, 0) != 0, f.number.has_value());
        if (f.number) {
            EXPECT_EQ(OGR_F_GetFieldAsInteger64(feat, 0), *f.number);
        }
        EXPECT_EQ(OGR_F_IsFieldSetAndNotNull(feat, 1) != 0, f.area.has_value());
        if (f.area) {
            EXPECT_EQ(OGR_F_GetFieldAsDouble(feat, 1), *f.area);
        }
        EXPECT_EQ(OGR_F_IsFieldSetAndNotNull(feat, 2) != 0, f.name.has_value());
        if (f.name) {
            EXPECT_EQ(std::string(OGR_F_GetFieldAsString(feat, 2)), *f.name);
        }
        ++matched;
        OGR_F_Destroy(feat);
    }
    EXPECT_EQ(matched, 5000U);

    // Box filters go through the index (GDAL searches the packed R-tree for a spatial filter):
    // each finds what a scan of the written boxes finds.
    for (int i = 0; i < 60; ++i) {
        const double x = lon(random), y = lat(random), w = step(random) * 40, h = step(random) * 40;
        std::int64_t expected = 0;
        for (const written& f : features) {
            const geo::bbox& b = f.box;
            if (b.max_x < x || b.min_x > x + w || b.max_y < y || b.min_y > y + h) continue;
            OGRGeometryH window = nullptr, shape = nullptr;
            const std::string wkt = "POLYGON((" + std::to_string(x) + " " + std::to_string(y) + "," + std::to_string(x + w) + " " +
                                    std::to_string(y) + "," + std::to_string(x + w) + " " + std::to_string(y + h) + "," +
                                    std::to_string(x) + " " + std::to_string(y + h) + "," + std::to_string(x) + " " + std::to_string(y) + "))";
            char* text = const_cast<char*>(wkt.c_str());
            OGR_G_CreateFromWkt(&text, nullptr, &window);
            const std::string wkb = std::visit([](const auto& g) { return geo::to_wkb(g); }, f.geometry);
            OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(wkb.data()), nullptr, &shape, static_cast<int>(wkb.size()));
            if (OGR_G_Intersects(window, shape)) ++expected;
            OGR_G_DestroyGeometry(window);
            OGR_G_DestroyGeometry(shape);
        }
        OGR_L_SetSpatialFilterRect(layer, x, y, x + w, y + h);
        std::int64_t found = 0;
        OGR_L_ResetReading(layer);
        while (OGRFeatureH feat = OGR_L_GetNextFeature(layer)) {
            ++found;
            OGR_F_Destroy(feat);
        }
        EXPECT_EQ(found, expected) << x << " " << y << " " << w << " " << h;
    }
}

TEST(flatgeobuf, an_empty_layer_and_a_single_feature_are_files_gdal_opens) {
    test::temp_dir dir;
    {
        fgb::writer w(dir / "empty.fgb", "plots", schema(), wgs84());
        EXPECT_EQ(w.finish(), 0);
    }
    {
        fgb::writer w(dir / "one.fgb", "plots", schema(), {"", 0, "WGS 84 / UTM zone 47N", ""});
        w.add(geo::point{650000, 1650000}, {{false, 7, 0, {}}, {}, {false, 0, 0, "หนึ่ง"}});
        EXPECT_EQ(w.finish(), 1);
    }
    const dataset_ptr empty = open(dir / "empty.fgb");
    ASSERT_TRUE(empty) << CPLGetLastErrorMsg();
    EXPECT_EQ(OGR_L_GetFeatureCount(GDALDatasetGetLayer(empty.get(), 0), TRUE), 0);
    const dataset_ptr one = open(dir / "one.fgb");
    ASSERT_TRUE(one) << CPLGetLastErrorMsg();
    OGRLayerH layer = GDALDatasetGetLayer(one.get(), 0);
    OGR_L_SetSpatialFilterRect(layer, 649999, 1649999, 650001, 1650001);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(OGR_F_GetFieldAsInteger64(f, 0), 7);
    EXPECT_STREQ(OGR_F_GetFieldAsString(f, 2), "หนึ่ง");
    OGR_F_Destroy(f);
    EXPECT_EQ(OGR_L_GetNextFeature(layer), nullptr);
}
