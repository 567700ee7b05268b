// Tiles through app::handle with a real database, decoded with GDAL's MVT driver.

#include "data/database.hpp"
#include "app_fixture.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"
#include "mvt_reader.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

using namespace plotmap;
using namespace plotmap::server;
using nlohmann::json;

namespace {

/// Min/max of every coordinate pair in a WKT string.
geo::bbox wkt_bounds(const std::string& wkt) {
    geo::bbox b;
    const std::regex pair(R"((-?[0-9.]+(?:e[-+]?[0-9]+)?) (-?[0-9.]+(?:e[-+]?[0-9]+)?))");
    for (auto it = std::sregex_iterator(wkt.begin(), wkt.end(), pair); it != std::sregex_iterator(); ++it) {
        b.extend(geo::point{std::stod((*it)[1]), std::stod((*it)[2])});
    }
    return b;
}

config::settings with_cache() {
    config::settings s;
    s.tiles.cache_bytes = 64 << 20;
    return s;
}

class tiles_api : public test::app_fixture {
protected:
    tiles_api() : app_fixture(300, with_cache()) {}

    response get(const std::string& target, header_list headers = {}) {
        headers.emplace_back("host", "maps.example.org:8080");
        return call("GET", target, {}, std::move(headers));
    }
    response send(const std::string& method, const std::string& target, const std::string& body, header_list headers) {
        return call(method, target, body, std::move(headers));
    }

    /// A demo plot (id, its location, its boundary box).
    struct sample {
        std::int64_t id;
        geo::point location;
        std::string code;
        std::string stage;
    };
    sample first_plot() {
        return db->read([](data::connection& c) {
            data::statement st = c.prepare("SELECT id, AsBinary(location), code, stage FROM plots ORDER BY id LIMIT 1");
            st.step();
            return sample{st.int64(0), geo::point_from_wkb(st.blob(1)), std::string(st.text(2)), std::string(st.text(3))};
        });
    }
    static std::string path(const std::string& tileset, const geo::tile_id& t) {
        return "/tiles/" + tileset + "/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt";
    }
    std::map<std::string, std::vector<test::decoded_feature>> decode(const response& r, const geo::tile_id& t) {
        return test::decode_with_gdal(r.body, t.z, t.x, t.y, (dir / "decoded").string());
    }
};

} // namespace

TEST_F(tiles_api, tilejson_has_absolute_urls_layers_fields_and_bounds) {
    const response r = get("/tiles/plots.json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
    const json tj = json::parse(r.body);
    EXPECT_EQ(tj["tilejson"], "3.0.0");
    EXPECT_EQ(tj["tiles"][0], "http://maps.example.org:8080/tiles/plots/{z}/{x}/{y}.mvt");
    EXPECT_EQ(tj["vector_layers"][0]["id"], "plots");
    EXPECT_EQ(tj["vector_layers"][0]["minzoom"], 13);
    EXPECT_EQ(tj["vector_layers"][1]["id"], "pins");
    EXPECT_EQ(tj["vector_layers"][1]["fields"]["point_count"], "Number");
    EXPECT_EQ(tj["vector_layers"][1]["fields"]["digging"], "Number");
    EXPECT_FALSE(tj["vector_layers"][0]["fields"].contains("owner_name"));
    const auto bounds = tj["bounds"];
    EXPECT_GT(bounds[0].get<double>(), 97.0);
    EXPECT_LT(bounds[2].get<double>(), 106.0);
    EXPECT_EQ(json::parse(get("/tiles/admin.json").body)["vector_layers"].size(), 4u);
    EXPECT_EQ(get("/tiles/nothing.json").status, 404);
    EXPECT_EQ(get("/tiles/plots.json", {{"host", "evil.org/<script>"}}).status, 400) << "no markup smuggled into URLs";
}

TEST_F(tiles_api, style_points_at_the_tilejson_and_colours_by_stage) {
    const json style = json::parse(get("/styles/default.json").body);
    EXPECT_EQ(style["version"], 8);
    EXPECT_EQ(style["sources"]["plots"]["url"], "http://maps.example.org:8080/tiles/plots.json");
    EXPECT_EQ(style["glyphs"], "http://maps.example.org:8080/fonts/{fontstack}/{range}.pbf");
    std::set<std::string> ids;
    for (const auto& l : style["layers"]) ids.insert(l["id"].get<std::string>());
    for (const char* id : {"plots-fill", "plots-outline", "pins", "clusters", "cluster-count", "adm1-line", "admin-labels"}) {
        EXPECT_TRUE(ids.contains(id)) << id;
    }
    EXPECT_EQ(get("/styles/other.json").status, 404);
    EXPECT_FALSE(style["sources"].contains("basemap"));

    // A configured basemap goes under everything but the background, with its credit.
    settings.web.basemap_url = "https://tiles.example.org/sat/{z}/{x}/{y}.jpg";
    settings.web.basemap_attribution = "Imagery © Example";
    const json with = json::parse(get("/styles/default.json").body);
    EXPECT_EQ(with["sources"]["basemap"]["type"], "raster");
    EXPECT_EQ(with["sources"]["basemap"]["tiles"][0], "https://tiles.example.org/sat/{z}/{x}/{y}.jpg");
    EXPECT_EQ(with["sources"]["basemap"]["attribution"], "Imagery © Example");
    EXPECT_EQ(with["sources"]["basemap"]["maxzoom"], 19);
    EXPECT_EQ(with["layers"][0]["id"], "background");
    EXPECT_EQ(with["layers"][1]["id"], "basemap");
    EXPECT_EQ(with["layers"].size(), style["layers"].size() + 1);
}

TEST_F(tiles_api, a_plot_tile_matches_the_store_and_carries_no_personal_data) {
    const sample s = first_plot();
    const geo::tile_id t = geo::tile_containing(s.location, 16);
    const response r = get(path("plots", t));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "application/vnd.mapbox-vector-tile");
    const auto layers = decode(r, t);
    ASSERT_TRUE(layers.contains("plots"));
    ASSERT_TRUE(layers.contains("pins"));
    const auto it = std::find_if(layers.at("plots").begin(), layers.at("plots").end(),
                                 [&](const test::decoded_feature& f) { return f.id == s.id; });
    ASSERT_NE(it, layers.at("plots").end());
    EXPECT_EQ(it->fields.at("code"), s.code);
    EXPECT_EQ(it->fields.at("stage"), s.stage);
    EXPECT_TRUE(it->valid);
    for (const auto& [name, features] : layers) {
        for (const auto& f : features) {
            for (const char* personal : {"owner_name", "owner_phone", "deed_no", "name"}) EXPECT_FALSE(f.fields.contains(personal));
        }
    }
    // Geometry within a tile unit of the source (both in EPSG:3857).
    const geo::multi_polygon boundary = db->read([&](data::connection& c) {
        data::statement st = c.prepare("SELECT AsBinary(boundary) FROM plots WHERE id = ?");
        st.bind(1, s.id);
        st.step();
        return geo::multi_polygon_from_wkb(st.blob(0));
    });
    geo::bbox source;
    for (const auto& p : boundary.polygons[0].rings[0]) source.extend(geo::lonlat_to_mercator(p));
    const geo::bbox decoded = wkt_bounds(it->geometry_wkt);
    const geo::bbox tb = geo::tile_bounds_mercator(t);
    const double unit = (tb.max_x - tb.min_x) / 4096.0;
    if (tb.min_x < source.min_x && source.max_x < tb.max_x && tb.min_y < source.min_y && source.max_y < tb.max_y) {
        EXPECT_NEAR(decoded.min_x, source.min_x, unit);
        EXPECT_NEAR(decoded.max_x, source.max_x, unit);
        EXPECT_NEAR(decoded.min_y, source.min_y, unit);
        EXPECT_NEAR(decoded.max_y, source.max_y, unit);
    }
    // Every plot whose boundary meets the tile (with its buffer) is there, once.
    const long long expected = db->read([&](data::connection& c) {
        const geo::bbox f = geo::bbox{geo::mercator_to_lonlat({tb.min_x - 64 * unit, tb.min_y - 64 * unit}).x,
                                      geo::mercator_to_lonlat({tb.min_x - 64 * unit, tb.min_y - 64 * unit}).y,
                                      geo::mercator_to_lonlat({tb.max_x + 64 * unit, tb.max_y + 64 * unit}).x,
                                      geo::mercator_to_lonlat({tb.max_x + 64 * unit, tb.max_y + 64 * unit}).y};
        data::statement st = c.prepare("SELECT count(*) FROM plots WHERE ST_Intersects(boundary, BuildMbr(?, ?, ?, ?, 4326))");
        st.bind(1, f.min_x).bind(2, f.min_y).bind(3, f.max_x).bind(4, f.max_y);
        st.step();
        return st.int64(0);
    });
    EXPECT_EQ(static_cast<long long>(layers.at("plots").size()), expected);
}

TEST_F(tiles_api, low_zoom_clusters_count_every_plot_by_stage) {
    const auto layers = decode(get(path("plots", {0, 0, 0})), {0, 0, 0});
    ASSERT_FALSE(layers.contains("plots")) << "no polygons below plots_min_zoom";
    long long total = 0;
    std::map<std::string, long long> by_stage;
    for (const auto& f : layers.at("pins")) {
        EXPECT_EQ(f.fields.at("cluster"), "1");
        total += std::stoll(f.fields.at("point_count"));
        for (const char* stage : {"surveyed", "digging", "planting", "complete"}) {
            if (!f.fields.at(stage).empty()) by_stage[stage] += std::stoll(f.fields.at(stage));
        }
    }
    EXPECT_EQ(total, 300);
    for (const auto& entry : by_stage) {
        const std::string& stage = entry.first;
        EXPECT_EQ(entry.second, db->read([&](data::connection& c) {
            return c.scalar_int("SELECT count(*) FROM plots WHERE stage = '" + stage + "'");
        })) << stage;
    }
}

TEST_F(tiles_api, caching_etag_304_gzip_and_204) {
    const sample s = first_plot();
    const std::string url = path("plots", geo::tile_containing(s.location, 14));
    const response first = get(url);
    ASSERT_EQ(first.status, 200);
    const std::string etag(*first.header("ETag"));
    EXPECT_EQ(get(url, {{"if-none-match", etag}}).status, 304);
    EXPECT_EQ(get(url, {{"if-none-match", "W/" + etag + ", \"zzz\""}}).status, 304);
    EXPECT_EQ(get(url, {{"if-none-match", "\"other\""}}).status, 200);
    const response gz = get(url, {{"accept-encoding", "gzip, deflate"}});
    EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
    EXPECT_LT(gz.body.size(), first.body.size());
    EXPECT_EQ(get(url, {{"accept-encoding", "gzip;q=0"}}).header("Content-Encoding"), std::nullopt);
    EXPECT_GE(tiles->cache_stats().hits, 3u);
    // Open sea in the Gulf of Thailand: nothing to draw.
    EXPECT_EQ(get(path("plots", geo::tile_containing({101.0, 9.0}, 14))).status, 204);
}

TEST_F(tiles_api, bad_tile_requests_get_clear_4xx) {
    const auto status_detail = [&](const std::string& target, header_list h = {}) {
        const response r = get(target, std::move(h));
        return std::to_string(r.status) + " " + json::parse(r.body.empty() ? "{}" : r.body).value("detail", "");
    };
    EXPECT_EQ(status_detail("/tiles/plots/3/8/0.mvt"), "404 tile 3/8/0 is outside the grid (x and y must be below 8)");
    EXPECT_EQ(status_detail("/tiles/plots/99/0/0.mvt"), "400 tile zoom 99 is above the maximum 24");
    EXPECT_EQ(status_detail("/tiles/plots/a/0/0.mvt"), "400 tile zoom must be a non-negative integer, got \"a\"");
    EXPECT_EQ(status_detail("/tiles/plots/1/0/99999999999999.mvt"), "400 tile y must be a non-negative integer, got \"99999999999999\"");
    EXPECT_EQ(status_detail("/tiles/plots/1/0/0.png"), "404 tiles are served as .mvt (or .pbf), not .png");
    EXPECT_EQ(status_detail("/tiles/plots/1/0/0"), "404 tile URLs end in .mvt (or .pbf), like /tiles/plots/14/12755/7580.mvt");
    const int pbf = get("/tiles/plots/1/0/0.pbf").status;
    EXPECT_TRUE(pbf == 200 || pbf == 204) << ".pbf is a synonym of .mvt, got " << pbf;
    EXPECT_EQ(status_detail("/tiles/roads/1/0/0.mvt"), "404 unknown tileset \"roads\"; there are plots and admin");
    EXPECT_EQ(status_detail("/tiles/plots/1/0/0.mvt", {{"if-none-match", "abc"}}),
              "400 malformed If-None-Match: expected * or quoted entity tags like \"a1b2\", got abc");
    EXPECT_EQ(send("POST", "/tiles/plots/1/0/0.mvt", "", {}).status, 405);
}

TEST_F(tiles_api, an_edit_shows_at_once_in_every_tile_it_touches) {
    const sample s = first_plot();
    const geo::point away{s.location.x + 0.2, s.location.y + 0.2};
    std::map<std::string, std::string> before;
    std::vector<std::string> urls;
    for (const int z : {5, 9, 12, 15}) {
        for (const geo::point p : {s.location, away}) {
            const std::string url = path("plots", geo::tile_containing(p, z));
            urls.push_back(url);
            before[url] = get(url).body; // now cached
        }
    }
    json body = {{"stage", "complete"}};
    const geo::point sw = away;
    body["pin"] = {{"type", "Point"}, {"coordinates", {sw.x + 0.0002, sw.y + 0.0002}}};
    body["boundary"] = {{"type", "Polygon"},
                        {"coordinates", {{{sw.x, sw.y}, {sw.x + 0.0004, sw.y}, {sw.x + 0.0004, sw.y + 0.0004}, {sw.x, sw.y + 0.0004}, {sw.x, sw.y}}}}};
    const response patched = send("PATCH", "/api/v1/plots/" + std::to_string(s.id), body.dump(),
                                  {{"content-type", "application/json"}, {"if-match", "\"1\""}});
    ASSERT_EQ(patched.status, 200) << patched.body;
    for (const std::string& url : urls) EXPECT_NE(get(url).body, before[url]) << url;
    // At zoom 15 the plot has left its old tile and is in the new one.
    const geo::tile_id old_tile = geo::tile_containing(s.location, 15);
    const geo::tile_id new_tile = geo::tile_containing(away, 15);
    const auto has_plot = [&](const geo::tile_id& t) {
        const response r = get(path("plots", t));
        if (r.status == 204) return false;
        const auto layers = decode(r, t);
        if (!layers.contains("plots")) return false;
        for (const auto& f : layers.at("plots")) {
            if (f.id == s.id) return f.fields.at("stage") == "complete";
        }
        return false;
    };
    EXPECT_FALSE(has_plot(old_tile));
    EXPECT_TRUE(has_plot(new_tile));
}

TEST_F(tiles_api, ogc_api_tiles_serve_one_collection_per_tileset) {
    const json meta = json::parse(get("/collections/plots/tiles/WebMercatorQuad").body);
    EXPECT_EQ(meta["tileMatrixSetURI"], "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad");
    EXPECT_EQ(meta["links"][2]["href"],
              "http://maps.example.org:8080/collections/plots/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}");
    EXPECT_EQ(json::parse(get("/tileMatrixSets/WebMercatorQuad").body)["tileMatrices"].size(), 25u);
    EXPECT_EQ(json::parse(get("/collections/pins/tiles").body)["tilesets"].size(), 1u);
    const sample s = first_plot();
    const geo::tile_id t = geo::tile_containing(s.location, 15);
    const response r = get("/collections/plots/tiles/WebMercatorQuad/15/" + std::to_string(t.y) + "/" + std::to_string(t.x));
    ASSERT_EQ(r.status, 200);
    const auto layers = decode(r, t);
    EXPECT_EQ(layers.size(), 1u);
    EXPECT_TRUE(layers.contains("plots"));
    EXPECT_EQ(get("/collections/roads/tiles").status, 404);
    EXPECT_EQ(get("/collections/plots/tiles/WorldCRS84Quad").status, 404);
}

TEST_F(tiles_api, oversized_tiles_are_reduced_and_say_how) {
    config::settings tight = settings;
    tight.tiles.max_tile_bytes = 150;
    plotmap::tiles::tile_service small{*db, tight.tiles, tight.plots.stages};
    const gatekeeper strict_gate(*db, tight);
    app strict{{*db, *plots, *photos, small, stats, tight, strict_gate}};
    const sample s = first_plot();
    request req;
    req.method = "GET";
    req.target = path("plots", geo::tile_containing(s.location, 13));
    const response full = application->handle(req);
    ASSERT_GT(full.body.size(), 150u);
    const response r = strict.handle(req);
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.header("X-Tile-Reduced").has_value());
    EXPECT_LT(r.body.size(), full.body.size());
    // Still a valid tile with the pins.
    const auto layers = decode(r, geo::tile_containing(s.location, 13));
    EXPECT_TRUE(layers.contains("pins"));
}
