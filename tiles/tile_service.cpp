#include "tiles/tile_service.hpp"

#include "data/photos.hpp"
#include "data/tile_features.hpp"
#include "geo/error.hpp"
#include "geo/overlay.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "tiles/documents.hpp"
#include "tiles/mvt.hpp"
#include "tiles/tile_geometry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace plotmap::tiles {
namespace {

/// How hard a tile is squeezed to stay under max_tile_bytes.
enum class reduction { none, attributes, geometry, no_polygons };

struct render_options {
    reduction level = reduction::none;
};

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

std::vector<attribute> plot_attributes(const data::plot_tile_attributes& a, reduction level) {
    std::vector<attribute> out;
    out.reserve(10);
    out.push_back({"stage", a.stage});
    out.push_back({"review_state", a.review_state}); // kept with the stage: maps draw both
    if (level != reduction::none) return out;
    out.push_back({"code", a.code});
    out.push_back({"program", a.program});
    if (a.area_m2) {
        out.push_back({"area_m2", round_to(*a.area_m2, 0.1)});
        out.push_back({"area_rai", round_to(*a.area_m2 / geo::m2_per_rai, 0.01)});
    }
    if (a.adm1) out.push_back({"adm1", *a.adm1});
    if (a.adm2) out.push_back({"adm2", *a.adm2});
    if (a.adm3) out.push_back({"adm3", *a.adm3});
    if (a.adm3_name) out.push_back({"adm3_name", *a.adm3_name});
    if (a.budget_year) out.push_back({"budget_year", *a.budget_year});
    return out;
}

std::string abbreviated(long long n) {
    char buf[32];
    if (n >= 10000) {
        std::snprintf(buf, sizeof buf, "%lldk", n / 1000);
    } else if (n >= 1000) {
        std::snprintf(buf, sizeof buf, "%.1fk", static_cast<double>(n) / 1000.0);
    } else {
        std::snprintf(buf, sizeof buf, "%lld", n);
    }
    return buf;
}

std::uint64_t cluster_id(const data::cluster_cell& c) {
    return (std::uint64_t{1} << 60) | (static_cast<std::uint64_t>(c.zoom) << 40) | (std::uint64_t{c.x} << 20) | c.y;
}

} // namespace

tile_service::tile_service(data::store& store, config::tile_settings settings, std::vector<std::string> stages)
    : store_(store), settings_(std::move(settings)), stages_(std::move(stages)), cache_(settings_.cache_bytes) {
    if (settings_.packs_dir.empty()) { // "<database>.packs", beside it as the photos are
        settings_.packs_dir = data::default_photo_dir(store_.options().path).replace_extension(".packs").string();
    }
    std::vector<std::string> fonts;
    for (const std::string& path : settings_.fonts) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::cerr << "plotmap: warning: label font " << path << " (tiles.fonts) cannot be read; labels may lack glyphs\n";
            continue;
        }
        fonts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!fonts.empty()) glyph_renderer_ = std::make_unique<tiles::glyph_renderer>(std::move(fonts));
    for (const std::string& path : settings_.archives) {
        const std::string where = "tiles.archives: " + path;
        try {
            archives_.push_back(std::make_unique<archive_source>(path));
        } catch (const std::exception& e) {
            throw config_error(where + ": " + e.what());
        }
        const std::string& name = archives_.back()->name();
        const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
        if (!plain) throw config_error(where + ": the file name (the tileset's name) may hold only letters, digits, - and _");
        for (const tileset& t : tilesets()) {
            if (t.name == name) throw config_error(where + ": \"" + name + "\" is a tileset of the server's own; rename the file");
        }
        for (std::size_t i = 0; i + 1 < archives_.size(); ++i) {
            if (archives_[i]->name() == name) throw config_error(where + ": another archive is named \"" + name + "\" too");
        }
    }
}

archive_source* tile_service::archive(std::string_view name) const noexcept {
    for (const auto& a : archives_) {
        if (a->name() == name) return a.get();
    }
    return nullptr;
}

archive_source* tile_service::archive_file(std::string_view file_name) const noexcept {
    for (const auto& a : archives_) {
        if (a->file().filename().string() == file_name) return a.get();
    }
    return nullptr;
}

std::shared_ptr<const std::string> tile_service::glyphs(const std::string& fontstack, const std::string& range) {
    // MapLibre asks for every font in text-font joined with commas; the first is ours.
    const std::string first = fontstack.substr(0, fontstack.find(','));
    if (first != tiles::label_font) {
        throw not_found("unknown font stack \"" + geo::utf8_prefix(first, 60) + "\"; the style's labels use \"" +
                        tiles::label_font + "\"");
    }
    unsigned start = 0;
    unsigned end = 0;
    char tail = 0;
    if (std::sscanf(range.c_str(), "%u-%u%c", &start, &end, &tail) != 2 || start % 256 != 0 || end != start + 255 ||
        start > 65280) {
        throw not_found("glyph ranges look like 0-255, 256-511, ... up to 65280-65535; got \"" + geo::utf8_prefix(range, 30) + "\"");
    }
    if (!glyph_renderer_) throw not_found("no label font could be loaded (see tiles.fonts)");
    const std::lock_guard lock(glyph_mutex_);
    auto& slot = glyph_ranges_[start];
    if (!slot) slot = std::make_shared<const std::string>(glyph_renderer_->range(tiles::label_font, start));
    return slot;
}

tile_service::looked_tile tile_service::render_and_look(const tileset& ts, const geo::tile_id& tile) {
    const tiles::tile_frame frame{tile, static_cast<std::uint32_t>(settings_.extent),
                                  static_cast<std::uint32_t>(settings_.buffer)};
    const geo::bbox box = tiles::frame_bounds_lonlat(frame);
    const auto extent = static_cast<std::uint32_t>(settings_.extent);

    // Read once; encode as often as the size limit needs.
    std::vector<data::plot_shape> shapes;
    std::vector<data::plot_location> locations;
    std::vector<data::cluster_cell> clusters;
    std::array<std::vector<data::admin_shape>, 3> admins;
    store_.read([&](data::connection& c) {
        std::call_once(names_once_, [&] { adm3_names_ = data::subdistrict_names(c); });
        for (const tile_layer layer : ts.layers) {
            if (layer == tile_layer::plots && tile.z >= settings_.plots_min_zoom) shapes = data::plot_shapes_in(c, box);
            if (layer == tile_layer::pins) {
                if (tile.z >= settings_.cluster_below_zoom) {
                    locations = data::plot_locations_in(c, box);
                } else {
                    // 8 x 8 cells per tile, plus one ring of neighbours for the buffer.
                    const int cz = tile.z + 3;
                    const std::uint32_t last = (std::uint32_t{1} << cz) - 1;
                    const std::uint32_t x0 = tile.x * 8 == 0 ? 0 : tile.x * 8 - 1;
                    const std::uint32_t y0 = tile.y * 8 == 0 ? 0 : tile.y * 8 - 1;
                    clusters = data::read_clusters(c, cz, x0, y0, std::min(last, tile.x * 8 + 8), std::min(last, tile.y * 8 + 8));
                }
            }
            for (int level = 1; level <= 3; ++level) {
                const bool boundaries = layer == static_cast<tile_layer>(static_cast<int>(tile_layer::adm1) + level - 1) &&
                                        tile.z >= admin_min_zoom[static_cast<std::size_t>(level - 1)];
                const label_range& lr = label_ranges[static_cast<std::size_t>(level - 1)];
                const bool labels = layer == tile_layer::admin_labels && tile.z >= lr.min_zoom && tile.z <= lr.max_zoom;
                if ((boundaries || labels) && admins[static_cast<std::size_t>(level - 1)].empty()) {
                    admins[static_cast<std::size_t>(level - 1)] = data::admin_shapes_in(c, level, box);
                }
            }
        }
    });

    const auto name_of = [&](data::plot_tile_attributes& a) {
        if (!a.adm3) return;
        if (const auto it = adm3_names_.find(*a.adm3); it != adm3_names_.end()) a.adm3_name = it->second;
    };
    for (auto& s : shapes) name_of(s.attributes);
    for (auto& l : locations) name_of(l.attributes);

    const auto encode = [&](reduction level) {
        std::vector<tiles::layer_builder> layers;
        const tiles::polygon_options plot_geometry{level >= reduction::geometry ? 16.0 : 0.0};
        const tiles::polygon_options admin_geometry{level >= reduction::geometry ? 32.0 : 8.0};
        for (const tile_layer layer : ts.layers) {
            const tiles::layer_info info = tiles::describe(layer, zooms(), stages_);
            tiles::layer_builder out(info.name, extent);
            switch (layer) {
            case tile_layer::plots:
                if (level == reduction::no_polygons) break;
                for (const auto& s : shapes) {
                    const auto polys = tiles::to_tile_polygons(frame, s.boundary, plot_geometry);
                    if (!polys.empty()) {
                        out.add_polygons(static_cast<std::uint64_t>(s.attributes.id), polys, plot_attributes(s.attributes, level));
                    }
                }
                break;
            case tile_layer::pins:
                for (const auto& l : locations) {
                    if (const auto p = tiles::to_tile_point(frame, l.location)) {
                        out.add_point(static_cast<std::uint64_t>(l.attributes.id), *p, plot_attributes(l.attributes, level));
                    }
                }
                for (const auto& cell : clusters) {
                    const auto p = tiles::to_tile_point(frame, geo::mercator_to_lonlat(cell.mean_mercator));
                    if (!p) continue;
                    std::vector<attribute> attrs{{"cluster", true},
                                                 {"point_count", static_cast<std::int64_t>(cell.count)},
                                                 {"point_count_abbreviated", abbreviated(cell.count)}};
                    for (const auto& [stage, n] : cell.by_stage) attrs.push_back({stage, static_cast<std::int64_t>(n)});
                    out.add_point(cluster_id(cell), *p, attrs);
                }
                break;
            case tile_layer::adm1:
            case tile_layer::adm2:
            case tile_layer::adm3: {
                const int level_index = static_cast<int>(layer) - static_cast<int>(tile_layer::adm1);
                if (tile.z < admin_min_zoom[static_cast<std::size_t>(level_index)]) break;
                for (const auto& a : admins[static_cast<std::size_t>(level_index)]) {
                    const auto polys = tiles::to_tile_polygons(frame, a.geometry, admin_geometry);
                    if (!polys.empty()) {
                        out.add_polygons(std::stoull(a.code), polys,
                                         {{"code", a.code}, {"name_th", a.name_th}, {"name_en", a.name_en}});
                    }
                }
                break;
            }
            case tile_layer::admin_labels:
                for (const label_range& lr : label_ranges) {
                    if (tile.z < lr.min_zoom || tile.z > lr.max_zoom) continue;
                    for (const auto& a : admins[static_cast<std::size_t>(lr.level - 1)]) {
                        const geo::point at = tiles::to_tile_units(frame, geo::interior_point(a.geometry));
                        // Only the tile holding the label point carries it: no duplicates.
                        if (at.x < 0 || at.y < 0 || at.x >= extent || at.y >= extent) continue;
                        out.add_point(std::stoull(a.code),
                                      {static_cast<std::int32_t>(std::lround(at.x)), static_cast<std::int32_t>(std::lround(at.y))},
                                      {{"code", a.code}, {"name_th", a.name_th}, {"name_en", a.name_en},
                                       {"level", static_cast<std::int64_t>(lr.level)}});
                    }
                }
                break;
            }
            layers.push_back(std::move(out));
        }
        return tiles::encode_tile(layers);
    };

    tiles::cached_tile out;
    out.raw = encode(reduction::none);
    for (const auto& [level, note] : {std::pair{reduction::attributes, "attributes"}, std::pair{reduction::geometry, "geometry"},
                                      std::pair{reduction::no_polygons, "polygons"}}) {
        if (out.raw.size() <= settings_.max_tile_bytes) break;
        out.raw = encode(level);
        if (!out.reduced.empty()) out.reduced += ',';
        out.reduced += note;
    }
    out.etag = tiles::tile_etag(out.raw);
    const bool any_admin = std::any_of(admins.begin(), admins.end(), [](const auto& list) { return !list.empty(); });
    return {std::move(out), !shapes.empty() || !locations.empty() || !clusters.empty() || any_admin};
}

std::shared_ptr<const tiles::cached_tile> tile_service::get(const tileset& ts, const geo::tile_id& tile,
                                                            const std::string& audience, bool want_gzip) {
    const tiles::tile_key key{ts.name, audience, tile};
    auto hit = cache_.find(key);
    if (hit && (!want_gzip || !hit->gzipped.empty() || hit->raw.empty())) return hit;
    // Compress only for clients that take gzip (browsers do), once per tile.
    auto made = std::make_shared<tiles::cached_tile>(hit ? *hit : render(ts, tile));
    if (want_gzip && !made->raw.empty()) made->gzipped = tiles::gzip(made->raw);
    cache_.put(key, made);
    return made;
}

void tile_service::plots_changed(const geo::bbox& lonlat) {
    if (lonlat.empty()) return;
    const double buffer_share = static_cast<double>(settings_.buffer) / settings_.extent;
    for (const tileset& t : tiles::tilesets()) {
        if (t.plot_data) cache_.invalidate(t.name, lonlat, buffer_share);
    }
    const std::lock_guard lock(bounds_mutex_);
    if (bounds_ && !(bounds_->contains({lonlat.min_x, lonlat.min_y}) && bounds_->contains({lonlat.max_x, lonlat.max_y}))) {
        bounds_.reset();
    }
}

geo::bbox tile_service::plots_bounds() {
    {
        const std::lock_guard lock(bounds_mutex_);
        if (bounds_) return *bounds_;
    }
    const geo::bbox b = store_.read([](data::connection& c) { return data::plots_extent(c); });
    const std::lock_guard lock(bounds_mutex_);
    bounds_ = b;
    return b;
}

} // namespace plotmap::tiles
