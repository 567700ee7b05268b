#include "tiles/mbtiles.hpp"

#include "geo/error.hpp"
#include "geo/files.hpp"
#include "tiles/tile_cache.hpp"

#include <sqlite3.h>

#include <cstdio>

namespace plotmap::tiles::mbtiles {

struct writer::statements {
    sqlite3_stmt* map = nullptr;
    sqlite3_stmt* image = nullptr;
    sqlite3_stmt* remove = nullptr;
    sqlite3_stmt* read = nullptr;
    ~statements() {
        sqlite3_finalize(read);
        sqlite3_finalize(map);
        sqlite3_finalize(image);
        sqlite3_finalize(remove);
    }
};

writer::writer(std::filesystem::path out, std::vector<std::pair<std::string, std::string>> metadata)
    : out_(std::move(out)), partial_(out_.string() + ".tmp"), metadata_(std::move(metadata)), st_(std::make_unique<statements>()) {
    std::error_code ignored;
    std::filesystem::remove(partial_, ignored); // a bake cut off before
    open_partial();
    exec("CREATE TABLE metadata (name TEXT, value TEXT);"
         "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id INTEGER);"
         "CREATE TABLE images (tile_id INTEGER PRIMARY KEY, tile_data BLOB);"
         "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
         " map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;"
         "BEGIN");
    prepare_statements();
}

writer::writer(std::filesystem::path out, for_update)
    : out_(std::move(out)), partial_(out_.string() + ".tmp"), st_(std::make_unique<statements>()), updating_(true) {
    std::filesystem::copy_file(out_, partial_, std::filesystem::copy_options::overwrite_existing);
    open_partial();
    sqlite3_stmt* st = nullptr;
    const bool ours = sqlite3_prepare_v2(db_, "SELECT coalesce(max(tile_id), 0) + 1 FROM images", -1, &st, nullptr) == SQLITE_OK &&
                      sqlite3_step(st) == SQLITE_ROW;
    if (ours) next_image_ = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (!ours) throw bad_request(out_.string() + " is not an MBTiles archive plotmap wrote (no images table)");
    exec("BEGIN");
    prepare_statements();
}

std::unique_ptr<writer> writer::update(std::filesystem::path out) {
    return std::unique_ptr<writer>(new writer(std::move(out), for_update{}));
}

std::map<std::string, std::string> writer::read_metadata(const std::filesystem::path& file) {
    sqlite3* db = nullptr;
    std::map<std::string, std::string> out;
    const bool opened = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK;
    sqlite3_stmt* st = nullptr;
    const bool readable = opened && sqlite3_prepare_v2(db, "SELECT name, value FROM metadata", -1, &st, nullptr) == SQLITE_OK;
    while (readable && sqlite3_step(st) == SQLITE_ROW) {
        const auto text = [&](int c) {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            return p ? std::string(p) : std::string();
        };
        out[text(0)] = text(1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (!readable) throw bad_request(file.string() + " is not an MBTiles archive (no metadata table)");
    return out;
}

void writer::open_partial() {
    if (sqlite3_open_v2(partial_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw error("cannot write " + partial_.string() + ": " + why);
    }
    // The file is not in place until finish() syncs and renames it: no journal needed.
    exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; PRAGMA application_id=0x4d504258");
}

void writer::prepare_statements() {
    if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO map VALUES (?, ?, ?, ?)", -1, &st_->map, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT INTO images VALUES (?, ?)", -1, &st_->image, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "DELETE FROM map WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", -1, &st_->remove,
                           nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_,
                           "SELECT images.tile_data FROM map JOIN images ON images.tile_id = map.tile_id"
                           " WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                           -1, &st_->read, nullptr) != SQLITE_OK) {
        throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    }
}

writer::~writer() {
    st_.reset();
    if (db_) sqlite3_close(db_);
    if (!finished_) {
        std::error_code ignored;
        std::filesystem::remove(partial_, ignored);
    }
}

void writer::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string why = message ? message : "unknown error";
        sqlite3_free(message);
        throw error("cannot write " + partial_.string() + ": " + why);
    }
}

void writer::step(sqlite3_stmt* st) {
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
}

void writer::add(const geo::tile_id& tile, std::string_view gzipped) {
    if (gzipped.empty()) throw bad_request("MBTiles tiles cannot be empty: leave them out");
    const auto key = tile_content_key(gzipped);
    auto found = stored_.find(key);
    if (found == stored_.end()) {
        const std::int64_t id = next_image_++;
        sqlite3_bind_int64(st_->image, 1, id);
        sqlite3_bind_blob64(st_->image, 2, gzipped.data(), gzipped.size(), SQLITE_STATIC);
        step(st_->image);
        found = stored_.emplace(key, id).first;
        ++contents_;
    }
    sqlite3_bind_int(st_->map, 1, tile.z);
    sqlite3_bind_int64(st_->map, 2, tile.x);
    sqlite3_bind_int64(st_->map, 3, static_cast<std::int64_t>(geo::tiles_per_axis(tile.z)) - 1 - tile.y); // TMS rows
    sqlite3_bind_int64(st_->map, 4, found->second);
    step(st_->map);
    ++added_;
}

std::string writer::tile(const geo::tile_id& tile) {
    sqlite3_bind_int(st_->read, 1, tile.z);
    sqlite3_bind_int64(st_->read, 2, tile.x);
    sqlite3_bind_int64(st_->read, 3, static_cast<std::int64_t>(geo::tiles_per_axis(tile.z)) - 1 - tile.y);
    std::string out;
    const int rc = sqlite3_step(st_->read);
    if (rc == SQLITE_ROW) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st_->read, 0));
        out.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st_->read, 0)));
    }
    sqlite3_reset(st_->read);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw error("cannot read " + partial_.string() + ": " + sqlite3_errmsg(db_));
    return out;
}

std::uint64_t writer::tiles_in_archive() {
    sqlite3_stmt* st = nullptr;
    std::uint64_t n = 0;
    if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM map", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        n = static_cast<std::uint64_t>(sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    return n;
}

void writer::remove(const geo::tile_id& tile) {
    sqlite3_bind_int(st_->remove, 1, tile.z);
    sqlite3_bind_int64(st_->remove, 2, tile.x);
    sqlite3_bind_int64(st_->remove, 3, static_cast<std::int64_t>(geo::tiles_per_axis(tile.z)) - 1 - tile.y);
    step(st_->remove);
}

void writer::set_metadata(const std::string& name, const std::string& value) {
    for (auto& row : metadata_) {
        if (row.first == name) {
            row.second = value;
            return;
        }
    }
    metadata_.emplace_back(name, value);
}

void writer::finish() {
    sqlite3_stmt* meta = nullptr;
    if (sqlite3_prepare_v2(db_, "INSERT INTO metadata VALUES (?, ?)", -1, &meta, nullptr) != SQLITE_OK) {
        throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_stmt* drop = nullptr;
    if (sqlite3_prepare_v2(db_, "DELETE FROM metadata WHERE name = ?", -1, &drop, nullptr) != SQLITE_OK) {
        sqlite3_finalize(meta);
        throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    }
    try {
        for (const auto& [name, value] : metadata_) {
            sqlite3_bind_text(drop, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
            step(drop);
            sqlite3_bind_text(meta, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
            sqlite3_bind_text(meta, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
            step(meta);
        }
    } catch (...) {
        sqlite3_finalize(meta);
        sqlite3_finalize(drop);
        throw;
    }
    sqlite3_finalize(meta);
    sqlite3_finalize(drop);
    if (updating_) {
        exec("DELETE FROM images WHERE tile_id NOT IN (SELECT tile_id FROM map); COMMIT");
    } else {
        exec("CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);"
             "CREATE UNIQUE INDEX name ON metadata (name);"
             "COMMIT");
    }
    st_.reset();
    if (sqlite3_close(db_) != SQLITE_OK) throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    db_ = nullptr;
    geo::publish_file(partial_, out_);
    finished_ = true;
}

} // namespace plotmap::tiles::mbtiles
