#pragma once
// Vector tiles of the registry: which layers a tileset has at which zoom, what each feature
// carries, and the cache in front of it all: the server and `plotmap tiles` share it. Reads
// through data/, encodes through the tiles library (plotmap_tiles) beside it.
// Blocking (database): call from worker threads.

#include "config/config.hpp"
#include "data/store.hpp"
#include "geo/tile_math.hpp"
#include "tiles/archive_source.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/tile_cache.hpp"
#include "tiles/tilesets.hpp"

#include <map>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::tiles {

class tile_service {
public:
    tile_service(data::store& store, config::tile_settings settings, std::vector<std::string> stages);

    /// The tile, from the cache or freshly made. `raw` is empty for an empty tile;
    /// `gzipped` is filled when `want_gzip` (compressed once, then cached with the tile).
    [[nodiscard]] std::shared_ptr<const tiles::cached_tile> get(const tiles::tileset& ts, const geo::tile_id& tile,
                                                                const std::string& audience, bool want_gzip);

    /// The tile if it is cached with what the client needs (never blocks on the database),
    /// else null.
    [[nodiscard]] std::shared_ptr<const tiles::cached_tile> cached(const tiles::tileset& ts, const geo::tile_id& tile,
                                                                   const std::string& audience, bool want_gzip) {
        auto hit = cache_.find({ts.name, audience, tile});
        if (hit && want_gzip && hit->gzipped.empty() && !hit->raw.empty()) return nullptr;
        return hit;
    }

    /// Evicts every cached plot tile that shows anything inside `lonlat`, at every zoom.
    void plots_changed(const geo::bbox& lonlat);

    /// The lon/lat box of the plots (for TileJSON bounds), cached until plots change.
    [[nodiscard]] geo::bbox plots_bounds();

    [[nodiscard]] tiles::cache_stats cache_stats() const { return cache_.stats(); }
    [[nodiscard]] const config::tile_settings& settings() const noexcept { return settings_; }
    [[nodiscard]] data::store& store() noexcept { return store_; }
    [[nodiscard]] tiles::zoom_rules zooms() const noexcept {
        return {settings_.plots_min_zoom, settings_.cluster_below_zoom, settings_.max_zoom};
    }
    [[nodiscard]] const std::vector<std::string>& stages() const noexcept { return stages_; }

    /// The glyph PBF for a font stack and a range like "3584-3839" (Thai is 0E00-0E7F).
    /// @throws not_found for another font stack, a malformed range, or when no label font
    ///         could be loaded.
    [[nodiscard]] std::shared_ptr<const std::string> glyphs(const std::string& fontstack, const std::string& range);

    /// The archive (tiles.archives) served as the tileset `name`, or null.
    [[nodiscard]] archive_source* archive(std::string_view name) const noexcept;
    /// The archive whose file name is `file_name`, or null.
    [[nodiscard]] archive_source* archive_file(std::string_view file_name) const noexcept;
    /// Every archive served (tiles.archives), in the order configured.
    [[nodiscard]] const std::vector<std::unique_ptr<archive_source>>& archives() const noexcept { return archives_; }

    /// Encodes a tile without the cache (benchmarks and tests use it directly).
    [[nodiscard]] tiles::cached_tile render(const tiles::tileset& ts, const geo::tile_id& tile) {
        return render_and_look(ts, tile).tile;
    }

    /// A tile and whether any data lay within its buffered extent: when none did, none lies
    /// within any tile below it either (a bake skips them), even where the tile's encoding is
    /// empty for other reasons (a shape too small to draw at this zoom).
    struct looked_tile {
        tiles::cached_tile tile;
        bool data_in_reach = false;
    };
    [[nodiscard]] looked_tile render_and_look(const tiles::tileset& ts, const geo::tile_id& tile);

private:
    data::store& store_;
    config::tile_settings settings_;
    std::vector<std::string> stages_;
    tiles::tile_cache cache_;
    std::unique_ptr<tiles::glyph_renderer> glyph_renderer_;
    std::mutex glyph_mutex_;
    std::map<unsigned, std::shared_ptr<const std::string>> glyph_ranges_;
    std::once_flag names_once_;
    std::unordered_map<std::string, std::string> adm3_names_;
    std::vector<std::unique_ptr<archive_source>> archives_;
    std::mutex bounds_mutex_;
    std::optional<geo::bbox> bounds_;
};

} // namespace plotmap::tiles
