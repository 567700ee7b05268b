#include "data/backup.hpp"

#include "data/clock.hpp"
#include "data/database_copy.hpp"
#include "data/photos.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "data/postgis/driver.hpp"
#include "data/sqlite/driver.hpp"
#include "geo/error.hpp"
#include "geo/files.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace plotmap::data {
namespace {

/// Copies every page of `from` into `to` in one step, so the copy is one snapshot.
void copy_pages(connection& from, connection& to, const std::string& what) {
    sqlite3_backup* b = sqlite3_backup_init(sqlite::handle(to), "main", sqlite::handle(from), "main");
    if (b == nullptr) sqlite::fail(to, sqlite3_errcode(sqlite::handle(to)), what);
    const int step = sqlite3_backup_step(b, -1);
    const int finish = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) sqlite::fail(to, step, what);
    if (finish != SQLITE_OK) sqlite::fail(to, finish, what);
}

/// An SQL identifier in double quotes.
std::string sql_name(std::string_view name) {
    std::string out = "\"";
    for (const char ch : name) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

bool has_table(connection& c, const std::string& name) {
    statement st = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    st.bind(1, name);
    return st.step();
}

} // namespace

std::string file_stamp() {
    std::string stamp = now_utc().substr(0, 19) + "Z"; // 2026-11-30T12:06:20Z, without fractions
    stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == ':' || c == '-'; }), stamp.end());
    return stamp;
}

std::filesystem::path backup_photo_dir(const std::filesystem::path& backup) { return default_photo_dir(backup); }

namespace {

/// The file names (relative to a photo folder) of every photo row in `c`.
std::vector<std::filesystem::path> photo_files(connection& c) {
    std::vector<std::filesystem::path> out;
    if (!has_table(c, "photos") || schema_version(c) < 8) return out;
    statement st = c.prepare("SELECT DISTINCT sha256, media_type FROM photos ORDER BY sha256");
    while (st.step()) {
        const std::string sha(st.text(0));
        const std::filesystem::path folder = sha.substr(0, 2);
        out.push_back(folder / sha);
        out.push_back(folder / (sha + "-original" + (st.text(1) == "image/png" ? ".png" : ".jpg")));
        out.push_back(folder / (sha + "-display.jpg"));
        out.push_back(folder / (sha + "-thumbnail.jpg"));
    }
    return out;
}

/// Copies each of `files` from folder `from` to folder `to` unless it is there already.
void copy_photo_files(const std::vector<std::filesystem::path>& files, const std::filesystem::path& from, const std::filesystem::path& to) {
    for (const auto& f : files) {
        const std::filesystem::path target = to / f;
        if (std::filesystem::exists(target)) continue;
        std::filesystem::create_directories(target.parent_path());
        const std::filesystem::path partial = target.string() + ".partial";
        std::filesystem::copy_file(from / f, partial, std::filesystem::copy_options::overwrite_existing);
        geo::publish_file(partial, target);
    }
}

} // namespace

backup_summary verify_backup(const std::filesystem::path& file, bool with_photos) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw store_error("backup " + file.string() + " is not a file");
    connection c(file.string(), connection::mode::read_only);
    {
        statement st = c.prepare("PRAGMA integrity_check");
        std::string problems;
        while (st.step()) {
            const std::string line = std::string(st.text(0));
            if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
        }
        if (!problems.empty()) throw store_error("backup " + file.string() + " is damaged: " + problems.substr(0, 400));
    }
    if (!has_table(c, "plots")) throw store_error("backup " + file.string() + " is not a plotmap database (no plots table)");
    backup_summary s;
    s.schema_version = schema_version(c);
    if (s.schema_version < 1 || s.schema_version > latest_schema_version()) {
        throw store_error("backup " + file.string() + " has schema version " + std::to_string(s.schema_version) +
                          "; this plotmap knows 1 to " + std::to_string(latest_schema_version()));
    }
    // Every spatial index (an R*Tree per geometry column) is sound and matches its table:
    // SQLite's rtreecheck, one entry per geometry, each entry the geometry's box (R*Tree
    // boxes are 32-bit floats, rounded outwards). Read-only, unlike SpatiaLite's
    // CheckSpatialIndex, so a backup is checked without being changed.
    statement idx = c.prepare("SELECT f_table_name, f_geometry_column FROM geometry_columns WHERE spatial_index_enabled = 1");
    while (idx.step()) {
        const std::string table = sql_name(idx.text(0));
        const std::string column = sql_name(idx.text(1));
        const std::string rtree = sql_name("idx_" + std::string(idx.text(0)) + "_" + std::string(idx.text(1)));
        const std::string where = "the spatial index of " + std::string(idx.text(0)) + "." + std::string(idx.text(1));
        statement check = c.prepare("SELECT rtreecheck(?)");
        check.bind(1, "idx_" + std::string(idx.text(0)) + "_" + std::string(idx.text(1)));
        if (!check.step() || check.text(0) != "ok") {
            throw store_error("backup " + file.string() + ": " + where + " is damaged: " + std::string(check.text(0)).substr(0, 200));
        }
        const std::int64_t entries = c.scalar_int("SELECT count(*) FROM " + rtree);
        const std::int64_t geometries = c.scalar_int("SELECT count(*) FROM " + table + " WHERE " + column + " IS NOT NULL");
        const std::int64_t off = c.scalar_int(
            "SELECT count(*) FROM " + table + " t JOIN " + rtree + " i ON i.pkid = t.rowid WHERE t." + column +
            " IS NOT NULL AND (abs(i.xmin - MbrMinX(t." + column + ")) > 1e-4 OR abs(i.xmax - MbrMaxX(t." + column +
            ")) > 1e-4 OR abs(i.ymin - MbrMinY(t." + column + ")) > 1e-4 OR abs(i.ymax - MbrMaxY(t." + column + ")) > 1e-4)");
        if (entries != geometries || off != 0) {
            throw store_error("backup " + file.string() + ": " + where + " has " + std::to_string(entries) + " entries for " +
                              std::to_string(geometries) + " geometries, " + std::to_string(off) + " of them with the wrong box");
        }
    }
    s.bytes = static_cast<std::int64_t>(std::filesystem::file_size(file));
    s.plots = c.scalar_int("SELECT count(*) FROM plots");
    if (has_table(c, "plot_history")) s.history = c.scalar_int("SELECT count(*) FROM plot_history");
    if (has_table(c, "users")) s.users = c.scalar_int("SELECT count(*) FROM users");
    if (has_table(c, "photos")) s.photos = c.scalar_int("SELECT count(*) FROM photos");
    if (with_photos) {
        const std::filesystem::path dir = backup_photo_dir(file);
        for (const auto& f : photo_files(c)) {
            std::error_code missing;
            const auto size = std::filesystem::file_size(dir / f, missing);
            if (missing) throw store_error("backup " + file.string() + " names photo file " + f.string() + ", missing from " + dir.string());
            ++s.photo_files;
            s.photo_bytes += static_cast<std::int64_t>(size);
        }
    }
    return s;
}

backup_summary backup_database(const std::string& source, const std::filesystem::path& out,
                               const std::optional<std::filesystem::path>& photos) {
    std::error_code ec;
    if (std::filesystem::exists(out, ec)) throw store_error("backup target " + out.string() + " exists already; name a new file");
    if (photos && std::filesystem::exists(backup_photo_dir(out), ec)) {
        throw store_error("backup photo folder " + backup_photo_dir(out).string() + " exists already; name a new file");
    }
    try {
        // From PostgreSQL the same kind of file: its rows copied from one snapshot.
        if (is_postgresql_url(source)) (void)copy_database(source, out.string());
        {
            connection to(out.string(), connection::mode::create);
            if (!is_postgresql_url(source)) {
                connection from(source, connection::mode::read_only);
                copy_pages(from, to, "backing up " + source + " to " + out.string());
            }
            to.exec("PRAGMA journal_mode=DELETE"); // one self-contained file, no -wal beside it
            // The snapshot's photos, whose files were on disk before their rows committed.
            if (photos) copy_photo_files(photo_files(to), *photos, backup_photo_dir(out));
        }
        return verify_backup(out, photos.has_value());
    } catch (const std::filesystem::filesystem_error& e) {
        std::filesystem::remove(out, ec);
        if (photos) std::filesystem::remove_all(backup_photo_dir(out), ec);
        throw store_error(std::string("cannot copy the photos: ") + e.what());
    } catch (...) {
        std::filesystem::remove(out, ec);
        std::filesystem::remove(out.string() + "-wal", ec);
        std::filesystem::remove(out.string() + "-shm", ec);
        if (photos) std::filesystem::remove_all(backup_photo_dir(out), ec);
        throw;
    }
}

backup_summary restore_database(const std::filesystem::path& from, const std::string& target, std::filesystem::path& kept,
                                const std::optional<std::filesystem::path>& photos) {
    if (is_postgresql_url(target)) {
        throw store_error("restore writes SQLite files; to put a backup into the PostgreSQL database " + postgis::redact_password(target) +
                          " use the migrate command (--from " + from.string() + " --to the URL) while it is empty");
    }
    const bool with_photos = photos && std::filesystem::exists(backup_photo_dir(from));
    (void)verify_backup(from, with_photos); // a bad backup is refused before anything changes
    std::error_code ec;
    kept.clear();
    if (std::filesystem::exists(target, ec)) {
        kept = target + ".before-restore-" + file_stamp();
        (void)backup_database(target, kept);
    }
    if (with_photos) {
        connection source(from.string(), connection::mode::read_only);
        copy_photo_files(photo_files(source), backup_photo_dir(from), *photos);
    }
    connection source(from.string(), connection::mode::read_only);
    connection to(target, connection::mode::create);
    copy_pages(source, to, "restoring " + from.string() + " into " + target);
    to.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return verify_backup(target);
}

} // namespace plotmap::data
