#include "server/routes/routes.hpp"

#include <sstream>

namespace plotmap::server::routes {

void add_metrics(router& r, const context& ctx) {
    r.add("GET", "/metrics", access::open, [&ctx](const request&, const path_params&) {
        std::ostringstream text;
        text << ctx.metrics.render(ctx.store.stats());
        const tiles::cache_stats t = ctx.tiles.cache_stats();
        text << "# HELP plotmap_tile_cache_bytes Memory held by cached tiles.\n"
                "# TYPE plotmap_tile_cache_bytes gauge\n"
                "plotmap_tile_cache_bytes " << t.bytes << "\n"
                "# HELP plotmap_tile_cache_entries Tiles in the cache.\n"
                "# TYPE plotmap_tile_cache_entries gauge\n"
                "plotmap_tile_cache_entries " << t.entries << "\n"
                "# HELP plotmap_tile_cache_lookups_total Tile cache lookups, by result.\n"
                "# TYPE plotmap_tile_cache_lookups_total counter\n"
                "plotmap_tile_cache_lookups_total{result=\"hit\"} " << t.hits << "\n"
                "plotmap_tile_cache_lookups_total{result=\"miss\"} " << t.misses << "\n"
                "# HELP plotmap_tile_cache_removals_total Tiles dropped from the cache, by reason.\n"
                "# TYPE plotmap_tile_cache_removals_total counter\n"
                "plotmap_tile_cache_removals_total{reason=\"size\"} " << t.evictions << "\n"
                "plotmap_tile_cache_removals_total{reason=\"edit\"} " << t.invalidations << "\n";
        response res = make_response(200, "text/plain; version=0.0.4; charset=utf-8", text.str());
        res.set("Cache-Control", "no-store");
        return res;
    });
}

} // namespace plotmap::server::routes
