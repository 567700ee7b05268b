#include "tiles/bake.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"
#include "tiles/documents.hpp"
#include "tiles/mbtiles.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_cache.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace plotmap::tiles {
namespace {

using clock = std::chrono::steady_clock;

/// The two archive writers behind one face: tiles arrive in increasing PMTiles tile id.
class archive {
public:
    archive(archive_format f, const std::filesystem::path& out, const bake_request& r, const nlohmann::json& tilejson) {
        const geo::bbox& b = r.area;
        const geo::point centre{(b.min_x + b.max_x) / 2, (b.min_y + b.max_y) / 2};
        const int centre_zoom = std::clamp(r.min_zoom + 2, r.min_zoom, r.max_zoom);
        if (f == archive_format::pmtiles) {
            pmtiles::header h;
            h.type = pmtiles::tile_type::mvt;
            h.tiles = pmtiles::compression::gzip;
            h.min_zoom = r.min_zoom;
            h.max_zoom = r.max_zoom;
            h.min_lon = b.min_x;
            h.min_lat = b.min_y;
            h.max_lon = b.max_x;
            h.max_lat = b.max_y;
            h.center_zoom = centre_zoom;
            h.center_lon = centre.x;
            h.center_lat = centre.y;
            nlohmann::json metadata = {{"name", r.name},
                                       {"description", r.description},
                                       {"attribution", tilejson.at("attribution")},
                                       {"type", "overlay"},
                                       {"version", "1"},
                                       {"format", "pbf"},
                                       {"vector_layers", tilejson.at("vector_layers")}};
            pmtiles_ = std::make_unique<pmtiles::writer>(out, h, geo::json_text(metadata));
        } else {
            char bounds[160];
            std::snprintf(bounds, sizeof bounds, "%.7f,%.7f,%.7f,%.7f", b.min_x, b.min_y, b.max_x, b.max_y);
            char center[120];
            std::snprintf(center, sizeof center, "%.7f,%.7f,%d", centre.x, centre.y, centre_zoom);
            const nlohmann::json json = {{"vector_layers", tilejson.at("vector_layers")}};
            mbtiles_ = std::make_unique<mbtiles::writer>(
                out, std::vector<std::pair<std::string, std::string>>{{"name", r.name},
                                                                      {"description", r.description},
                                                                      {"attribution", tilejson.at("attribution").get<std::string>()},
                                                                      {"type", "overlay"},
                                                                      {"version", "1"},
                                                                      {"format", "pbf"},
                                                                      {"bounds", bounds},
                                                                      {"center", center},
                                                                      {"minzoom", std::to_string(r.min_zoom)},
                                                                      {"maxzoom", std::to_string(r.max_zoom)},
                                                                      {"json", geo::json_text(json)}});
        }
    }

    void add(const geo::tile_id& t, std::uint64_t id, std::string_view gzipped) {
        if (pmtiles_) {
            pmtiles_->add(id, gzipped);
        } else {
            mbtiles_->add(t, gzipped);
        }
    }

    /// @returns the number of distinct contents stored.
    std::uint64_t finish() {
        if (pmtiles_) return pmtiles_->finish().tile_contents;
        mbtiles_->finish();
        return mbtiles_->contents();
    }

private:
    std::unique_ptr<pmtiles::writer> pmtiles_;
    std::unique_ptr<mbtiles::writer> mbtiles_;
};

/// Tiles at zoom z whose extent meets `area`.
std::vector<geo::tile_id> tiles_meeting(const geo::bbox& area, int z) {
    const geo::tile_id nw = geo::tile_containing({area.min_x, area.max_y}, z);
    const geo::tile_id se = geo::tile_containing({area.max_x, area.min_y}, z);
    std::vector<geo::tile_id> out;
    out.reserve(static_cast<std::size_t>(se.x - nw.x + 1) * (se.y - nw.y + 1));
    for (std::uint32_t x = nw.x; x <= se.x; ++x) {
        for (std::uint32_t y = nw.y; y <= se.y; ++y) out.push_back({z, x, y});
    }
    return out;
}

/// One rendered tile in a batch.
struct result {
    std::string gzipped;   ///< empty for an empty tile
    bool data_in_reach = false;
};

} // namespace

archive_format archive_format_of(const std::filesystem::path& file) {
    const std::string ext = geo::ascii_lower(file.extension().string());
    if (ext == ".pmtiles") return archive_format::pmtiles;
    if (ext == ".mbtiles") return archive_format::mbtiles;
    throw bad_request("the archive's name must end in .pmtiles or .mbtiles, got \"" + geo::utf8_prefix(file.filename().string(), 60) + "\"");
}

bake_summary bake(tile_service& tiles, const bake_request& r, const std::filesystem::path& out,
                  const std::function<void(const bake_progress&)>& progress) {
    if (r.set == nullptr || (r.set->name != "plots" && r.set->name != "admin")) {
        throw bad_request("only the plots and admin tilesets can be baked (their data starts at zoom 0)");
    }
    if (r.min_zoom < 0 || r.max_zoom > geo::max_zoom || r.min_zoom > r.max_zoom) {
        throw bad_request("zooms must satisfy 0 <= minzoom <= maxzoom <= " + std::to_string(geo::max_zoom) + ", got " +
                          std::to_string(r.min_zoom) + " and " + std::to_string(r.max_zoom));
    }
    if (!(r.area.min_x <= r.area.max_x) || !(r.area.min_y <= r.area.max_y)) {
        throw bad_request("the area to bake is empty");
    }
    const archive_format format = archive_format_of(out);
    const nlohmann::json tilejson = tiles::tilejson(*r.set, "", "", tiles.zooms(), tiles.stages(), r.area);
    archive sink(format, out, r, tilejson);

    const unsigned threads = r.threads ? r.threads : std::max(1u, std::thread::hardware_concurrency());
    const auto start = clock::now();
    bake_summary summary;
    bake_progress p;
    auto last_report = start;
    const auto report = [&](bool force) {
        if (!progress) return;
        const auto now = clock::now();
        if (!force && now - last_report < std::chrono::milliseconds(250)) return;
        last_report = now;
        p.rendered = summary.rendered;
        p.written = summary.written;
        p.seconds = std::chrono::duration<double>(now - start).count();
        progress(p);
    };

    // Data in reach of no tile means none in reach of its children: the pyramid is walked
    // from zoom 0 (tiles above min_zoom are rendered to find where data is, not written).
    std::vector<geo::tile_id> level = tiles_meeting(r.area, 0);
    for (int z = 0; z <= r.max_zoom && !level.empty(); ++z) {
        std::sort(level.begin(), level.end(), [](const geo::tile_id& a, const geo::tile_id& b) {
            return pmtiles::tile_id_of(a) < pmtiles::tile_id_of(b);
        });
        const bool writing = z >= r.min_zoom;
        p.zoom = z;
        std::vector<geo::tile_id> next;
        // Batches keep memory bounded and the archive in tile-id order; each batch is
        // rendered on every core, then written in order by this thread.
        constexpr std::size_t batch = 512;
        std::vector<result> results(batch);
        for (std::size_t from = 0; from < level.size(); from += batch) {
            const std::size_t n = std::min(batch, level.size() - from);
            std::atomic<std::size_t> next_index{0};
            std::exception_ptr failure;
            std::mutex failure_mutex;
            const auto work = [&] {
                try {
                    for (std::size_t i = next_index++; i < n; i = next_index++) {
                        auto looked = tiles.render_and_look(*r.set, level[from + i]);
                        results[i].data_in_reach = looked.data_in_reach;
                        results[i].gzipped = writing && !looked.tile.raw.empty() ? gzip(looked.tile.raw) : std::string();
                    }
                } catch (...) {
                    const std::lock_guard lock(failure_mutex);
                    if (!failure) failure = std::current_exception();
                    next_index = n;
                }
            };
            {
                std::vector<std::jthread> workers;
                for (unsigned t = 1; t < std::min<std::size_t>(threads, n); ++t) workers.emplace_back(work);
                work();
            }
            if (failure) std::rethrow_exception(failure);
            for (std::size_t i = 0; i < n; ++i) {
                const geo::tile_id& t = level[from + i];
                ++summary.rendered;
                if (!results[i].gzipped.empty()) {
                    sink.add(t, pmtiles::tile_id_of(t), results[i].gzipped);
                    ++summary.written;
                }
                if (results[i].data_in_reach && z < r.max_zoom) {
                    for (std::uint32_t dx = 0; dx < 2; ++dx) {
                        for (std::uint32_t dy = 0; dy < 2; ++dy) {
                            const geo::tile_id child{z + 1, t.x * 2 + dx, t.y * 2 + dy};
                            const geo::bbox cb = geo::tile_bounds_mercator(child);
                            const geo::point lo = geo::mercator_to_lonlat({cb.min_x, cb.min_y});
                            const geo::point hi = geo::mercator_to_lonlat({cb.max_x, cb.max_y});
                            if (lo.x <= r.area.max_x && hi.x >= r.area.min_x && lo.y <= r.area.max_y && hi.y >= r.area.min_y) {
                                next.push_back(child);
                            }
                        }
                    }
                }
            }
            // Still to come: the rest of this zoom, and the zooms below at the rate of growth
            // seen so far (each tile with data has about as many children with data).
            const std::size_t done_here = from + n;
            const double grow = done_here ? static_cast<double>(next.size()) / static_cast<double>(done_here) : 4.0;
            double expected = static_cast<double>(level.size() - done_here);
            double width = static_cast<double>(next.size()) + static_cast<double>(level.size() - done_here) * grow;
            for (int below = z + 1; below <= r.max_zoom; ++below) {
                expected += width;
                width *= std::max(1.0, grow);
            }
            p.estimate = summary.rendered + static_cast<std::uint64_t>(std::llround(expected));
            report(false);
        }
        level = std::move(next);
    }
    if (summary.written == 0) {
        throw bad_request("no tile in that area and those zooms has anything in it: nothing to write");
    }
    summary.contents = sink.finish();
    summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
    summary.bytes = std::filesystem::file_size(out);
    p.estimate = summary.rendered;
    report(true);
    return summary;
}

} // namespace plotmap::tiles
