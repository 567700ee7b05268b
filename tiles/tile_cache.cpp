#include "tiles/tile_cache.hpp"

#include "geo/error.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

namespace plotmap::tiles {

std::size_t tile_key_hash::operator()(const tile_key& k) const noexcept {
    std::size_t h = std::hash<std::string>{}(k.tileset);
    h = h * 31 + std::hash<std::string>{}(k.audience);
    h = h * 31 + static_cast<std::size_t>(k.tile.z);
    h = h * 1000003 + k.tile.x;
    h = h * 1000003 + k.tile.y;
    return h;
}

tile_cache::tile_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

std::shared_ptr<const cached_tile> tile_cache::find(const tile_key& key) {
    const std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
        ++stats_.misses;
        return nullptr;
    }
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->tile;
}

void tile_cache::put(const tile_key& key, std::shared_ptr<const cached_tile> tile) {
    const std::size_t bytes = tile->raw.size() + tile->gzipped.size() + key.tileset.size() + key.audience.size() + 128;
    if (bytes > max_bytes_) return;
    const std::lock_guard lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) erase(it->second);
    lru_.push_front({key, std::move(tile), bytes});
    index_[key] = lru_.begin();
    grid_[{key.tileset, key.tile.z}].emplace(key.tile.x, key.tile.y, key.audience);
    stats_.bytes += bytes;
    while (stats_.bytes > max_bytes_ && !lru_.empty()) {
        erase(std::prev(lru_.end()));
        ++stats_.evictions;
    }
}

void tile_cache::erase(std::list<entry>::iterator it) {
    stats_.bytes -= it->bytes;
    const tile_key& k = it->key;
    if (const auto g = grid_.find({k.tileset, k.tile.z}); g != grid_.end()) {
        g->second.erase({k.tile.x, k.tile.y, k.audience});
        if (g->second.empty()) grid_.erase(g);
    }
    index_.erase(k);
    lru_.erase(it);
}

void tile_cache::invalidate(const std::string& tileset, const geo::bbox& lonlat_box, double buffer_share) {
    if (lonlat_box.empty()) return;
    const geo::point lo = geo::lonlat_to_mercator({lonlat_box.min_x, lonlat_box.min_y});
    const geo::point hi = geo::lonlat_to_mercator({lonlat_box.max_x, lonlat_box.max_y});
    const std::lock_guard lock(mutex_);
    for (int z = 0; z <= geo::max_zoom; ++z) {
        const auto g = grid_.find({tileset, z});
        if (g == grid_.end()) continue;
        // The columns and rows whose tile, grown by the buffer, meets the box.
        const double size = 2.0 * geo::mercator_max / geo::tiles_per_axis(z);
        const double pad = size * buffer_share;
        const auto index = [&](double v) {
            return static_cast<std::uint32_t>(std::clamp(std::floor(v / size), 0.0, geo::tiles_per_axis(z) - 1.0));
        };
        const std::uint32_t x0 = index(lo.x - pad + geo::mercator_max);
        const std::uint32_t x1 = index(hi.x + pad + geo::mercator_max);
        const std::uint32_t y0 = index(geo::mercator_max - hi.y - pad);
        const std::uint32_t y1 = index(geo::mercator_max - lo.y + pad);
        std::vector<tile_key> doomed;
        for (auto it = g->second.lower_bound({x0, y0, std::string()}); it != g->second.end() && std::get<0>(*it) <= x1;) {
            const auto [x, y, audience] = *it;
            if (y < y0) {
                it = g->second.lower_bound({x, y0, std::string()});
            } else if (y > y1) {
                it = g->second.lower_bound({x + 1, y0, std::string()});
            } else {
                doomed.push_back({tileset, audience, {z, x, y}});
                ++it;
            }
        }
        for (const tile_key& k : doomed) {
            erase(index_.at(k));
            ++stats_.invalidations;
        }
    }
}

void tile_cache::clear() {
    const std::lock_guard lock(mutex_);
    lru_.clear();
    index_.clear();
    grid_.clear();
    stats_.bytes = 0;
}

cache_stats tile_cache::stats() const {
    const std::lock_guard lock(mutex_);
    cache_stats s = stats_;
    s.entries = index_.size();
    return s;
}

std::string gzip(const std::string& data) {
    z_stream zs{};
    // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw error("zlib: deflateInit2 failed");
    }
    std::string out(deflateBound(&zs, data.size()) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw error("zlib: deflate did not finish");
    out.resize(zs.total_out);
    return out;
}

std::string gunzip(std::string_view in, std::size_t max_bytes) {
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw error("zlib: inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    std::string out;
    char buf[65536];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (out.size() > max_bytes) rc = Z_MEM_ERROR;
    }
    inflateEnd(&zs);
    if (rc == Z_MEM_ERROR) throw bad_request("gzip data unpacks to more than " + std::to_string(max_bytes) + " bytes");
    if (rc != Z_STREAM_END) throw bad_request("not one whole gzip stream");
    return out;
}

std::pair<std::uint64_t, std::uint64_t> tile_content_key(std::string_view bytes) {
    std::uint64_t fnv = 1469598103934665603ull;
    for (const char c : bytes) {
        fnv ^= static_cast<unsigned char>(c);
        fnv *= 1099511628211ull;
    }
    return {fnv ^ bytes.size(), std::hash<std::string_view>{}(bytes)};
}

std::string tile_etag(const std::string& bytes) {
    // libstdc++'s string hash (murmur-style, 8 bytes at a time), plus the length: a tile's
    // validator within one deployment. A library upgrade may change it; clients then fetch
    // each tile once more.
    const auto h = static_cast<unsigned long long>(std::hash<std::string_view>{}(bytes));
    char buf[48];
    std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", h, bytes.size());
    return buf;
}

} // namespace plotmap::tiles
