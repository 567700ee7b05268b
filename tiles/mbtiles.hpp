#pragma once
// MBTiles 1.3 archives (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md): an
// SQLite file of gzipped MVT tiles with rows in the TMS scheme (y = 0 at the south) and a
// metadata table whose "json" row holds the TileJSON vector_layers. Identical tiles are stored
// once (tables map and images, with the spec's `tiles` as a view over them).

#include "geo/tile_math.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace plotmap::tiles::mbtiles {

/// Writes an archive beside `out` and renames it into place in finish(), so a reader never
/// sees half an archive and a failed bake leaves the old one.
class writer {
public:
    /// `metadata`: name/value rows (name, format, bounds, center, minzoom, maxzoom, json...).
    writer(std::filesystem::path out, std::vector<std::pair<std::string, std::string>> metadata);
    ~writer();
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    /// Opens a copy of the archive `out` (one plotmap wrote) beside it to change: tiles
    /// replaced or removed, metadata rows set; finish() moves the copy into place.
    /// @throws bad_request if `out` is not such an archive.
    [[nodiscard]] static std::unique_ptr<writer> update(std::filesystem::path out);

    /// The metadata rows of an archive. @throws bad_request if `file` is not an MBTiles file.
    [[nodiscard]] static std::map<std::string, std::string> read_metadata(const std::filesystem::path& file);

    /// Adds (or in an update replaces) a tile's gzipped MVT bytes (XYZ address; stored as TMS).
    /// @throws error on a write failure.
    void add(const geo::tile_id& tile, std::string_view gzipped);
    /// The stored bytes of a tile ("" when the archive has none).
    [[nodiscard]] std::string tile(const geo::tile_id& tile);
    /// Tiles in the archive now.
    [[nodiscard]] std::uint64_t tiles_in_archive();
    /// In an update: removes a tile if the archive has it.
    void remove(const geo::tile_id& tile);
    /// Sets a metadata row (replacing one of the same name).
    void set_metadata(const std::string& name, const std::string& value);
    /// Builds the indexes, writes the metadata and moves the file into place.
    void finish();

    [[nodiscard]] std::uint64_t tiles_added() const noexcept { return added_; }
    [[nodiscard]] std::uint64_t contents() const noexcept { return contents_; }

private:
    struct for_update {};
    writer(std::filesystem::path out, for_update);
    void open_partial();
    void prepare_statements();
    void exec(const char* sql);
    void step(sqlite3_stmt* st);

    std::filesystem::path out_;
    std::filesystem::path partial_;
    std::vector<std::pair<std::string, std::string>> metadata_;
    sqlite3* db_ = nullptr;
    struct statements;
    std::unique_ptr<statements> st_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> stored_; ///< content hashes -> image id
    std::uint64_t added_ = 0;
    std::uint64_t contents_ = 0;
    std::int64_t next_image_ = 1;
    bool updating_ = false;
    bool finished_ = false;
};

} // namespace plotmap::tiles::mbtiles
