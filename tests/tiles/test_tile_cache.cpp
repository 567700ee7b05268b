#include "geo/error.hpp"
#include "geo/tile_math.hpp"
#include "tiles/tile_cache.hpp"

#include <gtest/gtest.h>

using namespace plotmap;
using namespace plotmap::tiles;

namespace {

std::shared_ptr<const cached_tile> tile_of(std::size_t bytes) {
    auto t = std::make_shared<cached_tile>();
    t->raw.assign(bytes, 'x');
    t->etag = tile_etag(t->raw);
    return t;
}

tile_key key(const geo::tile_id& t, const std::string& audience = "public") { return {"plots", audience, t}; }

} // namespace

TEST(tile_cache, bounded_by_bytes_least_recently_used_out) {
    tile_cache cache(3 * (1000 + 300));
    cache.put(key({5, 1, 1}), tile_of(1000));
    cache.put(key({5, 1, 2}), tile_of(1000));
    ASSERT_NE(cache.find(key({5, 1, 1})), nullptr); // 1,1 now most recent
    cache.put(key({5, 1, 3}), tile_of(1000));
    cache.put(key({5, 1, 4}), tile_of(1000));
    EXPECT_EQ(cache.find(key({5, 1, 2})), nullptr);
    EXPECT_NE(cache.find(key({5, 1, 1})), nullptr);
    EXPECT_LE(cache.stats().bytes, cache.max_bytes());
    EXPECT_GE(cache.stats().evictions, 1u);
}

TEST(tile_cache, audiences_are_kept_apart) {
    tile_cache cache(1 << 20);
    cache.put(key({5, 1, 1}, "public"), tile_of(10));
    EXPECT_EQ(cache.find(key({5, 1, 1}, "scope:64")), nullptr);
}

TEST(tile_cache, an_edit_evicts_the_tiles_it_touches_at_every_zoom_and_no_others) {
    tile_cache cache(1 << 24);
    const geo::point here{99.8232, 17.008};
    const geo::point elsewhere{103.0, 14.0};
    for (int z = 0; z <= 18; ++z) {
        cache.put(key(geo::tile_containing(here, z)), tile_of(10));
        cache.put(key(geo::tile_containing(elsewhere, z)), tile_of(10));
    }
    cache.invalidate("plots", geo::bbox{here.x, here.y, here.x + 0.0005, here.y + 0.0005}, 64.0 / 4096.0);
    for (int z = 0; z <= 18; ++z) {
        EXPECT_EQ(cache.find(key(geo::tile_containing(here, z))), nullptr) << z;
        if (z >= 5) { // below zoom 5 both points share a tile
            EXPECT_NE(cache.find(key(geo::tile_containing(elsewhere, z))), nullptr) << z;
        }
    }
    cache.invalidate("admin", geo::bbox{elsewhere.x, elsewhere.y, elsewhere.x, elsewhere.y}, 0.0);
    EXPECT_NE(cache.find(key(geo::tile_containing(elsewhere, 10))), nullptr) << "other tilesets untouched";
}

TEST(tile_cache, zero_bytes_disables) {
    tile_cache cache(0);
    cache.put(key({1, 0, 0}), tile_of(1));
    EXPECT_EQ(cache.find(key({1, 0, 0})), nullptr);
}

TEST(tile_cache, gzip_round_trips_and_etags_differ) {
    const std::string data(5000, 'a');
    const std::string gz = gzip(data);
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_EQ(gunzip(gz, data.size()), data);
    EXPECT_THROW((void)gunzip(gz, data.size() - 1), bad_request) << "a limit on what it unpacks";
    EXPECT_THROW((void)gunzip(gz.substr(0, gz.size() / 2), 1 << 20), bad_request) << "a cut stream";
    EXPECT_NE(tile_etag("a"), tile_etag("b"));
    EXPECT_EQ(tile_etag("a").front(), '"');
}

TEST(tile_cache, invalidation_removes_exactly_the_tiles_whose_buffered_extent_meets_the_box) {
    tile_cache cache(1 << 26);
    const geo::tile_id centre = geo::tile_containing({99.8232, 17.008}, 14);
    for (std::uint32_t dx = 0; dx < 20; ++dx) {
        for (std::uint32_t dy = 0; dy < 20; ++dy) {
            for (const char* audience : {"public", "scope:64"}) {
                cache.put(key({14, centre.x - 10 + dx, centre.y - 10 + dy}, audience), tile_of(10));
            }
        }
    }
    // A box straddling the centre tile's east edge.
    const geo::bbox tile = geo::tile_bounds_mercator(centre);
    const geo::point a = geo::mercator_to_lonlat({tile.max_x - 50, tile.min_y + 100});
    const geo::point b = geo::mercator_to_lonlat({tile.max_x + 50, tile.min_y + 300});
    const geo::bbox box{a.x, a.y, b.x, b.y};
    const double share = 64.0 / 4096.0;
    cache.invalidate("plots", box, share);
    const geo::point lo = geo::lonlat_to_mercator({box.min_x, box.min_y});
    const geo::point hi = geo::lonlat_to_mercator({box.max_x, box.max_y});
    int gone = 0;
    for (std::uint32_t dx = 0; dx < 20; ++dx) {
        for (std::uint32_t dy = 0; dy < 20; ++dy) {
            const geo::tile_id t{14, centre.x - 10 + dx, centre.y - 10 + dy};
            const geo::bbox e = geo::tile_bounds_mercator(t);
            const double pad = (e.max_x - e.min_x) * share;
            const bool meets = !(lo.x > e.max_x + pad || hi.x < e.min_x - pad || lo.y > e.max_y + pad || hi.y < e.min_y - pad);
            for (const char* audience : {"public", "scope:64"}) {
                EXPECT_EQ(cache.find(key(t, audience)) == nullptr, meets) << t.x << "," << t.y << " " << audience;
            }
            gone += meets ? 1 : 0;
        }
    }
    EXPECT_EQ(gone, 2) << "the centre tile and its east neighbour";
    EXPECT_EQ(cache.stats().invalidations, 4u);
}
