// Vector tiles: XYZ tiles, TileJSON, the MapLibre style, and the OGC API Tiles form
// (docs/tiles.md).

#include "geo/text.hpp"
#include "geo/error.hpp"
#include "server/routes/routes.hpp"
#include "tiles/archive_source.hpp"
#include "tiles/bake.hpp"
#include "tiles/tile_cache.hpp"
#include "tiles/tile_service.hpp"
#include "tiles/documents.hpp"
#include "tiles/tile_address.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

constexpr const char* mvt_type = "application/vnd.mapbox-vector-tile";
constexpr const char* web_mercator_quad_uri = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";


/// Entity tags of If-None-Match ("*" included as is). @throws bad_request if malformed (RFC 9110 §13.1.2).
std::vector<std::string> if_none_match(const request& req) {
    std::vector<std::string> tags;
    const auto header = req.header("if-none-match");
    if (!header) return tags;
    std::string_view v = *header;
    const auto malformed = [&] {
        return bad_request("malformed If-None-Match: expected * or quoted entity tags like \"a1b2\", got " +
                           geo::utf8_prefix(*header, 60));
    };
    while (!v.empty()) {
        while (!v.empty() && (v.front() == ' ' || v.front() == ',')) v.remove_prefix(1);
        if (v.empty()) break;
        if (v.front() == '*') {
            tags.emplace_back("*");
            v.remove_prefix(1);
            continue;
        }
        if (v.substr(0, 2) == "W/") v.remove_prefix(2); // weak comparison for If-None-Match
        if (v.empty() || v.front() != '"') throw malformed();
        const auto close = v.find('"', 1);
        if (close == std::string_view::npos) throw malformed();
        tags.emplace_back(v.substr(0, close + 1));
        v.remove_prefix(close + 1);
        if (!v.empty() && v.front() != ',' && v.front() != ' ') throw malformed();
    }
    return tags;
}

void public_headers(response& r) {
    r.set("Access-Control-Allow-Origin", "*");
}

/// "public" when anyone may read tiles (shared caches and CDNs may keep them), else
/// "private" (only the signed-in client's own cache).
std::string visibility(const context& ctx) { return ctx.gate.anonymous_public() ? "public" : "private"; }

/// "?token=…" when the request authenticated with a ?token= API token, so that URLs handed
/// out (TileJSON tile templates, style sources) work in the same tool; else "".
std::string token_query(const request& req) { return req.url_token ? "?token=" + *req.url_token : std::string(); }

/// Whether the client's If-None-Match holds `etag` (or "*"): the answer is then 304.
/// @throws bad_request if the header is malformed.
bool not_modified(const request& req, const std::string& etag) {
    const std::vector<std::string> wanted = if_none_match(req);
    return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) { return w == "*" || w == etag; });
}

/// What every tile answer carries (ETag, caching, Vary, CORS, what the size limit dropped);
/// status 304 when the client's If-None-Match holds the ETag.
response tile_head(const request& req, const context& ctx, const std::string& etag, const std::string& reduced) {
    response r;
    r.set("ETag", etag);
    r.set("Cache-Control", visibility(ctx) + (ctx.settings.tiles.max_age_s > 0
                                                  ? ", max-age=" + std::to_string(ctx.settings.tiles.max_age_s)
                                                  : std::string(", no-cache")));
    r.set("Vary", "Accept-Encoding");
    public_headers(r);
    if (!reduced.empty()) r.set("X-Tile-Reduced", reduced);
    if (not_modified(req, etag)) r.status = 304;
    return r;
}

/// The response for a tile already made (from the cache or just now).
response tile_response(const request& req, const context& ctx, const std::shared_ptr<const tiles::cached_tile>& tile) {
    response r = tile_head(req, ctx, tile->etag, tile->reduced);
    if (r.status == 304) return r;
    if (tile->raw.empty()) {
        r.status = 204;
        return r;
    }
    r.set("Content-Type", mvt_type);
    if (accepts_gzip(req) && !tile->gzipped.empty()) {
        r.set("Content-Encoding", "gzip");
        r.body = tile->gzipped;
    } else {
        r.body = tile->raw;
    }
    return r;
}

/// A tile of a baked archive (tiles.archives), answered as the server's own are: ETag,
/// If-None-Match, gzip for clients that take it, 204 where the archive has none. The ETag is
/// of the bytes as stored and a gzipped tile goes out as stored: it is unzipped only for a
/// client that does not take gzip.
response archive_tile_response(const request& req, const context& ctx, tiles::archive_source& a, const geo::tile_id& t) {
    std::string stored = a.tile(t);
    response r = tile_head(req, ctx, tiles::tile_etag(stored), {});
    if (r.status == 304) return r;
    if (stored.empty()) {
        r.status = 204;
        return r;
    }
    r.set("Content-Type", mvt_type);
    const bool gzipped = stored.size() >= 2 && static_cast<unsigned char>(stored[0]) == 0x1f && static_cast<unsigned char>(stored[1]) == 0x8b;
    if (accepts_gzip(req)) {
        r.set("Content-Encoding", "gzip");
        r.body = gzipped ? std::move(stored) : tiles::gzip(stored); // another tool's archive may hold tiles uncompressed
    } else {
        r.body = gzipped ? tiles::gunzip(stored, std::size_t{64} << 20) : std::move(stored);
    }
    return r;
}

/// An archive's file in byte ranges (RFC 9110), with an ETag of the file's version and CORS.
response archive_file_response(const request& req, const context& ctx, const std::filesystem::path& file, tiles::archive_format format) {
    const tiles::file_identity id = tiles::identity_of(file);
    char tag[96];
    std::snprintf(tag, sizeof tag, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(id.inode),
                  static_cast<unsigned long long>(id.size), static_cast<unsigned long long>(id.modified_ns));
    const auto cors = [](response& res) {
        public_headers(res);
        res.set("Access-Control-Expose-Headers", "ETag, Content-Range, Content-Length, Accept-Ranges");
    };
    response res;
    res.set("ETag", tag);
    res.set("Cache-Control", visibility(ctx) + ", no-cache");
    if (not_modified(req, tag)) {
        res.status = 304;
        cors(res);
        return res;
    }
    res.body_file = file.string();
    res.set("Content-Type", format == tiles::archive_format::pmtiles ? "application/vnd.pmtiles" : "application/vnd.sqlite3");
    apply_range(req, res, id.size);
    cors(res);
    return res;
}

/// TileJSON for an archive: its own zooms, bounds and layers, tiles served from it here.
json archive_tilejson(tiles::archive_source& a, const std::string& base, const std::string& query) {
    json j = a.facts();
    j["tilejson"] = "3.0.0";
    j["scheme"] = "xyz";
    j["tiles"] = json::array({base + "/tiles/" + a.name() + "/{z}/{x}/{y}.mvt" + query});
    if (!j.contains("name")) j["name"] = a.name();
    return j;
}

/// The default style drawing from an archive what it holds: the source whose layers the
/// archive has (plots and pins, or the admin layers) reads the archive's TileJSON instead.
json archive_style(json style, tiles::archive_source& a, const std::string& base, const std::string& query) {
    bool plots = false;
    bool admin = false;
    const json facts = a.facts();
    for (const json& layer : facts.value("vector_layers", json::array())) {
        const std::string id = layer.is_object() ? layer.value("id", "") : "";
        plots = plots || id == "plots" || id == "pins";
        admin = admin || id == "adm1" || id == "adm2" || id == "adm3" || id == "admin_labels";
    }
    if (!plots && !admin) throw not_found("archive \"" + a.name() + "\" holds none of the default style's layers (plots, pins, adm1-3)");
    const std::string url = base + "/tiles/" + a.name() + ".json" + query;
    if (plots) style["sources"]["plots"]["url"] = url;
    if (admin) style["sources"]["admin"]["url"] = url;
    style["name"] = style.value("name", std::string("plotmap")) + " (" + a.name() + ")";
    return style;
}

response json_document(const context& ctx, const json& doc) {
    response r = make_response(200, "application/json", geo::json_text(doc));
    r.set("Cache-Control", visibility(ctx) + ", no-cache");
    public_headers(r);
    return r;
}

/// "3.mvt" -> "3"; other endings are not tiles plotmap serves.
std::string_view strip_tile_extension(std::string_view file) {
    for (const std::string_view ext : {".mvt", ".pbf"}) {
        if (file.size() > ext.size() && file.substr(file.size() - ext.size()) == ext) {
            return file.substr(0, file.size() - ext.size());
        }
    }
    const auto dot = file.rfind('.');
    throw not_found(dot == std::string_view::npos
                        ? std::string("tile URLs end in .mvt (or .pbf), like /tiles/plots/14/12755/7580.mvt")
                        : "tiles are served as .mvt (or .pbf), not " + std::string(file.substr(dot)));
}

const tiles::tileset& collection_tileset(const std::string& id) {
    for (const tiles::tileset& t : tiles::tilesets()) {
        if (t.name == "collection:" + id) return t;
    }
    throw not_found("there is no collection \"" + geo::utf8_prefix(id, 40) + "\" with tiles; there are plots, pins, adm1, adm2, adm3");
}

json tile_matrix_set() {
    json matrices = json::array();
    for (int z = 0; z <= geo::max_zoom; ++z) {
        const double n = std::ldexp(1.0, z);
        matrices.push_back({{"id", std::to_string(z)},
                            {"scaleDenominator", 559082264.028717 / n},
                            {"cellSize", 156543.033928041 / n},
                            {"cornerOfOrigin", "topLeft"},
                            {"pointOfOrigin", {-geo::mercator_max, geo::mercator_max}},
                            {"tileWidth", 256},
                            {"tileHeight", 256},
                            {"matrixWidth", static_cast<std::int64_t>(n)},
                            {"matrixHeight", static_cast<std::int64_t>(n)}});
    }
    return {{"id", "WebMercatorQuad"},
            {"title", "Google Maps Compatible for the World"},
            {"uri", web_mercator_quad_uri},
            {"crs", "http://www.opengis.net/def/crs/EPSG/0/3857"},
            {"orderedAxes", {"E", "N"}},
            {"wellKnownScaleSet", "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"},
            {"tileMatrices", std::move(matrices)}};
}

json tileset_metadata(const tiles::tileset& ts, const std::string& id, const std::string& base, const context& ctx) {
    json layers = json::array();
    for (const tiles::tile_layer layer : ts.layers) {
        const tiles::layer_info info = tiles::describe(layer, ctx.tiles.zooms(), ctx.tiles.stages());
        json properties = json::object();
        for (const auto& [name, type] : info.fields) {
            properties[name] = {{"type", type == "Number" ? "number" : type == "Boolean" ? "boolean" : "string"}};
        }
        layers.push_back({{"id", info.name},
                          {"title", info.description},
                          {"dataType", "vector"},
                          {"geometryDimension", layer == tiles::tile_layer::pins || layer == tiles::tile_layer::admin_labels ? 0 : 2},
                          {"minTileMatrix", std::to_string(info.min_zoom)},
                          {"maxTileMatrix", std::to_string(info.max_zoom)},
                          {"propertiesSchema", {{"type", "object"}, {"properties", std::move(properties)}}}});
    }
    const std::string self = base + "/collections/" + id + "/tiles/WebMercatorQuad";
    return {{"title", ts.title},
            {"dataType", "vector"},
            {"crs", "http://www.opengis.net/def/crs/EPSG/0/3857"},
            {"tileMatrixSetURI", web_mercator_quad_uri},
            {"layers", std::move(layers)},
            {"links",
             {{{"rel", "self"}, {"type", "application/json"}, {"href", self}},
              {{"rel", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"}, {"type", "application/json"},
               {"href", base + "/tileMatrixSets/WebMercatorQuad"}},
              {{"rel", "item"}, {"type", mvt_type}, {"templated", true},
               {"href", self + "/{tileMatrix}/{tileRow}/{tileCol}"}}}}};
}

} // namespace

void add_tiles(router& r, const context& ctx) {
    r.add("GET", "/tiles/{tileset}/{z}/{x}/{file}", access::read, [&ctx](const request& req, const path_params& p) {
        if (tiles::archive_source* a = ctx.tiles.archive(p.at("tileset"))) {
            return archive_tile_response(req, ctx, *a, tiles::parse_tile_address(p.at("z"), p.at("x"), strip_tile_extension(p.at("file"))));
        }
        const tiles::tileset& ts = tiles::find_tileset(p.at("tileset"));
        if (ts.name.rfind("collection:", 0) == 0) throw not_found("unknown tileset \"" + ts.name + "\"");
        const std::string_view y = strip_tile_extension(p.at("file"));
        return tile_response(req, ctx,
                             ctx.tiles.get(ts, tiles::parse_tile_address(p.at("z"), p.at("x"), y), "public", accepts_gzip(req)));
    });

    r.add("GET", "/tiles/{file}", access::read, [&ctx](const request& req, const path_params& p) {
        const std::string& file = p.at("file");
        if (file.size() <= 5 || file.substr(file.size() - 5) != ".json") {
            throw not_found("TileJSON documents are at /tiles/plots.json and /tiles/admin.json");
        }
        if (tiles::archive_source* a = ctx.tiles.archive(file.substr(0, file.size() - 5))) {
            return json_document(ctx, archive_tilejson(*a, base_url(req, ctx), token_query(req)));
        }
        const tiles::tileset& ts = tiles::find_tileset(file.substr(0, file.size() - 5));
        if (ts.name.rfind("collection:", 0) == 0) throw not_found("unknown tileset \"" + ts.name + "\"");
        const geo::bbox bounds = ts.plot_data ? ctx.tiles.plots_bounds()
                                              : geo::bbox{ctx.settings.plots.region_bbox[0], ctx.settings.plots.region_bbox[1],
                                                          ctx.settings.plots.region_bbox[2], ctx.settings.plots.region_bbox[3]};
        return json_document(ctx, tiles::tilejson(ts, base_url(req, ctx), token_query(req), ctx.tiles.zooms(), ctx.tiles.stages(), bounds));
    });

    // The archives served here (tiles.archives): what the embed builder offers as a source.
    r.add("GET", "/archives", access::read, [&ctx](const request& req, const path_params&) {
        const std::string base = base_url(req, ctx);
        json list = json::array();
        for (const auto& a : ctx.tiles.archives()) {
            const std::string file = a->file().filename().string();
            list.push_back({{"name", a->name()},
                            {"file", file},
                            {"format", a->format() == tiles::archive_format::pmtiles ? "pmtiles" : "mbtiles"},
                            {"href", base + "/archives/" + file},
                            {"tilejson", base + "/tiles/" + a->name() + ".json"},
                            {"style", base + "/styles/" + a->name() + ".json"}});
        }
        return json_document(ctx, json{{"archives", std::move(list)}});
    });

    // A baked archive's file itself, in byte ranges (RFC 9110): what MapLibre's pmtiles://
    // protocol reads, as it would from any static host.
    r.add("GET", "/archives/{file}", access::read, [&ctx](const request& req, const path_params& p) {
        tiles::archive_source* a = ctx.tiles.archive_file(p.at("file"));
        if (a == nullptr) throw not_found("no archive \"" + geo::utf8_prefix(p.at("file"), 60) + "\" is served here (see tiles.archives)");
        return archive_file_response(req, ctx, a->file(), a->format());
    });

    // A district pack for the field app's offline download: made at the first request, brought
    // up to date from the plot history at each later one. For signed-in users and tokens only:
    // a first request costs a bake, which anonymous clients should not be able to start at will.
    r.add("GET", "/api/v1/packs/{file}", access::signed_in, [&ctx](const request& req, const path_params& p) {
        const std::string& file = p.at("file");
        if (!file.ends_with(".pmtiles")) throw not_found("packs are PMTiles archives, like /api/v1/packs/6401.pmtiles");
        const std::filesystem::path pack = tiles::district_pack(ctx.tiles, file.substr(0, file.size() - 8));
        return archive_file_response(req, ctx, pack, tiles::archive_format::pmtiles);
    });

    r.add("GET", "/styles/{file}", access::read, [&ctx](const request& req, const path_params& p) {
        const std::string& file = p.at("file");
        tiles::archive_source* archive = file != "default.json" && file.ends_with(".json") ? ctx.tiles.archive(file.substr(0, file.size() - 5)) : nullptr;
        if (file != "default.json" && archive == nullptr) {
            throw not_found("the styles are /styles/default.json and /styles/NAME.json for each archive served (see /archives)");
        }
        const auto& web = ctx.settings.web;
        const tiles::basemap under{web.basemap_url, web.basemap_attribution, web.basemap_max_zoom};
        json style = tiles::default_style(base_url(req, ctx), token_query(req), ctx.tiles.zooms(), ctx.tiles.stages(),
                                          web.basemap_url.empty() ? nullptr : &under);
        if (archive != nullptr) style = archive_style(std::move(style), *archive, base_url(req, ctx), token_query(req));
        return json_document(ctx, style);
    });

    r.add("GET", "/fonts/{fontstack}/{file}", access::open, [&ctx](const request&, const path_params& p) {
        const std::string& file = p.at("file");
        if (file.size() <= 4 || file.substr(file.size() - 4) != ".pbf") throw not_found("glyph URLs end in .pbf");
        const auto pbf = ctx.tiles.glyphs(p.at("fontstack"), file.substr(0, file.size() - 4));
        response res = make_response(200, "application/x-protobuf", *pbf);
        res.set("Cache-Control", "public, max-age=86400");
        public_headers(res);
        return res;
    });

    r.add("GET", "/tileMatrixSets", access::open, [&ctx](const request& req, const path_params&) {
        const std::string base = base_url(req, ctx);
        return json_document(ctx, {{"tileMatrixSets",
                               {{{"id", "WebMercatorQuad"},
                                 {"title", "Google Maps Compatible for the World"},
                                 {"uri", web_mercator_quad_uri},
                                 {"links", {{{"rel", "self"}, {"href", base + "/tileMatrixSets/WebMercatorQuad"}}}}}}}});
    });

    r.add("GET", "/tileMatrixSets/{id}", access::open, [&ctx](const request&, const path_params& p) {
        if (p.at("id") != "WebMercatorQuad") throw not_found("the only tile matrix set is WebMercatorQuad");
        return json_document(ctx, tile_matrix_set());
    });

    r.add("GET", "/collections/{id}/tiles", access::read, [&ctx](const request& req, const path_params& p) {
        const tiles::tileset& ts = collection_tileset(p.at("id"));
        const std::string base = base_url(req, ctx);
        const std::string self = base + "/collections/" + p.at("id") + "/tiles";
        return json_document(ctx, 
            {{"links", {{{"rel", "self"}, {"type", "application/json"}, {"href", self}}}},
             {"tilesets",
              {{{"title", ts.title},
                {"dataType", "vector"},
                {"crs", "http://www.opengis.net/def/crs/EPSG/0/3857"},
                {"tileMatrixSetURI", web_mercator_quad_uri},
                {"links", {{{"rel", "self"}, {"type", "application/json"}, {"href", self + "/WebMercatorQuad"}}}}}}}});
    });

    r.add("GET", "/collections/{id}/tiles/{tms}", access::read, [&ctx](const request& req, const path_params& p) {
        if (p.at("tms") != "WebMercatorQuad") throw not_found("the only tile matrix set is WebMercatorQuad");
        return json_document(ctx, tileset_metadata(collection_tileset(p.at("id")), p.at("id"), base_url(req, ctx), ctx));
    });

    r.add("GET", "/collections/{id}/tiles/{tms}/{z}/{y}/{x}", access::read, [&ctx](const request& req, const path_params& p) {
        if (p.at("tms") != "WebMercatorQuad") throw not_found("the only tile matrix set is WebMercatorQuad");
        const tiles::tileset& ts = collection_tileset(p.at("id"));
        return tile_response(
            req, ctx, ctx.tiles.get(ts, tiles::parse_tile_address(p.at("z"), p.at("x"), p.at("y")), "public", accepts_gzip(req)));
    });
}

void add_cached_tiles(router& r, const context& ctx) {
    const auto answer = [&ctx](const request& req, const tiles::tileset& ts, const geo::tile_id& t) {
        const auto tile = ctx.tiles.cached(ts, t, "public", accepts_gzip(req));
        if (!tile) {
            response miss;
            miss.status = not_handled;
            return miss;
        }
        return tile_response(req, ctx, tile);
    };
    r.add("GET", "/tiles/{tileset}/{z}/{x}/{file}", access::read, [answer](const request& req, const path_params& p) {
        const tiles::tileset& ts = tiles::find_tileset(p.at("tileset"));
        if (ts.name.rfind("collection:", 0) == 0) throw not_found("unknown tileset");
        return answer(req, ts, tiles::parse_tile_address(p.at("z"), p.at("x"), strip_tile_extension(p.at("file"))));
    });
    r.add("GET", "/collections/{id}/tiles/{tms}/{z}/{y}/{x}", access::read, [answer](const request& req, const path_params& p) {
        if (p.at("tms") != "WebMercatorQuad") throw not_found("unknown tile matrix set");
        return answer(req, collection_tileset(p.at("id")), tiles::parse_tile_address(p.at("z"), p.at("x"), p.at("y")));
    });
}

} // namespace plotmap::server::routes
