#pragma once
// PMTiles version 3 archives (the Protomaps format for static and CDN hosting): tile ids on
// Hilbert curves, the header, directories (varints in columns, gzip), and a writer that stores
// identical tiles once, runs of them as one entry, and clusters the data by tile id.

#include "geo/tile_math.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plotmap::tiles::pmtiles {

/// A tile's position in an archive: every tile of the lower zooms first, then the tile's
/// index along the Hilbert curve of its zoom. @pre t.z <= 26 (the id fits 64 bits there).
[[nodiscard]] std::uint64_t tile_id_of(const geo::tile_id& t);
/// The tile at an id. @throws bad_request for an id beyond zoom 26.
[[nodiscard]] geo::tile_id tile_of(std::uint64_t id);

/// One directory entry: a run of `run_length` tiles from `tile_id` on, all with the bytes at
/// `offset` (from the start of the tile data) and `length`; run_length 0 points at a leaf
/// directory instead (offset from the start of the leaf directories).
struct entry {
    std::uint64_t tile_id = 0;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t run_length = 0;
    friend bool operator==(const entry&, const entry&) = default;
};

/// A directory's bytes before compression: the count, then tile ids (as deltas), run
/// lengths, lengths and offsets (0 when a tile follows the previous one), each a varint.
[[nodiscard]] std::string encode_directory(const std::vector<entry>& entries);
/// @throws bad_request naming what is malformed.
[[nodiscard]] std::vector<entry> decode_directory(std::string_view bytes);

enum class compression : std::uint8_t { unknown = 0, none = 1, gzip = 2, brotli = 3, zstd = 4 };
enum class tile_type : std::uint8_t { unknown = 0, mvt = 1, png = 2, jpeg = 3, webp = 4, avif = 5 };

/// The fixed 127-byte header.
struct header {
    std::uint64_t root_offset = 0, root_length = 0;
    std::uint64_t metadata_offset = 0, metadata_length = 0;
    std::uint64_t leaves_offset = 0, leaves_length = 0;
    std::uint64_t data_offset = 0, data_length = 0;
    std::uint64_t addressed_tiles = 0, tile_entries = 0, tile_contents = 0;
    bool clustered = false;
    compression internal = compression::gzip;
    compression tiles = compression::gzip;
    tile_type type = tile_type::mvt;
    int min_zoom = 0, max_zoom = 0;
    double min_lon = -180, min_lat = -85.0511287, max_lon = 180, max_lat = 85.0511287;
    int center_zoom = 0;
    double center_lon = 0, center_lat = 0;
};

inline constexpr std::size_t header_size = 127;
/// Header and root directory together: what a client reads first, in one request.
inline constexpr std::size_t first_read_size = 16384;

[[nodiscard]] std::string encode_header(const header& h);
/// @throws bad_request if `bytes` is not a PMTiles v3 header.
[[nodiscard]] header decode_header(std::string_view bytes);

/// An archive's directories, gzipped: the root alone when it fits the first read with the
/// header, else leaf directories of growing size and a root of pointers to them.
struct directories {
    std::string root;
    std::string leaves;
};
[[nodiscard]] directories build_directories(const std::vector<entry>& entries);

/// Writes an archive. Tiles come in increasing tile id (the caller renders in that order,
/// which clusters the data); a tile whose bytes equal an earlier one's is stored once, and a
/// run of equal tiles with consecutive ids is one entry. The tile data goes to a temporary
/// file beside the archive; finish() writes the archive next to it and renames it into
/// place, so a reader never sees half an archive and a failed bake leaves the old one.
class writer {
public:
    /// `bounds` etc. go into the header; `metadata` is the JSON (TileJSON's vector_layers...).
    writer(std::filesystem::path out, header h, std::string metadata);
    ~writer();
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    /// Adds a tile's bytes, already compressed as the header says. Empty tiles are left out
    /// by the caller. @throws bad_request if ids do not increase.
    void add(std::uint64_t tile_id, std::string_view bytes);
    /// Writes the archive. @returns its header.
    header finish();

    [[nodiscard]] std::uint64_t tiles_added() const noexcept { return addressed_; }

private:
    std::filesystem::path out_;
    std::filesystem::path data_path_;
    std::ofstream data_;
    header header_;
    std::string metadata_;
    std::vector<entry> entries_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<std::uint64_t, std::uint32_t>> stored_; ///< content hashes -> bytes
    std::uint64_t data_length_ = 0;
    std::uint64_t addressed_ = 0;
    std::uint64_t contents_ = 0;
    bool finished_ = false;
};

/// An archive opened for reading (an update reads the one it replaces): its header, metadata
/// and every tile entry, leaf directories included, in tile-id order.
class reader {
public:
    /// @throws bad_request if the file is not a PMTiles v3 archive plotmap can read (gzip or
    ///         uncompressed directories); error if it cannot be read.
    explicit reader(const std::filesystem::path& file);
    ~reader();
    reader(const reader&) = delete;
    reader& operator=(const reader&) = delete;

    [[nodiscard]] const header& head() const noexcept { return header_; }
    /// The metadata JSON text, uncompressed.
    [[nodiscard]] const std::string& metadata() const noexcept { return metadata_; }
    /// Tile entries (run_length >= 1), offsets from the start of the tile data.
    [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
    /// A tile's bytes as stored (compressed as head().tiles says).
    [[nodiscard]] std::string bytes_of(const entry& e) const;
    /// The stored bytes of the tile with this id ("" when the archive has none).
    [[nodiscard]] std::string bytes_of(std::uint64_t tile_id) const;
    /// Copies the whole tile data section to `fd` at its current position, in the kernel.
    void copy_data_to(int fd, const std::filesystem::path& to) const;

private:
    [[nodiscard]] std::string read_at(std::uint64_t offset, std::uint64_t length) const;
    [[nodiscard]] std::string unpack(std::string bytes) const;
    void read_directory(std::uint64_t offset, std::uint64_t length, int depth);

    std::filesystem::path path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    header header_;
    std::string metadata_;
    std::vector<entry> entries_;
};

/// Writes `out` as the archive `old` with some tiles replaced, without copying it tile by
/// tile: the old tile data is copied as one block, the new tiles (`changes`: tile id -> bytes,
/// ids increasing, "" removes the tile) appended after it with equal ones stored once, and
/// the directories made anew with `metadata`. The result is no longer clustered and keeps
/// the bytes of replaced tiles; when those would pass a quarter of the tile data nothing is
/// written and nullopt returned (rewrite the archive whole instead). Written beside `out`
/// and renamed into place. @returns the new header.
[[nodiscard]] std::optional<header> patch(const reader& old, const std::filesystem::path& out,
                                          const std::vector<std::pair<std::uint64_t, std::string>>& changes, const std::string& metadata);

} // namespace plotmap::tiles::pmtiles
