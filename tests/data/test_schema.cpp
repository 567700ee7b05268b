#include "data/schema.hpp"
#include "data/database.hpp"
#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

TEST(schema, migrate_creates_every_table_with_spatial_indexes) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    EXPECT_EQ(schema_version(conn), 0);
    EXPECT_EQ(migrate(conn), latest_schema_version());
    EXPECT_EQ(schema_version(conn), latest_schema_version());
    for (const char* table : {"adm1", "adm2", "adm3", "plots", "plot_history", "photos", "photo_history", "progress_events"}) {
        EXPECT_EQ(conn.scalar_int(std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='") + table + "'"), 1)
            << table;
    }
    // Geometry columns registered with SpatiaLite, EPSG:4326, indexed (photos keep their
    // capture point as plain lon/lat columns since migration 8).
    statement st = conn.prepare(
        "SELECT f_table_name || '.' || f_geometry_column, geometry_type, srid, spatial_index_enabled "
        "FROM geometry_columns ORDER BY 1");
    std::vector<std::string> rows;
    while (st.step()) {
        rows.push_back(std::string(st.text(0)) + " " + std::to_string(st.int64(1)) + " " + std::to_string(st.int64(2)) + " " +
                       std::to_string(st.int64(3)));
    }
    EXPECT_EQ(rows, (std::vector<std::string>{"adm1.geom 6 4326 1", "adm2.geom 6 4326 1", "adm3.geom 6 4326 1",
                                              "plots.boundary 6 4326 1", "plots.location 1 4326 1",
                                              "plots.pin 1 4326 1"}));
}

TEST(schema, migrate_twice_is_harmless) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    migrate(conn);
    EXPECT_EQ(migrate(conn), 0);
    EXPECT_NO_THROW(require_current_schema(conn));
}

TEST(schema, newer_database_is_refused) {
    test::temp_dir dir;
    const std::string path = (dir / "a.sqlite").string();
    connection conn(path, connection::mode::create);
    migrate(conn);
    conn.exec("PRAGMA user_version = 99");
    try {
        migrate(conn);
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), "database " + path + " has schema version 99, newer than this plotmap (" +
                                             std::to_string(latest_schema_version()) + "): upgrade plotmap before opening it");
    }
    EXPECT_THROW(require_current_schema(conn), store_error);
}

TEST(schema, foreign_database_is_refused) {
    test::temp_dir dir;
    const std::string path = (dir / "a.sqlite").string();
    connection conn(path, connection::mode::create);
    conn.exec("CREATE TABLE something_else (x)");
    try {
        migrate(conn);
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "database " + path + " is not a plotmap database (it has tables but no plotmap schema version)");
    }
}

TEST(schema, old_database_must_be_migrated_before_use) {
    test::temp_dir dir;
    const std::string path = (dir / "a.sqlite").string();
    connection conn(path, connection::mode::create);
    try {
        require_current_schema(conn);
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), "database " + path + " has schema version 0, expected " +
                                             std::to_string(latest_schema_version()) + ": run `plotmap init --db " + path + "`");
    }
}

TEST(schema, history_is_append_only) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    migrate(conn);
    conn.exec("INSERT INTO plots (id, uid, code, program, created_at, updated_at) VALUES (1, 'u', 'c', 'HLM', 't', 't')");
    conn.exec("INSERT INTO plot_history (plot_id, version, action, changed_at, changes) VALUES (1, 1, 'create', 't', '{}')");
    EXPECT_THROW(conn.exec("UPDATE plot_history SET changes = '{\"x\":1}'"), conflict);
    EXPECT_THROW(conn.exec("DELETE FROM plot_history"), conflict);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plot_history"), 1);
}

TEST(schema, lean_geometry_triggers_keep_every_spatial_index_exact_through_inserts_updates_and_deletes) {
    plotmap::test::temp_dir dir;
    data::connection c((dir / "t.sqlite").string(), data::connection::mode::create);
    data::migrate(c);
    // SpatiaLite's statistics triggers are gone; the index triggers are plotmap's own.
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tm%_plots_%'"), 0);
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'gi%_plots_%'"), 9);
    const char* insert = R"sql(INSERT INTO plots (uid, code, program, created_at, updated_at, pin, boundary, location)
        VALUES (?1, ?1, 'HLM', 'now', 'now', MakePoint(?2, ?3, 4326),
                CastToMultiPolygon(BuildMbr(?2, ?3, ?2 + 0.001, ?3 + 0.001, 4326)), MakePoint(?2, ?3, 4326)))sql";
    for (int i = 0; i < 200; ++i) {
        data::statement st = c.prepare(insert);
        st.bind(1, "p" + std::to_string(i)).bind(2, 99.0 + i * 0.01).bind(3, 15.0 + (i % 7) * 0.01);
        st.run();
    }
    c.exec("UPDATE plots SET pin = MakePoint(101.123456789, 16.987654321, 4326) WHERE id % 3 = 0");
    c.exec("UPDATE plots SET boundary = NULL WHERE id % 5 = 0");
    c.exec("DELETE FROM plots WHERE id % 11 = 0");
    for (const char* column : {"pin", "boundary", "location"}) {
        const std::string col(column);
        // One index row per non-null geometry, and its box holds the geometry exactly.
        EXPECT_EQ(c.scalar_int("SELECT count(*) FROM idx_plots_" + col),
                  c.scalar_int("SELECT count(*) FROM plots WHERE " + col + " IS NOT NULL"))
            << col;
        EXPECT_EQ(c.scalar_int("SELECT count(*) FROM plots p JOIN idx_plots_" + col + " i ON i.pkid = p.id WHERE i.xmin > MbrMinX(p." + col +
                               ") OR i.xmax < MbrMaxX(p." + col + ") OR i.ymin > MbrMinY(p." + col + ") OR i.ymax < MbrMaxY(p." + col + ")"),
                  0)
            << col;
        EXPECT_EQ(c.scalar_int("SELECT CheckSpatialIndex('plots', '" + col + "')"), 1) << col;
    }
}

TEST(schema, lean_geometry_checks_refuse_a_wrong_type_or_srid_on_insert_and_update) {
    plotmap::test::temp_dir dir;
    data::connection c((dir / "t.sqlite").string(), data::connection::mode::create);
    data::migrate(c);
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'gg%_plots_%' "
                           "AND sql LIKE '%geometry_columns%'"),
              0);
    int n = 0;
    const auto insert = [&](const std::string& pin, const std::string& boundary) {
        const std::string uid = "'u" + std::to_string(++n) + "'";
        c.exec("INSERT INTO plots (uid, code, program, created_at, updated_at, pin, boundary, location) VALUES (" + uid + ", " + uid +
               ", 'HLM', 'now', 'now', " + pin + ", " + boundary + ", MakePoint(100, 15, 4326))");
    };
    const std::string box = "CastToMultiPolygon(BuildMbr(100, 15, 100.001, 15.001, 4326))";
    EXPECT_THROW(insert("MakePoint(100, 15, 32647)", "NULL"), conflict);               // SRID
    EXPECT_THROW(insert("MakeLine(MakePoint(100, 15, 4326), MakePoint(100.1, 15, 4326))", "NULL"), conflict); // type
    EXPECT_THROW(insert("NULL", "BuildMbr(100, 15, 100.001, 15.001, 4326)"), conflict); // POLYGON, not MULTI
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM plots"), 0);
    insert("MakePoint(100, 15, 4326)", box);
    insert("NULL", "NULL");
    EXPECT_THROW(c.exec("UPDATE plots SET boundary = BuildMbr(100, 15, 100.001, 15.001, 4326)"), conflict);
    EXPECT_THROW(c.exec("UPDATE plots SET location = MakePoint(100, 15, 4267)"), conflict);
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM plots WHERE boundary IS NOT NULL"), 1);
}
