#pragma once
// Baking a tileset into one archive (PMTiles v3 or MBTiles 1.3) for static hosting, a CDN or
// an offline download: the tiles the server would render, every zoom from the lowest down,
// on every core, in PMTiles tile-id order so the archive's data is clustered.

#include "geo/geometry.hpp"
#include "tiles/archive_source.hpp"
#include "tiles/tile_service.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace plotmap::tiles {

struct bake_request {
    const tileset* set = nullptr; ///< "plots" or "admin": a tileset with data from zoom 0
    int min_zoom = 0;
    int max_zoom = 14;
    geo::bbox area;               ///< lon/lat; tiles meeting it are baked
    std::string name;             ///< the archive's name and description (metadata)
    std::string description;
    unsigned threads = 0;         ///< 0: one per core
};

struct bake_progress {
    int zoom = 0;
    std::uint64_t rendered = 0;  ///< tiles rendered so far, every zoom
    std::uint64_t written = 0;   ///< of them not empty
    std::uint64_t estimate = 0;  ///< rendered + an estimate of those still to come
    double seconds = 0;
};

struct bake_summary {
    std::uint64_t rendered = 0;
    std::uint64_t written = 0;   ///< tiles in the archive
    std::uint64_t contents = 0;  ///< distinct tile contents stored
    std::uint64_t bytes = 0;     ///< the archive's size
    double seconds = 0;
};

/// Bakes `r` into `out` (written beside it and renamed into place). Empty tiles are left out,
/// and so is every tile under one with no data in reach; equal tiles are stored once. The
/// archive's metadata remembers the tileset, zooms, area and the newest plot history entry
/// (key "plotmap"), for update().
/// `progress` is called from the calling thread about every 1,000 tiles and at the end.
/// @throws bad_request for a tileset without data at zoom 0, zooms out of 0..max or inverted,
///         or an empty area.
bake_summary bake(tile_service& tiles, const bake_request& r, const std::filesystem::path& out,
                  const std::function<void(const bake_progress&)>& progress = {});

struct update_summary {
    std::int64_t history_entries = 0; ///< plot history entries since the archive was made
    std::int64_t plots = 0;           ///< plots they changed
    std::uint64_t rendered = 0;       ///< tiles drawn again (those the changes touch)
    std::uint64_t changed = 0;        ///< of them, tiles whose bytes differ from the archive's
    std::uint64_t tiles = 0;          ///< tiles in the archive afterwards
    std::uint64_t bytes = 0;
    double seconds = 0;
};

/// Brings an archive bake() made up to date: draws again only the tiles that the plots changed
/// since (from the plot history) touch, at the archive's zooms and within its area, and writes
/// the archive anew beside it and renames it into place. The result equals a fresh bake.
/// @throws bad_request if `archive` was not made by bake() or is newer than the database's
///         history (another database, or one restored from an older backup).
update_summary update(tile_service& tiles, const std::filesystem::path& archive, unsigned threads = 0);

/// A district pack: the plots tileset over an admin area (a province, district or subdistrict
/// code) at zooms 0 to tiles.packs_max_zoom, as one PMTiles archive in tiles.packs_dir, for an
/// offline download. Made at the first call, brought up to date from the plot history at the
/// later ones (remade when it cannot be), one pack at a time.
/// @returns the archive's path. @throws not_found for an area that does not exist.
[[nodiscard]] std::filesystem::path district_pack(tile_service& tiles, const std::string& code);

} // namespace plotmap::tiles
