#include "tiles/bake.hpp"

#include "data/admin_areas.hpp"
#include "data/store.hpp"
#include "data/tile_features.hpp"
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
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace plotmap::tiles {
namespace {

using clock = std::chrono::steady_clock;
using nlohmann::json;

/// Tiles in PMTiles tile-id order (the order archives are written in).
void sort_by_tile_id(std::vector<geo::tile_id>& list) {
    std::sort(list.begin(), list.end(),
              [](const geo::tile_id& a, const geo::tile_id& b) { return pmtiles::tile_id_of(a) < pmtiles::tile_id_of(b); });
}

/// What an archive remembers of its bake, under the metadata key "plotmap".
struct bake_marker {
    std::string tileset;
    int min_zoom = 0;
    int max_zoom = 0;
    geo::bbox area;
    std::int64_t history = 0; ///< the newest plot history entry the tiles include

    [[nodiscard]] json to_json() const {
        return {{"tileset", tileset}, {"minzoom", min_zoom}, {"maxzoom", max_zoom},
                {"area", {area.min_x, area.min_y, area.max_x, area.max_y}}, {"history", history}};
    }
    static bake_marker from_json(const json& j, const std::string& file) {
        try {
            bake_marker m;
            m.tileset = j.at("tileset").get<std::string>();
            m.min_zoom = j.at("minzoom").get<int>();
            m.max_zoom = j.at("maxzoom").get<int>();
            const json& a = j.at("area");
            m.area = {a.at(0).get<double>(), a.at(1).get<double>(), a.at(2).get<double>(), a.at(3).get<double>()};
            m.history = j.at("history").get<std::int64_t>();
            if (m.min_zoom < 0 || m.max_zoom > geo::max_zoom || m.min_zoom > m.max_zoom) throw bad_request("zooms");
            return m;
        } catch (const std::exception&) {
            throw bad_request(file + ": its \"plotmap\" metadata is damaged; bake it again");
        }
    }
};

/// The two archive writers behind one face: tiles arrive in increasing PMTiles tile id.
class archive_writer {
public:
    archive_writer(archive_format f, const std::filesystem::path& out, const bake_request& r, const json& tilejson,
                   const bake_marker& marker) {
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
            const json metadata = {{"name", r.name},
                                   {"description", r.description},
                                   {"attribution", tilejson.at("attribution")},
                                   {"type", "overlay"},
                                   {"version", "1"},
                                   {"format", "pbf"},
                                   {"vector_layers", tilejson.at("vector_layers")},
                                   {"plotmap", marker.to_json()}};
            pmtiles_ = std::make_unique<pmtiles::writer>(out, h, geo::json_text(metadata));
        } else {
            char bounds[160];
            std::snprintf(bounds, sizeof bounds, "%.7f,%.7f,%.7f,%.7f", b.min_x, b.min_y, b.max_x, b.max_y);
            char center[120];
            std::snprintf(center, sizeof center, "%.7f,%.7f,%d", centre.x, centre.y, centre_zoom);
            const json layers = {{"vector_layers", tilejson.at("vector_layers")}};
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
                                                                      {"json", geo::json_text(layers)},
                                                                      {"plotmap", geo::json_text(marker.to_json())}});
        }
    }

    void add(const geo::tile_id& t, std::string_view gzipped) {
        if (pmtiles_) {
            pmtiles_->add(pmtiles::tile_id_of(t), gzipped);
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

bool tile_meets(const geo::tile_id& t, const geo::bbox& area) {
    const geo::bbox m = geo::tile_bounds_mercator(t);
    const geo::point lo = geo::mercator_to_lonlat({m.min_x, m.min_y});
    const geo::point hi = geo::mercator_to_lonlat({m.max_x, m.max_y});
    return lo.x <= area.max_x && hi.x >= area.min_x && lo.y <= area.max_y && hi.y >= area.min_y;
}

/// One rendered tile.
struct result {
    std::string gzipped;   ///< empty for an empty tile (or one not wanted)
    bool data_in_reach = false;
};

/// Renders `list[from, from + n)` into `out[0, n)` on `threads` threads (this one included).
void render_batch(tile_service& tiles, const tileset& set, const std::vector<geo::tile_id>& list, std::size_t from, std::size_t n,
                  bool keep_bytes, unsigned threads, std::vector<result>& out) {
    std::atomic<std::size_t> next_index{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    const auto work = [&] {
        try {
            for (std::size_t i = next_index++; i < n; i = next_index++) {
                auto looked = tiles.render_and_look(set, list[from + i]);
                out[i].data_in_reach = looked.data_in_reach;
                out[i].gzipped = keep_bytes && !looked.tile.raw.empty() ? gzip(looked.tile.raw) : std::string();
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
}

unsigned thread_count(unsigned asked) { return asked ? asked : std::max(1u, std::thread::hardware_concurrency()); }

constexpr std::size_t batch_size = 512;

} // namespace

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
    const json tilejson = tiles::tilejson(*r.set, "", "", tiles.zooms(), tiles.stages(), r.area);
    // Taken before the first tile: a change made while baking is drawn again by the next update.
    const bake_marker marker{r.set->name, r.min_zoom, r.max_zoom, r.area,
                             tiles.store().read([](data::connection& c) { return data::last_history_id(c); })};
    archive_writer sink(format, out, r, tilejson, marker);

    const unsigned threads = thread_count(r.threads);
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
    std::vector<result> results(batch_size);
    for (int z = 0; z <= r.max_zoom && !level.empty(); ++z) {
        sort_by_tile_id(level);
        const bool writing = z >= r.min_zoom;
        p.zoom = z;
        std::vector<geo::tile_id> next;
        // Batches keep memory bounded and the archive in tile-id order; each batch is
        // rendered on every core, then written in order by this thread.
        for (std::size_t from = 0; from < level.size(); from += batch_size) {
            const std::size_t n = std::min(batch_size, level.size() - from);
            render_batch(tiles, *r.set, level, from, n, writing, threads, results);
            for (std::size_t i = 0; i < n; ++i) {
                const geo::tile_id& t = level[from + i];
                ++summary.rendered;
                if (!results[i].gzipped.empty()) {
                    sink.add(t, results[i].gzipped);
                    ++summary.written;
                }
                if (results[i].data_in_reach && z < r.max_zoom) {
                    for (std::uint32_t dx = 0; dx < 2; ++dx) {
                        for (std::uint32_t dy = 0; dy < 2; ++dy) {
                            const geo::tile_id child{z + 1, t.x * 2 + dx, t.y * 2 + dy};
                            if (tile_meets(child, r.area)) next.push_back(child);
                        }
                    }
                }
            }
            // Still to come: the rest of this zoom, and the zooms below at the rate of growth
            // seen so far (each tile with data has about as many children with data).
            const std::size_t done_here = from + n;
            const double grow = static_cast<double>(next.size()) / static_cast<double>(done_here);
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

update_summary update(tile_service& tiles, const std::filesystem::path& archive, unsigned threads) {
    const auto start = clock::now();
    const archive_format format = archive_format_of(archive);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(archive, ec)) throw bad_request(archive.string() + " is not a file");

    std::unique_ptr<pmtiles::reader> old_pmtiles;
    json pmtiles_metadata;
    std::string marker_text;
    if (format == archive_format::pmtiles) {
        old_pmtiles = std::make_unique<pmtiles::reader>(archive);
        pmtiles_metadata = json::parse(old_pmtiles->metadata(), nullptr, false);
        if (pmtiles_metadata.is_object() && pmtiles_metadata.contains("plotmap")) marker_text = pmtiles_metadata["plotmap"].dump();
    } else {
        const auto rows = mbtiles::writer::read_metadata(archive);
        if (const auto it = rows.find("plotmap"); it != rows.end()) marker_text = it->second;
    }
    if (marker_text.empty()) {
        throw bad_request(archive.string() + " was not made by `plotmap tiles` (no \"plotmap\" metadata): bake it instead");
    }
    bake_marker marker = bake_marker::from_json(json::parse(marker_text, nullptr, false), archive.string());
    const tileset& set = find_tileset(marker.tileset);

    update_summary summary;
    data::plot_changes changes;
    tiles.store().read([&](data::connection& c) {
        const std::int64_t newest = data::last_history_id(c);
        if (marker.history > newest) {
            throw bad_request(archive.string() + " includes plot history up to entry " + std::to_string(marker.history) +
                              ", and this database's goes to " + std::to_string(newest) +
                              " (another database, or a restored backup): bake it again");
        }
        if (set.plot_data) changes = data::plot_changes_since(c, marker.history);
    });
    summary.history_entries = changes.entries;
    summary.plots = changes.plots;
    if (changes.entries == 0) { // nothing changed: the archive stays as it is
        summary.tiles = old_pmtiles ? old_pmtiles->head().addressed_tiles : 0;
        summary.bytes = std::filesystem::file_size(archive);
        summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
        return summary;
    }

    // The tiles the changes touch: a tile whose reads (its extent plus the buffer, or below
    // the cluster zoom the ring of cluster cells around it) meet a changed plot's old or new box.
    std::vector<geo::tile_id> touched;
    {
        std::set<std::tuple<int, std::uint32_t, std::uint32_t>> seen;
        const config::tile_settings& ts = tiles.settings();
        for (int z = marker.min_zoom; z <= marker.max_zoom; ++z) {
            const double n = geo::tiles_per_axis(z);
            const double size = 2.0 * geo::mercator_max / n;
            const double margin = z < ts.cluster_below_zoom ? size / 8.0 : size * ts.buffer / ts.extent;
            const auto index = [&](double v) { return static_cast<std::uint32_t>(std::clamp(std::floor(v), 0.0, n - 1.0)); };
            for (const geo::bbox& b : changes.boxes) {
                if (!b.intersects(marker.area)) continue;
                const geo::point lo = geo::lonlat_to_mercator({b.min_x, b.min_y});
                const geo::point hi = geo::lonlat_to_mercator({b.max_x, b.max_y});
                const std::uint32_t x0 = index((lo.x - margin + geo::mercator_max) / size);
                const std::uint32_t x1 = index((hi.x + margin + geo::mercator_max) / size);
                const std::uint32_t y0 = index((geo::mercator_max - hi.y - margin) / size);
                const std::uint32_t y1 = index((geo::mercator_max - lo.y + margin) / size);
                for (std::uint32_t x = x0; x <= x1; ++x) {
                    for (std::uint32_t y = y0; y <= y1; ++y) {
                        const geo::tile_id t{z, x, y};
                        if (tile_meets(t, marker.area) && seen.insert({z, x, y}).second) touched.push_back(t);
                    }
                }
            }
        }
    }
    sort_by_tile_id(touched);

    // Draw them again, all at once (a few thousand for a district's day of edits).
    std::vector<std::string> fresh(touched.size());
    {
        std::vector<result> results(batch_size);
        for (std::size_t from = 0; from < touched.size(); from += batch_size) {
            const std::size_t n = std::min(batch_size, touched.size() - from);
            render_batch(tiles, set, touched, from, n, true, thread_count(threads), results);
            for (std::size_t i = 0; i < n; ++i) fresh[from + i] = std::move(results[i].gzipped);
        }
    }
    summary.rendered = touched.size();
    marker.history = changes.last_history_id;

    if (format == archive_format::pmtiles) {
        pmtiles_metadata["plotmap"] = marker.to_json();
        // Usually: the old tile data copied as one block, the changed tiles appended.
        std::vector<std::pair<std::uint64_t, std::string>> changed_tiles;
        for (std::size_t i = 0; i < touched.size(); ++i) {
            const std::uint64_t id = pmtiles::tile_id_of(touched[i]);
            if (old_pmtiles->bytes_of(id) != fresh[i]) changed_tiles.emplace_back(id, fresh[i]);
        }
        summary.changed = changed_tiles.size();
        if (const auto patched = pmtiles::patch(*old_pmtiles, archive, changed_tiles, geo::json_text(pmtiles_metadata))) {
            summary.tiles = patched->addressed_tiles;
            summary.bytes = std::filesystem::file_size(archive);
            summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
            return summary;
        }
        // Else (dead bytes of replaced tiles past a quarter of the data): a new clustered
        // archive, the old tiles in order with the touched ones in their places.
        summary.changed = 0;
        const pmtiles::header& old = old_pmtiles->head();
        pmtiles::writer out(archive, old, geo::json_text(pmtiles_metadata));
        std::size_t k = 0; // next touched tile
        const auto put_touched_before = [&](std::uint64_t id) {
            for (; k < touched.size() && pmtiles::tile_id_of(touched[k]) < id; ++k) {
                if (fresh[k].empty()) continue;
                out.add(pmtiles::tile_id_of(touched[k]), fresh[k]); // a tile where there was none
                ++summary.changed;
            }
        };
        for (const pmtiles::entry& e : old_pmtiles->entries()) {
            const std::string bytes = old_pmtiles->bytes_of(e);
            for (std::uint64_t id = e.tile_id; id < e.tile_id + e.run_length; ++id) {
                put_touched_before(id);
                if (k < touched.size() && pmtiles::tile_id_of(touched[k]) == id) {
                    if (fresh[k] != bytes) ++summary.changed;
                    if (!fresh[k].empty()) out.add(id, fresh[k]);
                    ++k;
                    continue;
                }
                out.add(id, bytes);
            }
        }
        put_touched_before(std::numeric_limits<std::uint64_t>::max());
        summary.tiles = out.tiles_added();
        if (summary.tiles == 0) throw bad_request("after the changes nothing is left to draw in " + archive.string());
        old_pmtiles.reset();
        (void)out.finish();
    } else {
        const auto out = mbtiles::writer::update(archive);
        for (std::size_t i = 0; i < touched.size(); ++i) {
            if (out->tile(touched[i]) != fresh[i]) ++summary.changed;
            if (fresh[i].empty()) {
                out->remove(touched[i]);
            } else {
                out->add(touched[i], fresh[i]);
            }
        }
        out->set_metadata("plotmap", geo::json_text(marker.to_json()));
        summary.tiles = out->tiles_in_archive();
        if (summary.tiles == 0) throw bad_request("after the changes nothing is left to draw in " + archive.string());
        out->finish();
    }
    summary.bytes = std::filesystem::file_size(archive);
    summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return summary;
}

std::filesystem::path district_pack(tile_service& tiles, const std::string& code) {
    const int level = code.size() == 2 ? 1 : code.size() == 4 ? 2 : code.size() == 6 ? 3 : 0;
    if (level == 0 || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw not_found("packs are named by a province (2 digits), district (4) or subdistrict (6) code, like 6401.pmtiles");
    }
    const auto area = tiles.store().read([&](data::connection& c) { return data::find_admin_area(c, level, code); });
    if (!area) throw not_found("there is no province, district or subdistrict " + code);
    const std::filesystem::path dir = tiles.settings().packs_dir;
    const std::filesystem::path file = dir / (code + ".pmtiles");
    static std::mutex packs;
    const std::lock_guard lock(packs);
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
        try {
            (void)update(tiles, file);
            return file;
        } catch (const bad_request&) {
            // Made from another database, or damaged: made again below.
        }
    }
    std::filesystem::create_directories(dir);
    bake_request r;
    r.set = &find_tileset("plots");
    r.min_zoom = 0;
    r.max_zoom = tiles.settings().packs_max_zoom;
    r.area = geo::envelope(area->geometry);
    r.name = r.set->title + " – " + area->name_th + " (" + area->name_en + ")";
    r.description = "district pack " + code + ", zooms 0-" + std::to_string(r.max_zoom);
    try {
        (void)bake(tiles, r, file);
    } catch (const bad_request&) {
        // No plot anywhere near: nothing to keep offline. Say so rather than send an empty file.
        throw not_found("there are no plots in or near " + code + " to pack");
    }
    return file;
}

} // namespace plotmap::tiles
