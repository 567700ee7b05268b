#include "data/backup.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::data;

namespace {

std::string message_of(const std::filesystem::path& file) {
    try {
        (void)verify_backup(file);
    } catch (const store_error& e) {
        return e.what();
    }
    return "accepted";
}

} // namespace

TEST(backup, copies_verify_and_count_what_they_hold) {
    // From PostgreSQL too: the same SQLite file, made by copying the rows.
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 30).string();
    const backup_summary b = backup_database(db, dir / "copy.sqlite");
    EXPECT_EQ(b.plots, 30);
    EXPECT_EQ(b.history, 33); // a creation each, and the submissions of the three plots (of 30) the demo leaves for review
    EXPECT_EQ(b.users, 1);
    EXPECT_EQ(b.schema_version, latest_schema_version());
    EXPECT_FALSE(std::filesystem::exists(dir / "copy.sqlite-wal")); // one self-contained file
    EXPECT_THROW((void)backup_database(db, dir / "copy.sqlite"), store_error);
}

TEST(backup, a_spatial_index_that_does_not_match_its_table_is_refused) {
    PLOTMAP_SQLITE_ONLY("a backup is a copy of the SQLite file");
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 10).string();
    const std::filesystem::path copy = dir / "copy.sqlite";
    (void)backup_database(db, copy);
    {
        connection c(copy.string(), connection::mode::read_write);
        c.exec("DELETE FROM idx_plots_location WHERE pkid = (SELECT min(id) FROM plots)");
    }
    EXPECT_EQ(message_of(copy), "backup " + copy.string() +
                                    ": the spatial index of plots.location has 9 entries for 10 geometries, 0 of them with the wrong box");
    {
        connection c(copy.string(), connection::mode::read_write);
        c.exec("INSERT INTO idx_plots_location (pkid, xmin, xmax, ymin, ymax) SELECT min(id), 0, 1, 0, 1 FROM plots");
    }
    EXPECT_EQ(message_of(copy), "backup " + copy.string() +
                                    ": the spatial index of plots.location has 10 entries for 10 geometries, 1 of them with the wrong box");
}

TEST(backup, files_that_are_not_plotmap_databases_are_refused) {
    PLOTMAP_SQLITE_ONLY("a backup is a copy of the SQLite file");
    test::temp_dir dir;
    EXPECT_EQ(message_of(dir / "none.sqlite"), "backup " + (dir / "none.sqlite").string() + " is not a file");
    {
        connection c((dir / "other.sqlite").string(), connection::mode::create);
        c.exec("CREATE TABLE t (x)");
    }
    EXPECT_EQ(message_of(dir / "other.sqlite"), "backup " + (dir / "other.sqlite").string() + " is not a plotmap database (no plots table)");
}

TEST(backup, restore_keeps_the_database_it_replaces) {
    PLOTMAP_SQLITE_ONLY("a backup is a copy of the SQLite file");
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 12).string();
    const std::filesystem::path copy = dir / "copy.sqlite";
    (void)backup_database(db, copy);
    const std::string target = test::demo_database(dir, 3, "target.sqlite").string();
    std::filesystem::path kept;
    const backup_summary r = restore_database(copy, target, kept);
    EXPECT_EQ(r.plots, 12);
    ASSERT_FALSE(kept.empty());
    EXPECT_EQ(verify_backup(kept).plots, 3);
}
