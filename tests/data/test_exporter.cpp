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

TEST(exporter, geojson_reading_and_writing_on_two_threads_stop_together_on_either_side_failing) {
    test::temp_dir dir;
    const std::filesystem::path path = test::demo_database(dir, 3000);
    connection c(path.string(), connection::mode::read_only);
    export_options o;
    // Everything, in id order, once.
    std::string text;
    EXPECT_EQ(export_geojson(c, o, [&](std::string_view chunk) { text += chunk; }, 4096), 3000);
    const nlohmann::json all = nlohmann::json::parse(text);
    ASSERT_EQ(all["features"].size(), 3000u);
    for (std::size_t i = 1; i < 3000; ++i) ASSERT_LT(all["features"][i - 1]["id"], all["features"][i]["id"]);
    // The writing side fails (a full disk): the reader stops, the error comes out, no hang.
    int chunks = 0;
    EXPECT_THROW(export_geojson(c, o, [&](std::string_view) { if (++chunks == 3) throw store_error("disk full"); }, 4096), store_error);
    EXPECT_EQ(chunks, 3);
    // The reading side fails: the writer stops and the reader's error comes out.
    o.query.filter = cql2::sql_filter{"no_such_column = 1", {}};
    EXPECT_THROW(export_geojson(c, o, [](std::string_view) {}, 4096), store_error);
    // The connection is usable afterwards.
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM plots"), 3000);
}
