#include "data/database.hpp"
#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

TEST(sqlite, connection_sets_the_durability_pragmas) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    statement mode = conn.prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    EXPECT_EQ(conn.scalar_int("PRAGMA synchronous"), 2); // FULL
    EXPECT_EQ(conn.scalar_int("PRAGMA foreign_keys"), 1);
    // SpatiaLite is loaded on every connection.
    statement v = conn.prepare("SELECT spatialite_version()");
    ASSERT_TRUE(v.step());
    EXPECT_FALSE(v.text(0).empty());
}

TEST(sqlite, missing_file_is_a_clear_error_unless_creating) {
    test::temp_dir dir;
    const std::string path = (dir / "missing.sqlite").string();
    try {
        connection conn(path, connection::mode::read_write);
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot open database " + path + ": unable to open database file");
    }
}

TEST(sqlite, transaction_rolls_back_unless_committed) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE TABLE t (v INTEGER)");
    {
        transaction tx(conn);
        conn.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM t"), 0);
    {
        transaction tx(conn);
        conn.exec("INSERT INTO t VALUES (1)");
        tx.commit();
    }
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM t"), 1);
}

TEST(sqlite, statements_bind_and_read_every_type) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)");
    std::optional<std::string> none;
    conn.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        .bind(1, std::int64_t{1} << 40)
        .bind(2, 2.5)
        .bind(3, "ไทย")
        .bind_blob(4, std::string("\0\1\2", 3))
        .bind(5, none)
        .run();
    statement st = conn.prepare("SELECT i, r, s, b, n FROM t");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), std::int64_t{1} << 40);
    EXPECT_DOUBLE_EQ(st.real(1), 2.5);
    EXPECT_EQ(st.text(2), "ไทย");
    EXPECT_EQ(st.blob(3), std::string_view("\0\1\2", 3));
    EXPECT_TRUE(st.is_null(4));
    EXPECT_EQ(st.optional_text(4), std::nullopt);
    EXPECT_FALSE(st.step());
}

TEST(sqlite, errors_map_to_the_exception_types) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE TABLE t (v INTEGER UNIQUE)");
    conn.exec("INSERT INTO t VALUES (1)");
    EXPECT_THROW(conn.exec("INSERT INTO t VALUES (1)"), conflict);
    EXPECT_THROW((void)conn.prepare("SELEKT 1"), store_error);
}

TEST(sqlite, deferred_indexes_drop_the_secondary_ones_and_bring_them_back_as_they_were) {
    test::temp_dir dir;
    connection conn((dir / "a.sqlite").string(), connection::mode::create);
    conn.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, a TEXT, b INTEGER);"
              "CREATE INDEX t_a ON t(a); CREATE INDEX t_ab ON t(a, b) WHERE b > 0; CREATE UNIQUE INDEX t_b ON t(b);"
              "CREATE TABLE other (x); CREATE INDEX other_x ON other(x);");
    const auto indexes = [&] {
        std::string out;
        statement st = conn.prepare("SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name");
        while (st.step()) out += std::string(st.text(0)) + "\n";
        return out;
    };
    const std::string before = indexes();
    EXPECT_THROW(deferred_indexes(conn, {"t"}), error); // outside a transaction: refused
    {
        transaction tx(conn);
        deferred_indexes deferred(conn, {"t"});
        EXPECT_EQ(deferred.count(), 2U);
        const std::string during = indexes();
        EXPECT_EQ(during.find("t_a:"), std::string::npos) << during;
        EXPECT_EQ(during.find("t_ab:"), std::string::npos) << during;
        EXPECT_NE(during.find("t_b: CREATE UNIQUE INDEX"), std::string::npos) << during; // unique ones stay
        EXPECT_NE(during.find("other_x:"), std::string::npos) << during;                   // other tables' stay
        EXPECT_THROW(conn.exec("INSERT INTO t (code, a, b) VALUES ('x', 'a', 1), ('x', 'b', 2)"), error); // still unique
        conn.exec("INSERT INTO t (code, a, b) VALUES ('p', 'a', 1), ('q', 'b', 2)");
        deferred.restore();
        EXPECT_EQ(indexes(), before);
        tx.commit();
    }
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM t INDEXED BY t_ab WHERE a = 'b' AND b > 0"), 1);
    {
        transaction tx(conn);
        deferred_indexes deferred(conn, {"t"});
        conn.exec("INSERT INTO t (code, a, b) VALUES ('r', 'c', 3)");
    } // rolled back without restore(): the indexes come back with the rows
    EXPECT_EQ(indexes(), before);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM t"), 2);
    statement check = conn.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.text(0), "ok");
}
