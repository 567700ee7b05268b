// /api/v1/plots through app::handle with a real database (no socket).

#include "app_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace plotmap;
using namespace plotmap::server;
using nlohmann::json;

namespace {

const char* boundary_json =
    R"({"type":"Polygon","coordinates":[[[99.823,17.0078],[99.8234,17.0078],[99.8234,17.0082],[99.823,17.0082],[99.823,17.0078]]]})";

class plots_api : public test::app_fixture {
protected:
    plots_api() : app_fixture(0) {}

    response call(const std::string& method, const std::string& target, const std::string& body = {},
                  header_list headers = {{"content-type", "application/json"}}) {
        return app_fixture::call(method, target, body, std::move(headers));
    }
    json create(const std::string& extra = "") {
        const response r = call("POST", "/api/v1/plots",
                                R"({"program":"HLM","name":"แปลง ก",)" + extra + R"("boundary":)" + boundary_json + "}");
        EXPECT_EQ(r.status, 201) << r.body;
        return json::parse(r.body);
    }
    static std::string detail(const response& r) { return json::parse(r.body).value("detail", ""); }
};

} // namespace

TEST_F(plots_api, create_returns_201_location_etag_and_computed_fields) {
    const response r = call("POST", "/api/v1/plots", R"({"program":"HLM","declared_area_rai":"1-0-0","boundary":)" +
                                                          std::string(boundary_json) + "}");
    ASSERT_EQ(r.status, 201) << r.body;
    const json p = json::parse(r.body);
    EXPECT_EQ(r.header("Location"), "/api/v1/plots/" + std::to_string(p["id"].get<int>()));
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    EXPECT_EQ(p["code"], "640101-0001");
    EXPECT_EQ(p["adm3_name"], "ธานี");
    EXPECT_EQ(p["area_rai"], "1-0-71.4");
    EXPECT_EQ(p["declared_area_m2"], 1600.0);
    EXPECT_EQ(p["crs"], "OGC:CRS84");
    EXPECT_EQ(p["warnings"][0]["code"], "area_mismatch");
    EXPECT_EQ(p["admin_suggestion"]["adm3"], "640101");
}

TEST_F(plots_api, retrying_a_create_with_the_same_uid_answers_200_with_the_same_id) {
    const std::string body = R"({"uid":"0d6c1f43-7c8e-4f55-9a51-3a2e0b9e6a10","program":"HLM","boundary":)" +
                             std::string(boundary_json) + "}";
    const response first = call("POST", "/api/v1/plots", body);
    const response again = call("POST", "/api/v1/plots", body);
    EXPECT_EQ(first.status, 201);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(json::parse(first.body)["id"], json::parse(again.body)["id"]);
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots").body)["number_matched"], 1);
}

TEST_F(plots_api, input_in_utm_indian_1975_is_stored_in_lonlat_and_read_back_in_any_crs) {
    // Thani, Sukhothai (99.8263E 17.0063N) as Indian 1975 / UTM 47N easting/northing, as on
    // old survey sheets (`cs2cs OGC:CRS84 EPSG:24047`).
    const response r = call("POST", "/api/v1/plots",
                            R"({"program":"CLM","crs":"EPSG:24047","pin":{"type":"Point","coordinates":[588469.85,1880084.47]}})");
    ASSERT_EQ(r.status, 201) << r.body;
    const json p = json::parse(r.body);
    EXPECT_EQ(p["transformation"]["from"], "EPSG:24047");
    EXPECT_NE(p["transformation"]["operation"].get<std::string>().find("Indian 1975 to WGS 84"), std::string::npos);
    EXPECT_EQ(p["transformation"]["accuracy_m"], 3.0);
    const double lon = p["pin"]["coordinates"][0];
    const double lat = p["pin"]["coordinates"][1];
    EXPECT_NEAR(lon, 99.8263, 0.001);
    EXPECT_NEAR(lat, 17.0063, 0.001);
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    const json utm = json::parse(call("GET", url + "?crs=EPSG:24047").body);
    EXPECT_EQ(utm["crs"], "EPSG:24047");
    EXPECT_NEAR(utm["pin"]["coordinates"][0].get<double>(), 588469.85, 0.01);
    EXPECT_NEAR(utm["pin"]["coordinates"][1].get<double>(), 1880084.47, 0.01);
    // The same through the Content-Crs header and the OGC URI spelling.
    const response h = call("POST", "/api/v1/plots", R"({"program":"HLM","pin":{"type":"Point","coordinates":[588469.85,1880084.47]}})",
                            {{"content-type", "application/json"},
                             {"content-crs", "<http://www.opengis.net/def/crs/EPSG/0/24047>"}});
    ASSERT_EQ(h.status, 201) << h.body;
    EXPECT_NEAR(json::parse(h.body)["pin"]["coordinates"][0].get<double>(), lon, 1e-9);
    const auto history = json::parse(call("GET", url + "/history").body);
    EXPECT_EQ(history["versions"][0]["details"]["input_crs"], "EPSG:24047");
    EXPECT_EQ(history["versions"][0]["details"]["accuracy_m"], 3.0);
}

TEST_F(plots_api, get_has_etag_and_if_none_match_gives_304) {
    const json p = create();
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    const response r = call("GET", url);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("ETag"), "\"1\"");
    EXPECT_EQ(call("GET", url, "", {{"if-none-match", "\"1\""}}).status, 304);
    EXPECT_EQ(call("GET", url, "", {{"if-none-match", "\"7\""}}).status, 200);
}

TEST_F(plots_api, edits_need_if_match_and_stale_versions_get_412_with_the_current_version) {
    const json p = create();
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    const response missing = call("PATCH", url, R"({"stage":"digging"})");
    EXPECT_EQ(missing.status, 428);
    const response ok = call("PATCH", url, R"({"stage":"digging"})",
                             {{"content-type", "application/merge-patch+json"}, {"if-match", "\"1\""}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.header("ETag"), "\"2\"");
    const json patched = json::parse(ok.body);
    EXPECT_EQ(patched["stage"], "digging");
    EXPECT_EQ(patched["name"], "แปลง ก") << "members absent from a merge patch are kept";
    EXPECT_EQ(patched["boundary"], p["boundary"]);
    const response stale = call("PATCH", url, R"({"stage":"planting"})", {{"content-type", "application/json"}, {"if-match", "\"1\""}});
    EXPECT_EQ(stale.status, 412);
    EXPECT_EQ(stale.header("ETag"), "\"2\"");
    EXPECT_EQ(json::parse(stale.body)["current_version"], 2);
    EXPECT_EQ(call("PATCH", url, R"({"stage":"planting"})", {{"content-type", "application/json"}, {"if-match", "W/\"2\""}}).status, 400);
}

TEST_F(plots_api, put_replaces_and_null_in_a_patch_clears) {
    const json p = create(R"("owner_phone":"081-111-2222",)");
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    json body = p;
    body["notes"] = "ขุดสระแล้ว";
    const response put = call("PUT", url, body.dump(), {{"content-type", "application/json"}, {"if-match", "\"1\""}});
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(json::parse(put.body)["notes"], "ขุดสระแล้ว");
    EXPECT_EQ(json::parse(put.body)["version"], 2);
    const response clear = call("PATCH", url, R"({"owner_phone":null})", {{"content-type", "application/json"}, {"if-match", "\"2\""}});
    EXPECT_TRUE(json::parse(clear.body)["owner_phone"].is_null());
    // PUT without program is a full replacement missing a required field.
    const response partial = call("PUT", url, R"({"name":"x"})", {{"content-type", "application/json"}, {"if-match", "\"3\""}});
    EXPECT_EQ(partial.status, 400);
    EXPECT_EQ(detail(partial), "program is required (one of HLM, CLM)");
}

TEST_F(plots_api, delete_and_restore) {
    const json p = create();
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    EXPECT_EQ(call("DELETE", url, "", {}).status, 200);
    const response gone = call("GET", url);
    EXPECT_EQ(gone.status, 404);
    EXPECT_NE(detail(gone).find("was deleted at"), std::string::npos);
    EXPECT_EQ(call("GET", url + "?deleted=include").status, 200);
    const response restored = call("POST", url + "/restore", "", {});
    EXPECT_EQ(restored.status, 200);
    EXPECT_EQ(json::parse(restored.body)["version"], 3);
    const auto history = json::parse(call("GET", url + "/history").body)["versions"];
    EXPECT_EQ(history.size(), 3u);
    EXPECT_EQ(history[1]["action"], "delete");
}

TEST_F(plots_api, list_pages_through_everything_with_next_links) {
    for (int i = 0; i < 7; ++i) create();
    std::string url = "/api/v1/plots?limit=3&program=HLM";
    std::set<int> ids;
    int pages = 0;
    while (!url.empty() && pages < 10) {
        const json page = json::parse(call("GET", url).body);
        EXPECT_EQ(page["number_matched"], 7);
        for (const auto& p : page["plots"]) ids.insert(p["id"].get<int>());
        url = page["links"].empty() ? "" : page["links"][0]["href"].get<std::string>();
        if (!url.empty()) {
            EXPECT_TRUE(url.starts_with("http://localhost/api/v1/plots?")) << url; // absolute, from the Host (none: localhost)
            url = url.substr(std::string("http://localhost").size());
        }
        ++pages;
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(ids.size(), 7u);
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots?limit=100000").body)["limit"], 1000) << "clamped, not refused";
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots?bbox=99.82,17.0,99.83,17.01").body)["number_matched"], 7);
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots?bbox=100,17,101,18").body)["number_matched"], 0);
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots?bbox=585000,1878000,590000,1883000&bbox-crs=EPSG:32647").body)["number_matched"], 7);
}

TEST_F(plots_api, bad_requests_say_what_is_wrong) {
    const auto status_and_detail = [&](const response& r) { return std::to_string(r.status) + " " + detail(r); };
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", "{\"program\": ")).substr(0, 49),
              "400 the request body is not valid JSON: parse err");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", std::string(100, '[') + std::string(100, ']'))),
              "400 the request body nests deeper than 32 levels");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", "{}", {{"content-type", "text/plain"}})),
              "415 Content-Type \"text/plain\" is not accepted here; send application/json, application/geo+json");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", R"({"program":"HLM","nmae":"x"})")), "400 unknown member \"nmae\"");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", R"({"program":"HLM","village_no":"3"})")),
              "400 member \"village_no\" must be a whole number or null");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", R"({"program":"HLM","crs":"EPSG:9999","pin":null})")),
              "400 CRS \"EPSG:9999\" is not supported; use one of OGC:CRS84, EPSG:4326, EPSG:3857, EPSG:32647, EPSG:32648, "
              "EPSG:24047, EPSG:24048, EPSG:4240");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots",
                                     R"({"program":"HLM","boundary":{"type":"Polygon","coordinates":[[[99.8,17],[99.9,17],[99.9,17.1],[99.8,17.1]]]}})")),
              "422 boundary exterior ring: ring is not closed (first and last positions differ)");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots",
                                     R"({"program":"HLM","boundary":{"type":"Polygon","coordinates":[[[99.8,17],[99.801,17.001],[99.801,17],[99.8,17.001],[99.8,17]]]}})")),
              "422 boundary is not valid: self-intersection near 99.800500, 17.000500; fix it, or send repair=true to let "
              "plotmap repair it");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", R"({"program":"HLM","pin":{"type":"Point","coordinates":[17.0,99.8]}})")),
              "422 pin: latitude 99.800000 is out of range (-90 to 90)");
    EXPECT_EQ(status_and_detail(call("POST", "/api/v1/plots", R"({"program":"HLM","pin":{"type":"Point","coordinates":[1e999,17]}})")).substr(0, 44),
              "400 the request body is not valid JSON: numb");
    EXPECT_EQ(status_and_detail(call("GET", "/api/v1/plots/abc")), "400 plot id must be a positive whole number, got \"abc\"");
    EXPECT_EQ(status_and_detail(call("GET", "/api/v1/plots/99")), "404 there is no plot 99");
    EXPECT_EQ(status_and_detail(call("GET", "/api/v1/plots?colour=red")), "400 unknown query parameter \"colour\"");
    EXPECT_EQ(status_and_detail(call("GET", "/api/v1/plots?bbox=1,2,3")), "400 bbox must be four numbers: minx,miny,maxx,maxy");
    EXPECT_EQ(status_and_detail(call("GET", "/api/v1/plots?limit=0")), "400 limit must be at least 1");
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots").body)["number_matched"], 0) << "nothing invalid was stored";
}

TEST_F(plots_api, repair_true_mends_and_says_so) {
    const response r = call("POST", "/api/v1/plots?repair=true",
                            R"({"program":"HLM","boundary":{"type":"Polygon","coordinates":[[[99.8,17],[99.801,17.001],[99.801,17],[99.8,17.001],[99.8,17]]]}})");
    ASSERT_EQ(r.status, 201) << r.body;
    const json p = json::parse(r.body);
    EXPECT_EQ(p["boundary"]["type"], "MultiPolygon");
    EXPECT_EQ(p["warnings"][0]["code"], "repaired");
}

TEST_F(plots_api, a_walked_track_is_kept_in_the_history_of_the_version_it_made) {
    const std::string track = R"({"mode":"walk","fixes":[{"lon":99.823,"lat":17.0078,"accuracy":4,"time":1000,"kept":true},
        {"lon":99.8234,"lat":17.0078,"accuracy":40,"time":2000,"kept":false,"reason":"inaccurate"}],
        "gaps":[{"after":0,"seconds":57,"metres":30,"accepted":true}]})";
    const json p = create(R"("track":)" + track + ",");
    const std::string url = "/api/v1/plots/" + std::to_string(p["id"].get<int>());
    EXPECT_FALSE(p.contains("track")) << "not a field of the plot";
    const json details = json::parse(call("GET", url + "/history").body)["versions"][0]["details"];
    EXPECT_EQ(details["track"]["mode"], "walk");
    ASSERT_EQ(details["track"]["fixes"].size(), 2u);
    EXPECT_EQ(details["track"]["fixes"][1]["reason"], "inaccurate");
    EXPECT_EQ(details["track"]["gaps"][0]["metres"], 30);

    const auto refused = [&](const std::string& bad) {
        const response r = call("POST", "/api/v1/plots", R"({"program":"HLM","track":)" + bad + R"(,"boundary":)" + boundary_json + "}");
        EXPECT_EQ(r.status, 400) << bad;
        return detail(r);
    };
    EXPECT_EQ(refused("[]"), "track must be an object with mode, fixes and gaps");
    EXPECT_EQ(refused(R"({"mode":"drive","fixes":[]})"), "track: mode must be \"walk\" or \"corners\"");
    EXPECT_EQ(refused(R"({"mode":"walk","fixes":[{"lon":999,"lat":17,"accuracy":4,"time":1,"kept":true}]})"),
              "track: fixes[0].lon must be a number between -180 and 180");
    EXPECT_EQ(refused(R"({"mode":"walk","fixes":[{"lon":99,"lat":17,"accuracy":4,"time":1}]})"), "track: fixes[0].kept must be true or false");
    EXPECT_EQ(refused(R"({"mode":"walk","fixes":[],"owner":"x"})"), "track: unknown member \"owner\"");
    EXPECT_EQ(json::parse(call("GET", "/api/v1/plots").body)["number_matched"], 1);
}
