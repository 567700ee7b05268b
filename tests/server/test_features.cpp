// OGC API Features through app::handle on a real demo database: the OGC checklist (landing
// links, conformance, collection consistency, limit, paging, bbox, crs, datetime, error
// cases), OpenAPI, HTML, and counts and coordinates checked against SQL on the same file.

#include "app_fixture.hpp"
#include "data/database.hpp"
#include "geo/crs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

using namespace plotmap;
using namespace plotmap::server;
using nlohmann::json;

namespace {

class features_api : public test::app_fixture {
protected:
    features_api() : app_fixture(300) {}

    json get_json(const std::string& target, int status = 200) {
        const response r = anonymous_call("GET", target, {}, {{"host", "plotmap.test"}});
        EXPECT_EQ(r.status, status) << target << " " << r.body;
        return json::parse(r.body);
    }

    std::int64_t sql_count(const std::string& sql) {
        data::connection c(path.string(), data::connection::mode::read_only);
        return c.scalar_int(sql);
    }

    /// Follows next links from `first`, returning every feature id seen.
    std::vector<std::int64_t> walk(const std::string& first, int* pages = nullptr) {
        std::vector<std::int64_t> ids;
        std::string target = first;
        for (int page = 0; page < 1000 && !target.empty(); ++page) {
            const json fc = get_json(target);
            for (const json& f : fc["features"]) ids.push_back(f["id"].get<std::int64_t>());
            target.clear();
            for (const json& l : fc["links"]) {
                if (l["rel"] == "next") target = l["href"].get<std::string>().substr(std::string("http://plotmap.test").size());
            }
            if (pages) *pages = page + 1;
        }
        return ids;
    }

    static std::string link_href(const json& doc, const std::string& rel) {
        for (const json& l : doc["links"]) {
            if (l["rel"] == rel) return l["href"];
        }
        return "";
    }
};

} // namespace

TEST_F(features_api, landing_page_and_conformance_name_what_a_client_needs) {
    const json landing = get_json("/?f=json");
    std::set<std::string> rels;
    for (const json& l : landing["links"]) rels.insert(l["rel"]);
    for (const char* rel : {"self", "service-desc", "conformance", "data"}) EXPECT_TRUE(rels.contains(rel)) << rel;
    const json conf = get_json("/conformance");
    std::set<std::string> classes(conf["conformsTo"].begin(), conf["conformsTo"].end());
    for (const char* c : {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
                          "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
                          "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"}) {
        EXPECT_TRUE(classes.contains(c)) << c;
    }
}

/// Every "href", "url", "tiles" and "servers" URL in a JSON document.
void collect_urls(const json& doc, std::vector<std::string>& out) {
    if (doc.is_object()) {
        for (const auto& [key, value] : doc.items()) {
            if ((key == "href" || key == "url" || key == "glyphs" || key == "$id") && value.is_string()) out.push_back(value);
            if (key == "tiles" && value.is_array()) {
                for (const json& t : value) {
                    if (t.is_string()) out.push_back(t);
                }
            }
            collect_urls(value, out);
        }
    } else if (doc.is_array()) {
        for (const json& v : doc) collect_urls(v, out);
    }
}

/// The documents a client (QGIS, GDAL, MapLibre) follows links from.
const std::vector<std::string> linked_documents{
    "/?f=json", "/collections", "/collections/plots", "/collections/adm2", "/collections/plots/items?limit=2",
    "/collections/pins/items?limit=2&stage=planting", "/collections/adm1/items?limit=2", "/collections/plots/items/1",
    "/collections/pins/queryables", "/api", "/tiles/plots.json", "/tiles/admin.json", "/styles/default.json",
    "/collections/plots/tiles", "/collections/plots/tiles/WebMercatorQuad", "/api/v1/plots?limit=2"};

TEST_F(features_api, every_link_in_every_document_is_absolute_from_the_host_header) {
    // QGIS 3.22 cannot resolve relative links in OGC API documents (it adds no layer).
    for (const std::string& target : linked_documents) {
        const response r = call("GET", target, {}, {{"host", "plotmap.test:8080"}});
        ASSERT_EQ(r.status, 200) << target << " " << r.body;
        std::vector<std::string> urls;
        collect_urls(json::parse(r.body), urls);
        EXPECT_FALSE(urls.empty()) << target;
        for (const std::string& u : urls) {
            EXPECT_TRUE(u.starts_with("http://plotmap.test:8080/") || u == "http://plotmap.test:8080") << target << ": " << u;
        }
    }
    // Without trust_proxy a proxy's headers are not believed.
    const json landing = json::parse(
        anonymous_call("GET", "/?f=json", {}, {{"host", "plotmap.test"}, {"x-forwarded-proto", "https"}, {"forwarded", "host=evil.example"}}).body);
    EXPECT_EQ(link_href(landing, "data"), "http://plotmap.test/collections");
    EXPECT_EQ(anonymous_call("GET", "/?f=json", {}, {{"host", "bad host/"}}).status, 400);
}

class features_behind_proxy : public test::app_fixture {
protected:
    static config::settings behind_proxy() {
        config::settings s;
        s.server.trust_proxy = true;
        return s;
    }
    features_behind_proxy() : app_fixture(20, behind_proxy()) {}

    std::string data_link(server::header_list headers) {
        const response r = anonymous_call("GET", "/?f=json", {}, std::move(headers));
        EXPECT_EQ(r.status, 200) << r.body;
        const json doc = json::parse(r.body);
        for (const json& l : doc["links"]) {
            if (l["rel"] == "data") return l["href"];
        }
        return "";
    }
};

TEST_F(features_behind_proxy, links_follow_forwarded_then_x_forwarded_headers_then_public_url) {
    EXPECT_EQ(data_link({{"host", "10.0.0.5:8080"}, {"x-forwarded-proto", "https"}, {"x-forwarded-host", "plots.example.go.th"}}),
              "https://plots.example.go.th/collections");
    // RFC 7239 wins over X-Forwarded-*; its first element is the client's side.
    EXPECT_EQ(data_link({{"host", "10.0.0.5:8080"},
                         {"forwarded", "for=192.0.2.60;proto=https;host=\"map.example:8443\", for=10.0.0.1;proto=http"},
                         {"x-forwarded-proto", "http"}}),
              "https://map.example:8443/collections");
    EXPECT_EQ(data_link({{"host", "plotmap.test"}, {"x-forwarded-proto", "https"}}), "https://plotmap.test/collections");
    EXPECT_EQ(anonymous_call("GET", "/?f=json", {}, {{"host", "a"}, {"x-forwarded-proto", "gopher"}}).status, 400);
    EXPECT_EQ(anonymous_call("GET", "/?f=json", {}, {{"host", "a"}, {"x-forwarded-host", "a b"}}).status, 400);
    // A configured public URL is the base whatever the request says.
    settings.server.public_url = "https://plotmap.cdd.go.th/";
    EXPECT_EQ(data_link({{"host", "10.0.0.5:8080"}, {"x-forwarded-host", "other.example"}}), "https://plotmap.cdd.go.th/collections");
}

TEST_F(features_api, collections_are_consistent_with_each_collection_document) {
    const json all = get_json("/collections");
    ASSERT_EQ(all["collections"].size(), 5u);
    std::vector<std::string> ids;
    for (const json& c : all["collections"]) {
        ids.push_back(c["id"]);
        EXPECT_EQ(get_json("/collections/" + c["id"].get<std::string>()), c) << c["id"];
        EXPECT_EQ(c["crs"][0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        EXPECT_EQ(c["storageCrs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        std::set<std::string> crs(c["crs"].begin(), c["crs"].end());
        for (const char* code : {"4326", "3857", "32647", "32648", "24047", "24048", "4240"}) {
            EXPECT_TRUE(crs.contains(std::string("http://www.opengis.net/def/crs/EPSG/0/") + code)) << code;
        }
        EXPECT_EQ(link_href(c, "items"), "http://plotmap.test/collections/" + c["id"].get<std::string>() + "/items");
        EXPECT_EQ(c["extent"]["spatial"]["bbox"][0].size(), 4u);
        EXPECT_EQ(c["itemType"], "feature");
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"plots", "pins", "adm1", "adm2", "adm3"}));
    EXPECT_EQ(get_json("/collections/roads", 404)["status"], 404);
}

TEST_F(features_api, counts_match_the_store_and_next_links_page_through_everything) {
    const std::int64_t with_boundary = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND boundary IS NOT NULL");
    const std::int64_t pins = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL");
    ASSERT_GT(with_boundary, 0);
    const json first = get_json("/collections/plots/items?limit=7");
    EXPECT_EQ(first["numberMatched"], with_boundary);
    EXPECT_EQ(first["numberReturned"], 7);
    EXPECT_EQ(first["type"], "FeatureCollection");
    int pages = 0;
    const std::vector<std::int64_t> ids = walk("/collections/pins/items?limit=40", &pages);
    EXPECT_EQ(static_cast<std::int64_t>(ids.size()), pins);
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size()); // none twice
    EXPECT_EQ(pages, static_cast<int>((pins + 39) / 40));
    EXPECT_EQ(walk("/collections/adm1/items?limit=20").size(), 77u);
    EXPECT_EQ(get_json("/collections/adm3/items?limit=1")["numberMatched"], 7425);
    // limit beyond the maximum is clamped, never refused; below 1 is an error.
    EXPECT_EQ(get_json("/collections/pins/items?limit=100000")["numberReturned"], std::min<std::int64_t>(pins, 1000));
    EXPECT_EQ(get_json("/collections/pins/items?limit=0", 400)["status"], 400);
    EXPECT_EQ(get_json("/collections/pins/items?limit=ten", 400)["status"], 400);
}

TEST_F(features_api, bbox_filters_by_geometry_in_any_listed_crs) {
    const std::string where = "BuildMbr(99.5, 16.5, 100.5, 17.5, 4326)";
    const std::int64_t expected = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND ST_Intersects(location, " + where + ")" + test::per_backend(" = 1", ""));
    ASSERT_GT(expected, 0);
    EXPECT_EQ(get_json("/collections/pins/items?bbox=99.5,16.5,100.5,17.5")["numberMatched"], expected);
    // EPSG:4326 takes latitude first, as the CRS defines.
    const std::string lat_lon = "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326";
    EXPECT_EQ(get_json("/collections/pins/items?bbox=16.5,99.5,17.5,100.5" + lat_lon)["numberMatched"], expected);
    const json polygons = get_json("/collections/plots/items?limit=1000&bbox=99.5,16.5,100.5,17.5");
    EXPECT_EQ(polygons["numberMatched"],
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND ST_Intersects(boundary, " + where + ")" + test::per_backend(" = 1", "")));
    EXPECT_EQ(get_json("/collections/pins/items?bbox=1,2,3", 400)["status"], 400);
    EXPECT_EQ(get_json("/collections/pins/items?bbox=100,17,99,16", 400)["status"], 400);
    EXPECT_EQ(get_json("/collections/pins/items?bbox=99,16,100,17&bbox-crs=EPSG:9999", 400)["status"], 400);
}

TEST_F(features_api, crs_gives_coordinates_in_that_crs_with_its_axis_order_and_says_so) {
    const json lonlat = get_json("/collections/pins/items?limit=1");
    const double lon = lonlat["features"][0]["geometry"]["coordinates"][0];
    const double lat = lonlat["features"][0]["geometry"]["coordinates"][1];
    const std::int64_t id = lonlat["features"][0]["id"];
    {
        data::connection c(path.string(), data::connection::mode::read_only);
        data::statement st(c, "SELECT ST_X(location), ST_Y(location) FROM plots WHERE id = ?1");
        st.bind(1, id);
        ASSERT_TRUE(st.step());
        EXPECT_DOUBLE_EQ(lon, st.real(0));
        EXPECT_DOUBLE_EQ(lat, st.real(1));
    }
    const response r = anonymous_call("GET", "/collections/pins/items/" + std::to_string(id) + "?crs=EPSG:4326");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Crs"), "<http://www.opengis.net/def/crs/EPSG/0/4326>");
    EXPECT_EQ(r.header("Content-Type"), "application/geo+json");
    const json swapped = json::parse(r.body);
    EXPECT_DOUBLE_EQ(swapped["geometry"]["coordinates"][0].get<double>(), lat);
    EXPECT_DOUBLE_EQ(swapped["geometry"]["coordinates"][1].get<double>(), lon);
    const response utm = anonymous_call("GET", "/collections/pins/items/" + std::to_string(id) +
                                                   "?crs=http://www.opengis.net/def/crs/EPSG/0/32647");
    EXPECT_EQ(utm.header("Content-Crs"), "<http://www.opengis.net/def/crs/EPSG/0/32647>");
    const geo::point expected = geo::transformer_for(geo::crs84(), geo::find_crs("EPSG:32647")).apply({lon, lat});
    const json e = json::parse(utm.body)["geometry"]["coordinates"];
    EXPECT_NEAR(e[0].get<double>(), expected.x, 1e-6);
    EXPECT_NEAR(e[1].get<double>(), expected.y, 1e-6);
    const response mercator = anonymous_call("GET", "/collections/pins/items/" + std::to_string(id) + "?crs=EPSG:3857");
    EXPECT_EQ(mercator.header("Content-Crs"), "<http://www.opengis.net/def/crs/EPSG/0/3857>");
    EXPECT_NEAR(json::parse(mercator.body)["geometry"]["coordinates"][0].get<double>(), lon * 20037508.342789244 / 180.0, 1e-3);
    EXPECT_EQ(anonymous_call("GET", "/collections/pins/items?crs=EPSG:2000").status, 400);
}

TEST_F(features_api, cql2_filters_in_text_and_json_on_every_collection) {
    const json conf = get_json("/conformance");
    const std::set<std::string> classes(conf["conformsTo"].begin(), conf["conformsTo"].end());
    for (const char* c : {"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
                          "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
                          "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text", "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
                          "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
                          "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
                          "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions"}) {
        EXPECT_TRUE(classes.contains(c)) << c;
    }
    const std::string live = "SELECT count(*) FROM plots WHERE deleted_at IS NULL";
    EXPECT_EQ(get_json("/collections/pins/items?filter=stage%20%3D%20%27complete%27")["numberMatched"],
              sql_count(live + " AND stage = 'complete'"));
    EXPECT_EQ(get_json("/collections/plots/items?filter-lang=cql2-text&filter=stage%20IN%20(%27digging%27,%27planting%27)%20AND%20"
                       "S_INTERSECTS(geometry,BBOX(100,14,104,17))")["numberMatched"],
              sql_count(live + " AND stage IN ('digging','planting') AND ST_Intersects(boundary, BuildMbr(100,14,104,17,4326))" + test::per_backend(" = 1", "")));
    // filter-crs: the same box in UTM zone 47N metres and as EPSG:4326 lat,lon.
    const std::int64_t in_box = sql_count(live + " AND ST_Intersects(location, BuildMbr(99,14,100,17,4326))" + test::per_backend(" = 1", ""));
    EXPECT_EQ(get_json("/collections/pins/items?filter=S_INTERSECTS(geometry,BBOX(14,99,17,100))&filter-crs=EPSG:4326")["numberMatched"], in_box);
    // Combined with the simple filters and paging: the next link keeps the filter.
    const std::string json_filter = "%7B%22op%22%3A%22%3D%22%2C%22args%22%3A%5B%7B%22property%22%3A%22program%22%7D%2C%22HLM%22%5D%7D";
    const std::int64_t hlm_2024 = sql_count(live + " AND program = 'HLM' AND budget_year = 2024");
    EXPECT_EQ(walk("/collections/pins/items?limit=10&budget_year=2024&filter-lang=cql2-json&filter=" + json_filter).size(),
              static_cast<std::size_t>(hlm_2024));
    EXPECT_EQ(get_json("/collections/adm2/items?filter=name_en%20LIKE%20%27Mueang%25%27")["numberMatched"],
              sql_count(test::per_backend("SELECT count(*) FROM adm2 WHERE name_en GLOB 'Mueang*'", "SELECT count(*) FROM adm2 WHERE name_en ~ '^Mueang'")));
    EXPECT_EQ(get_json("/collections/adm1/items?filter=S_INTERSECTS(geometry,POINT(100.5%2013.75))")["numberMatched"], 1);

    // Errors are problems that say where.
    const json bad = get_json("/collections/pins/items?filter=stage%20%3D%20%27complete", 400);
    EXPECT_EQ(bad["status"], 400);
    EXPECT_NE(bad["detail"].get<std::string>().find("at character 9"), std::string::npos) << bad;
    EXPECT_NE(get_json("/collections/pins/items?filter=owner_name%20%3D%20%27x%27", 400)["detail"].get<std::string>().find("unknown property"),
              std::string::npos);
    get_json("/collections/pins/items?filter=stage%3D%27x%27&filter-lang=cql3", 400);
    get_json("/collections/pins/items?filter-crs=EPSG:4326", 400);

    const json q = get_json("/collections/plots/queryables");
    EXPECT_EQ(q["properties"]["geometry"]["$ref"], "https://geojson.org/schema/MultiPolygon.json");
    EXPECT_EQ(q["properties"]["updated_at"]["format"], "date-time");
    EXPECT_EQ(q["properties"]["budget_year"]["type"], "integer");
    EXPECT_FALSE(q["properties"].contains("owner_name")); // personal fields are not filterable
}

TEST_F(features_api, property_filters_datetime_and_unknown_parameters) {
    const std::int64_t hlm = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND program = 'HLM'");
    EXPECT_EQ(get_json("/collections/pins/items?program=HLM")["numberMatched"], hlm);
    const std::int64_t staged =
        sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND stage = 'digging' AND adm1 = '64'");
    EXPECT_EQ(get_json("/collections/pins/items?stage=digging&adm1=64")["numberMatched"], staged);
    const std::int64_t year = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND budget_year = 2024");
    EXPECT_EQ(get_json("/collections/pins/items?budget_year=2024")["numberMatched"], year);
    EXPECT_EQ(get_json("/collections/adm2/items?adm1=64")["numberMatched"], sql_count("SELECT count(*) FROM adm2 WHERE adm1 = '64'"));

    const std::int64_t all = sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL");
    EXPECT_EQ(get_json("/collections/pins/items?datetime=2000-01-01T00:00:00Z/..")["numberMatched"], all);
    EXPECT_EQ(get_json("/collections/pins/items?datetime=../2000-01-01")["numberMatched"], 0);
    const std::string day = [&] {
        data::connection c(path.string(), data::connection::mode::read_only);
        data::statement st(c, "SELECT substr(min(updated_at), 1, 10) FROM plots");
        EXPECT_TRUE(st.step());
        return std::string(st.text(0));
    }();
    EXPECT_EQ(get_json("/collections/pins/items?datetime=" + day)["numberMatched"],
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND substr(updated_at, 1, 10) = '" + day + "'"));
    EXPECT_EQ(get_json("/collections/pins/items?datetime=" + day + "/" + day)["numberMatched"],
              sql_count("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND substr(updated_at, 1, 10) = '" + day + "'"));
    EXPECT_EQ(get_json("/collections/pins/items?datetime=yesterday", 400)["status"], 400);
    EXPECT_EQ(get_json("/collections/pins/items?datetime=2026-01-02/2026-01-01", 400)["status"], 400);
    EXPECT_EQ(get_json("/collections/pins/items?colour=red", 400)["detail"], "unknown query parameter \"colour\"");
    EXPECT_EQ(get_json("/collections/adm1/items?datetime=2026-01-01", 400)["status"], 400);
}

TEST_F(features_api, single_features_have_integer_ids_and_public_fields_for_the_public) {
    const json pin = get_json("/collections/pins/items/1");
    EXPECT_EQ(pin["id"], 1);
    EXPECT_EQ(pin["type"], "Feature");
    EXPECT_FALSE(pin["properties"].contains("owner_name"));
    EXPECT_FALSE(pin["properties"].contains("owner_phone"));
    EXPECT_TRUE(pin["properties"].contains("code"));
    const json full = json::parse(call("GET", "/collections/pins/items/1").body); // the fixture's admin
    EXPECT_TRUE(full["properties"].contains("owner_name"));
    EXPECT_EQ(get_json("/collections/adm1/items/64")["properties"]["name_en"], "Sukhothai");
    EXPECT_EQ(get_json("/collections/adm3/items/640101")["properties"]["adm2"], "6401");
    EXPECT_EQ(get_json("/collections/pins/items/999999", 404)["status"], 404);
    EXPECT_EQ(get_json("/collections/pins/items/abc", 404)["status"], 404);
    EXPECT_EQ(get_json("/collections/adm1/items/99", 404)["status"], 404);
}

TEST_F(features_api, openapi_lists_every_items_path_with_its_parameters) {
    const response r = anonymous_call("GET", "/api");
    EXPECT_EQ(r.header("Content-Type"), "application/vnd.oai.openapi+json;version=3.0");
    const json api = json::parse(r.body);
    EXPECT_EQ(api["openapi"], "3.0.3");
    const json& limit = api["components"]["parameters"]["limit"];
    EXPECT_EQ(limit["schema"]["minimum"], 1);
    EXPECT_EQ(limit["schema"]["maximum"], 1000);
    EXPECT_EQ(limit["schema"]["default"], 100);
    for (const char* id : {"plots", "pins", "adm1", "adm2", "adm3"}) {
        const json& op = api["paths"][std::string("/collections/") + id + "/items"]["get"];
        ASSERT_TRUE(op.is_object()) << id;
        bool has_limit = false;
        for (const json& p : op["parameters"]) {
            if (p.contains("$ref")) {
                has_limit = has_limit || p["$ref"] == "#/components/parameters/limit";
            } else {
                EXPECT_EQ(p["style"], "form") << id;
                EXPECT_EQ(p["explode"], false) << id;
            }
        }
        EXPECT_TRUE(has_limit) << id;
    }
    const json q = get_json("/collections/plots/queryables");
    EXPECT_EQ(q["properties"]["stage"]["enum"], (json{"surveyed", "digging", "planting", "complete"}));
}

TEST_F(features_api, every_page_has_an_html_version_for_people) {
    for (const std::string target : {"/collections", "/collections/plots", "/collections/plots/items", "/collections/pins/items/1",
                                     "/conformance", "/api"}) {
        const response r = anonymous_call("GET", target, {}, {{"accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
        EXPECT_EQ(r.status, 200) << target;
        EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8") << target;
        EXPECT_NE(r.body.find("<!doctype html>"), std::string::npos) << target;
        EXPECT_EQ(r.body.find("owner_name"), std::string::npos) << target;
    }
    EXPECT_EQ(anonymous_call("GET", "/collections?f=xml").status, 400);
}
