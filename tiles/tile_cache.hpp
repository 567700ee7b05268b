#pragma once
// Encoded tiles kept in memory, least recently used first out, bounded by bytes. Thread-safe.
// Invalidation is by area: an edit evicts every cached tile, at every zoom, whose extent
// (with the buffer) meets the edited geometry's old or new box.

#include "geo/geometry.hpp"
#include "geo/tile_math.hpp"

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <set>
#include <tuple>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>

namespace plotmap::tiles {

/// One cached tile: its identity plus both encodings.
struct cached_tile {
    std::string raw;     ///< MVT bytes (empty for an empty tile)
    std::string gzipped; ///< the same, gzip-compressed (empty until a client asks for gzip)
    std::string etag;    ///< strong validator of the raw bytes
    std::string reduced; ///< what was dropped to keep the tile under the size limit ("" if nothing)
};

struct tile_key {
    std::string tileset;   ///< e.g. "plots", or "collection:pins"
    std::string audience;  ///< who the tile was made for (public, or a scope): no leaks across
    geo::tile_id tile;
    friend bool operator==(const tile_key&, const tile_key&) = default;
};

struct tile_key_hash {
    std::size_t operator()(const tile_key& k) const noexcept;
};

struct cache_stats {
    std::size_t bytes = 0;
    std::size_t entries = 0;
    unsigned long long hits = 0;
    unsigned long long misses = 0;
    unsigned long long evictions = 0;
    unsigned long long invalidations = 0;
};

class tile_cache {
public:
    /// @param max_bytes 0 disables caching (every lookup misses).
    explicit tile_cache(std::size_t max_bytes);

    [[nodiscard]] std::shared_ptr<const cached_tile> find(const tile_key& key);
    void put(const tile_key& key, std::shared_ptr<const cached_tile> tile);

    /// Drops every cached tile of `tileset` (every audience) whose buffered extent meets
    /// `lonlat_box`. `buffer_share` is the buffer as a share of the tile's width.
    void invalidate(const std::string& tileset, const geo::bbox& lonlat_box, double buffer_share);
    void clear();

    [[nodiscard]] cache_stats stats() const;
    [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

private:
    struct entry {
        tile_key key;
        std::shared_ptr<const cached_tile> tile;
        std::size_t bytes;
    };
    void erase(std::list<entry>::iterator it);

    std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::list<entry> lru_; ///< front = most recently used
    std::unordered_map<tile_key, std::list<entry>::iterator, tile_key_hash> index_;
    /// (tileset, zoom) -> (x, y, audience) of cached tiles, ordered so that invalidation
    /// visits only the columns and rows an edit touches, not every cached tile.
    std::map<std::pair<std::string, int>, std::set<std::tuple<std::uint32_t, std::uint32_t, std::string>>> grid_;
    cache_stats stats_;
};

/// gzip (RFC 1952) of `data`.
[[nodiscard]] std::string gzip(const std::string& data);
/// What a gzip stream holds. @throws bad_request if `in` is not one whole stream or holds
///         more than `max_bytes`.
[[nodiscard]] std::string gunzip(std::string_view in, std::size_t max_bytes);

/// Two independent 64-bit hashes of a tile's bytes: archives store tiles with equal keys once
/// (a false match is about 2^-128 per pair).
[[nodiscard]] std::pair<std::uint64_t, std::uint64_t> tile_content_key(std::string_view bytes);

/// A strong ETag for tile bytes: a 64-bit hash and the length, quoted.
[[nodiscard]] std::string tile_etag(const std::string& bytes);

} // namespace plotmap::tiles
