#pragma once
// A baked archive (PMTiles v3 or MBTiles 1.3, as `plotmap tiles` writes them) served as a
// tileset: tiles by address, the facts TileJSON needs, and the file's identity for the
// server's ETags. An archive replaced on disk (a new bake renamed into place) is reopened at
// the next read.

#include "geo/geometry.hpp"
#include "geo/tile_math.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace plotmap::tiles {

enum class archive_format { pmtiles, mbtiles };

/// The archive format a file name asks for (.pmtiles or .mbtiles).
/// @throws bad_request for any other extension.
[[nodiscard]] archive_format archive_format_of(const std::filesystem::path& file);

/// What identifies one version of a file: a new bake renamed into place changes it.
struct file_identity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t modified_ns = 0;
    friend bool operator==(const file_identity&, const file_identity&) = default;
};
/// @throws error if the file cannot be examined.
[[nodiscard]] file_identity identity_of(const std::filesystem::path& file);

class archive_source {
public:
    /// Opens `file`. @throws bad_request if it is not a readable archive; error if unreadable.
    explicit archive_source(std::filesystem::path file);
    ~archive_source();
    archive_source(const archive_source&) = delete;
    archive_source& operator=(const archive_source&) = delete;

    /// The tileset name: the file name without its extension.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
    [[nodiscard]] archive_format format() const noexcept { return format_; }

    /// A tile's bytes as stored (gzipped MVT), or "" when the archive has no such tile.
    [[nodiscard]] std::string tile(const geo::tile_id& t);

    /// What TileJSON says of the archive: name, description, attribution, vector_layers,
    /// minzoom, maxzoom, bounds and center, from its header and metadata.
    [[nodiscard]] nlohmann::json facts();

private:
    struct opened;
    /// The archive as it is on disk now (reopened if it was replaced). Caller holds mutex_.
    opened& current();

    std::filesystem::path file_;
    std::string name_;
    archive_format format_;
    std::mutex mutex_;
    std::unique_ptr<opened> open_;
};

} // namespace plotmap::tiles
