// The hand-written GeoJSON writer against nlohmann::json's parser: escaping, Thai text,
// numbers, geometry, and personal fields by scope.

#include "data/exporter.hpp"
#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::data;

TEST(exporter, geojson_text_escapes_parses_and_leaves_personal_fields_to_the_scope) {
    test::temp_dir dir;
    store db{{test::fresh_database(dir).string(), 1}};
    plot_registry registry{db, registry_rules{}};
    plot_draft d;
    d.program = "HLM";
    d.name = "แปลง \"ทดสอบ\" \\ end of a longer name";
    d.notes = "บรรทัดหนึ่ง\nบรรทัดสอง\tแท็บ";
    d.owner_name = "สมชาย ใจดี";
    d.pin = geo::point{99.8231, 17.0079};
    const plot made = registry.create(d, editor{"officer", std::nullopt}).record;

    const auto exported = [&](std::optional<area_scope> personal) {
        export_options o;
        o.personal_scope = personal;
        std::string text;
        connection c(db.options().path, connection::mode::read_only);
        EXPECT_EQ(export_geojson(c, o, [&](std::string_view chunk) { text += chunk; }, 64), 1);
        return nlohmann::json::parse(text);
    };
    const nlohmann::json full = exported(area_scope{std::string("64")});
    const nlohmann::json& f = full["features"][0];
    EXPECT_EQ(f["id"], made.id);
    EXPECT_EQ(f["properties"]["name"], *d.name);
    EXPECT_EQ(f["properties"]["owner_name"], "สมชาย ใจดี");
    EXPECT_EQ(f["properties"]["notes"], *d.notes);
    EXPECT_EQ(f["properties"]["adm3_name"], "ธานี");
    EXPECT_EQ(f["properties"]["created_by"], "officer");
    EXPECT_EQ(f["geometry"]["type"], "Point");
    EXPECT_DOUBLE_EQ(f["geometry"]["coordinates"][0].get<double>(), 99.8231);
    EXPECT_DOUBLE_EQ(f["properties"]["lat"].get<double>(), 17.0079);
    EXPECT_FALSE(exported(std::nullopt)["features"][0]["properties"].contains("owner_name"));           // public
    EXPECT_FALSE(exported(area_scope{std::string("50")})["features"][0]["properties"].contains("owner_name")); // another province
}
