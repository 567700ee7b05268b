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
    ~statements() {
        sqlite3_finalize(map);
        sqlite3_finalize(image);
    }
};

writer::writer(std::filesystem::path out, std::vector<std::pair<std::string, std::string>> metadata)
    : out_(std::move(out)), partial_(out_.string() + ".tmp"), metadata_(std::move(metadata)), st_(std::make_unique<statements>()) {
    std::error_code ignored;
    std::filesystem::remove(partial_, ignored); // a bake cut off before
    if (sqlite3_open_v2(partial_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw error("cannot write " + partial_.string() + ": " + why);
    }
    // The file is not in place until finish() syncs and renames it: no journal needed.
    exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; PRAGMA application_id=0x4d504258;"
         "CREATE TABLE metadata (name TEXT, value TEXT);"
         "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id INTEGER);"
         "CREATE TABLE images (tile_id INTEGER PRIMARY KEY, tile_data BLOB);"
         "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
         " map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;"
         "BEGIN");
    if (sqlite3_prepare_v2(db_, "INSERT INTO map VALUES (?, ?, ?, ?)", -1, &st_->map, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v2(db_, "INSERT INTO images VALUES (?, ?)", -1, &st_->image, nullptr) != SQLITE_OK) {
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

void writer::add(const geo::tile_id& tile, std::string_view gzipped) {
    if (gzipped.empty()) throw bad_request("MBTiles tiles cannot be empty: leave them out");
    const auto key = tile_content_key(gzipped);
    auto found = stored_.find(key);
    if (found == stored_.end()) {
        const auto id = static_cast<std::int64_t>(stored_.size() + 1);
        sqlite3_bind_int64(st_->image, 1, id);
        sqlite3_bind_blob64(st_->image, 2, gzipped.data(), gzipped.size(), SQLITE_STATIC);
        const int rc = sqlite3_step(st_->image);
        sqlite3_reset(st_->image);
        if (rc != SQLITE_DONE) throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
        found = stored_.emplace(key, id).first;
        ++contents_;
    }
    sqlite3_bind_int(st_->map, 1, tile.z);
    sqlite3_bind_int64(st_->map, 2, tile.x);
    sqlite3_bind_int64(st_->map, 3, static_cast<std::int64_t>(geo::tiles_per_axis(tile.z)) - 1 - tile.y); // TMS rows
    sqlite3_bind_int64(st_->map, 4, found->second);
    const int rc = sqlite3_step(st_->map);
    sqlite3_reset(st_->map);
    if (rc != SQLITE_DONE) throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    ++added_;
}

void writer::finish() {
    sqlite3_stmt* meta = nullptr;
    if (sqlite3_prepare_v2(db_, "INSERT INTO metadata VALUES (?, ?)", -1, &meta, nullptr) != SQLITE_OK) {
        throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    }
    for (const auto& [name, value] : metadata_) {
        sqlite3_bind_text(meta, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
        sqlite3_bind_text(meta, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(meta);
        sqlite3_reset(meta);
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(meta);
            throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
        }
    }
    sqlite3_finalize(meta);
    exec("CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);"
         "CREATE UNIQUE INDEX name ON metadata (name);"
         "COMMIT");
    st_.reset();
    if (sqlite3_close(db_) != SQLITE_OK) throw error("cannot write " + partial_.string() + ": " + sqlite3_errmsg(db_));
    db_ = nullptr;
    geo::publish_file(partial_, out_);
    finished_ = true;
}

} // namespace plotmap::tiles::mbtiles
