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

    /// Adds a tile's gzipped MVT bytes (XYZ address; stored as TMS). @throws error on a write failure.
    void add(const geo::tile_id& tile, std::string_view gzipped);
    /// Builds the indexes, writes the metadata and moves the file into place.
    void finish();

    [[nodiscard]] std::uint64_t tiles_added() const noexcept { return added_; }
    [[nodiscard]] std::uint64_t contents() const noexcept { return contents_; }

private:
    void exec(const char* sql);

    std::filesystem::path out_;
    std::filesystem::path partial_;
    std::vector<std::pair<std::string, std::string>> metadata_;
    sqlite3* db_ = nullptr;
    struct statements;
    std::unique_ptr<statements> st_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> stored_; ///< content hashes -> image id
    std::uint64_t added_ = 0;
    std::uint64_t contents_ = 0;
    bool finished_ = false;
};

} // namespace plotmap::tiles::mbtiles
