// OGC API Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS): /conformance,
// /collections, /collections/{id}, /collections/{id}/items[/{fid}], /collections/{id}/queryables
// and /api. Collections: plots (boundaries), pins (one point per plot), adm1, adm2, adm3.
// See docs/ogcapi.md.

#include "geo/text.hpp"
#include "data/admin_areas.hpp"
#include "data/store.hpp"
#include "data/clock.hpp"
#include "data/exporter.hpp"
#include "data/review.hpp"
#include "geo/crs.hpp"
#include "geo/geojson.hpp"
#include "server/access.hpp"
#include "server/html.hpp"
#include "server/query.hpp"
#include "server/routes/routes.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace plotmap::server::routes {
namespace {

using nlohmann::json;

enum class kind { plots, pins, admin };

struct collection {
    const char* id;
    kind k;
    int level; ///< admin level for kind::admin
    const char* title_en;
    const char* title_th;
    const char* description;
};

constexpr std::array collections{
    collection{"plots", kind::plots, 0, "Plots (boundaries)", "แปลง (ขอบเขต)",
               "Khok Nong Na model plots that have a surveyed boundary, as polygons. Personal fields only for signed-in users in scope."},
    collection{"pins", kind::pins, 0, "Plot locations", "ตำแหน่งแปลง (หมุด)",
               "Every plot as a point: its pin, or a point inside its boundary when it has no pin."},
    collection{"adm1", kind::admin, 1, "Provinces", "จังหวัด", "Thailand's 77 provinces (OCHA / Royal Thai Survey Department)."},
    collection{"adm2", kind::admin, 2, "Districts", "อำเภอ", "Thailand's districts (OCHA / Royal Thai Survey Department)."},
    collection{"adm3", kind::admin, 3, "Subdistricts", "ตำบล", "Thailand's subdistricts (OCHA / Royal Thai Survey Department)."},
};

constexpr const char* crs84_uri = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* geojson_type = "application/geo+json";
constexpr int admin_limit_default = 10;

const collection& find_collection(const std::string& id) {
    for (const collection& c : collections) {
        if (id == c.id) return c;
    }
    throw not_found("no collection \"" + geo::utf8_prefix(id, 40) + "\"; there are plots, pins, adm1, adm2 and adm3");
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title = {}) {
    json l{{"href", href}, {"rel", rel}, {"type", type}};
    if (!title.empty()) l["title"] = title;
    return l;
}

std::string with_format(const std::string& href, const char* f) {
    return href + (href.find('?') == std::string::npos ? "?" : "&") + "f=" + f;
}

json crs_list() {
    json out = json::array();
    for (const geo::crs& c : geo::supported_crs()) {
        out.push_back(c.uri);
    }
    return out;
}

/// The CRS of the response (crs=), one of those the collections list.
const geo::crs& response_crs(const request& req) {
    const auto q = req.query_value("crs");
    return q ? geo::find_crs(*q) : geo::crs84();
}

json out_geometry(const geo::multi_polygon& lonlat, const geo::crs& crs) {
    geo::multi_polygon mp = lonlat;
    geo::transformer_for(geo::crs84(), crs).apply(mp);
    if (crs.lat_first) {
        for (auto& poly : mp.polygons) {
            for (auto& ring : poly.rings) {
                for (auto& pt : ring) pt = {pt.y, pt.x};
            }
        }
    }
    return geo::to_geojson(mp);
}

/// The datetime parameter (RFC 3339 instant or interval, `..` open) as a range on the
/// plots' last update: [from, before).
void apply_datetime(std::string_view text, data::plot_query& q) {
    const auto bound = [](std::string_view t, bool upper) -> std::optional<std::string> {
        if (t == ".." || t.empty()) return std::nullopt;
        const auto digits = [&](std::size_t at, std::size_t n) {
            if (t.size() < at + n) return false;
            for (std::size_t i = at; i < at + n; ++i) {
                if (t[i] < '0' || t[i] > '9') return false;
            }
            return true;
        };
        const bool date = t.size() >= 10 && digits(0, 4) && t[4] == '-' && digits(5, 2) && t[7] == '-' && digits(8, 2);
        if (date && t.size() == 10) {
            // A whole day: from its start, or (as an upper bound) up to the next day's start.
            if (!upper) return std::string(t) + "T00:00:00.000Z";
            return std::string(t) + "T23:59:59.999Z\x7f"; // sorts after every time that day
        }
        const bool time = date && t.size() >= 20 && t[10] == 'T' && digits(11, 2) && t[13] == ':' && digits(14, 2) &&
                          t[16] == ':' && digits(17, 2) && t.back() == 'Z';
        if (!time) {
            throw bad_request("datetime must be an RFC 3339 UTC time like 2026-11-01T00:00:00Z, a date like 2026-11-01, or an "
                              "interval a/b with .. for an open end");
        }
        std::string s(t.substr(0, 19));
        std::string frac = t.size() > 20 && t[19] == '.' ? std::string(t.substr(20, t.size() - 21)) : "";
        frac = (frac + "000").substr(0, 3);
        s += "." + frac + "Z";
        if (upper) s += "\x7f"; // inclusive upper bound
        return s;
    };
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        q.updated_from = bound(text, false);
        q.updated_before = bound(text, true);
        if (!q.updated_from) throw bad_request("datetime .. alone is not an instant; use an interval such as 2026-01-01/..");
        return;
    }
    q.updated_from = bound(text.substr(0, slash), false);
    q.updated_before = bound(text.substr(slash + 1), true);
    if (q.updated_from && q.updated_before && *q.updated_from > *q.updated_before) {
        throw bad_request("datetime interval ends before it starts");
    }
}

/// A plot as a GeoJSON Feature (the export's properties, personal ones by scope), written
/// straight to text: pages of 1,000 plots are built without a JSON tree.
void append_plot_feature(std::string& out, const request& req, const data::plot& p, kind k, const geo::crs& crs) {
    data::append_geojson_feature(out, p, k == kind::plots ? data::feature_geometry::boundary : data::feature_geometry::location, crs,
                                 sees_personal(req, p));
}

json admin_feature(const data::admin_area& a, const geo::crs& crs) {
    json props{{"code", a.code}, {"pcode", a.pcode}, {"name_th", a.name_th}, {"name_en", a.name_en}};
    if (a.adm1) props["adm1"] = *a.adm1;
    if (a.adm2) props["adm2"] = *a.adm2;
    return {{"type", "Feature"}, {"id", std::stoll(a.code)}, {"geometry", out_geometry(a.geometry, crs)}, {"properties", props}};
}

response geojson_response(std::string body, const geo::crs& crs) {
    response r = make_response(200, geojson_type, std::move(body));
    r.set("Content-Crs", "<" + crs.uri + ">");
    r.set("Cache-Control", "no-cache");
    r.set("Vary", "Accept, Authorization, Cookie");
    return r;
}

response json_document(const json& doc, const char* type = "application/json") {
    response r = make_response(200, type, geo::json_text(doc));
    r.set("Cache-Control", "no-cache");
    r.set("Vary", "Accept");
    return r;
}

response html_response(const std::string& page) {
    response r = make_response(200, "text/html; charset=utf-8", page);
    r.set("Cache-Control", "no-cache");
    r.set("Vary", "Accept, Authorization, Cookie");
    return r;
}

std::vector<std::string> stage_list(const context& ctx) { return ctx.settings.plots.stages; }

// ---- documents -------------------------------------------------------------------------

json conformance_document() {
    json doc{{"conformsTo",
             {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
              "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
              "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
              "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
              "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
              "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
              "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
              "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
              "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt"}}};
    for (const std::string& c : data::cql2::conformance_classes()) doc["conformsTo"].push_back(c);
    return doc;
}

json collection_json(const context& ctx, const request& req, const collection& c) {
    const std::string base = base_url(req, ctx);
    const std::string self = base + "/collections/" + c.id;
    geo::bbox extent;
    if (c.k == kind::admin) {
        const auto& b = ctx.settings.plots.region_bbox;
        extent = {b[0], b[1], b[2], b[3]};
    } else {
        extent = ctx.tiles.plots_bounds();
        if (extent.empty()) extent = {97.3, 5.6, 105.7, 20.5};
    }
    json out{{"id", c.id},
             {"title", std::string(c.title_th) + " (" + c.title_en + ")"},
             {"description", c.description},
             {"itemType", "feature"},
             {"crs", crs_list()},
             {"storageCrs", crs84_uri},
             {"extent",
              {{"spatial",
                {{"bbox", json::array({json::array({extent.min_x, extent.min_y, extent.max_x, extent.max_y})})}, {"crs", crs84_uri}}}}},
             {"links",
              {link(self, "self", "application/json", "This collection"),
               link(with_format(self, "html"), "alternate", "text/html", "This collection as HTML"),
               link(self + "/items", "items", geojson_type, "The features (GeoJSON)"),
               link(with_format(self + "/items", "html"), "items", "text/html", "The features as HTML"),
               link(self + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                    "Properties to filter on")}}};
    if (c.k != kind::admin) {
        out["extent"]["temporal"] = {{"interval", json::array({json::array({nullptr, nullptr})})},
                                     {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
    }
    out["links"].push_back(link(self + "/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json",
                                "Vector tiles"));
    return out;
}

/// The simple key=value filters a collection's items take beyond the standard ones, with
/// their schemas (also listed as query parameters in the OpenAPI document).
json simple_filters(const context& ctx, const collection& c) {
    if (c.k == kind::admin) {
        json props = json::object();
        if (c.level >= 2) props["adm1"] = {{"type", "string"}, {"title", "Province code (2 digits)"}};
        if (c.level == 3) props["adm2"] = {{"type", "string"}, {"title", "District code (4 digits)"}};
        return props;
    }
    return {{"program", {{"type", "string"}, {"enum", ctx.settings.plots.programs}, {"title", "Programme"}}},
            {"stage", {{"type", "string"}, {"enum", stage_list(ctx)}, {"title", "Progress stage"}}},
            {"adm1", {{"type", "string"}, {"title", "Province code (2 digits)"}}},
            {"adm2", {{"type", "string"}, {"title", "District code (4 digits)"}}},
            {"adm3", {{"type", "string"}, {"title", "Subdistrict code (6 digits)"}}},
            {"budget_year", {{"type", "integer"}, {"title", "Budget year (Common Era)"}}},
            {"review_state", {{"type", "string"}, {"enum", data::review_states}, {"title", "Verification state"}}}};
}

data::cql2::target filter_target(const collection& c, data::backend b) {
    return c.k == kind::admin ? data::admin_filter_target(c.level, b) : data::plot_filter_target(c.k == kind::plots, b);
}

/// The queryables (Features Part 3): every property a CQL2 filter may name, with its JSON
/// Schema type, and the geometry.
json queryables_document(const context& ctx, const collection& c, const std::string& base) {
    const json simple = simple_filters(ctx, c);
    json props = json::object();
    for (const data::cql2::queryable& q : filter_target(c, ctx.store.kind()).properties) {
        json schema = simple.contains(q.name) ? simple[q.name] : json::object();
        switch (q.type) {
        case data::cql2::value_type::text: schema["type"] = "string"; break;
        case data::cql2::value_type::integer: schema["type"] = "integer"; break;
        case data::cql2::value_type::number: schema["type"] = "number"; break;
        case data::cql2::value_type::timestamp:
            schema["type"] = "string";
            schema["format"] = "date-time";
            break;
        }
        if (!schema.contains("title")) schema["title"] = q.name;
        props[q.name] = std::move(schema);
    }
    const char* geometry_schema = c.k == kind::pins ? "https://geojson.org/schema/Point.json" : "https://geojson.org/schema/MultiPolygon.json";
    props["geometry"] = {{"$ref", geometry_schema}, {"title", c.k == kind::pins ? "Location" : "Boundary"}};
    // The draft's list of {"id"}: what GDAL 3.6 (Debian 12) reads to know which fields it may
    // send to the server in a filter.
    json legacy = json::array();
    for (const auto& [name, schema] : props.items()) legacy.push_back({{"id", name}, {"title", schema["title"]}});
    return {{"$schema", "https://json-schema.org/draft/2019-09/schema"},
            {"$id", base + "/collections/" + c.id + "/queryables"},
            {"type", "object"},
            {"title", c.title_en},
            {"properties", props},
            {"additionalProperties", false},
            {"queryables", legacy}};
}

/// filter, filter-lang (cql2-text, the default, or cql2-json) and filter-crs as compiled SQL.
std::optional<data::cql2::sql_filter> query_filter(const request& req, const collection& c, data::backend b) {
    const auto text = req.query_value("filter");
    const auto lang = req.query_value("filter-lang");
    const auto crs = req.query_value("filter-crs");
    if (!text) {
        if (lang || crs) throw bad_request("filter-lang and filter-crs go with a filter parameter");
        return std::nullopt;
    }
    data::cql2::language l = data::cql2::language::text;
    if (lang && *lang == "cql2-json") {
        l = data::cql2::language::json;
    } else if (lang && *lang != "cql2-text" && *lang != "cql-text") {
        throw bad_request("filter-lang must be cql2-text or cql2-json");
    }
    return data::cql2::compile(*text, l, filter_target(c, b), crs ? geo::find_crs(*crs) : geo::crs84());
}

json openapi(const context& ctx, const request& req) {
    const std::string base = base_url(req, ctx);
    const auto problem = json{{"description", "A problem (RFC 9457)"},
                              {"content", {{"application/problem+json", {{"schema", {{"type", "object"}}}}}}}};
    const auto ok = [&](const char* what, const char* type) {
        return json{{"200", {{"description", what}, {"content", {{type, {{"schema", {{"type", "object"}}}}}}}}},
                    {"400", problem},
                    {"401", problem}};
    };
    json paths{
        {"/", {{"get", {{"summary", "Landing page"}, {"operationId", "getLandingPage"}, {"parameters", {{{"$ref", "#/components/parameters/f"}}}}, {"responses", ok("The landing page", "application/json")}}}}},
        {"/conformance", {{"get", {{"summary", "Conformance classes"}, {"operationId", "getConformance"}, {"parameters", {{{"$ref", "#/components/parameters/f"}}}}, {"responses", ok("The conformance classes", "application/json")}}}}},
        {"/collections", {{"get", {{"summary", "Feature collections"}, {"operationId", "getCollections"}, {"parameters", {{{"$ref", "#/components/parameters/f"}}}}, {"responses", ok("The collections", "application/json")}}}}},
    };
    for (const collection& c : collections) {
        const std::string path = std::string("/collections/") + c.id;
        json params = json::array({{{"$ref", "#/components/parameters/limit"}},
                                   {{"$ref", "#/components/parameters/bbox"}},
                                   {{"$ref", "#/components/parameters/bbox-crs"}},
                                   {{"$ref", "#/components/parameters/crs"}},
                                   {{"$ref", "#/components/parameters/after"}},
                                   {{"$ref", "#/components/parameters/f"}}});
        if (c.k != kind::admin) params.push_back({{"$ref", "#/components/parameters/datetime"}});
        for (const char* name : {"filter", "filter-lang", "filter-crs"}) params.push_back({{"$ref", std::string("#/components/parameters/") + name}});
        const json queryables = simple_filters(ctx, c);
        for (const auto& [name, schema] : queryables.items()) {
            params.push_back({{"name", name}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                              {"schema", schema}, {"description", schema.value("title", name)}});
        }
        auto items = ok("The features", geojson_type);
        items["404"] = problem;
        paths[path] = {{"get", {{"summary", std::string("The ") + c.title_en + " collection"}, {"operationId", std::string("describe_") + c.id},
                                {"parameters", {{{"$ref", "#/components/parameters/f"}}}}, {"responses", ok("The collection", "application/json")}}}};
        paths[path + "/items"] = {{"get", {{"summary", std::string(c.title_en) + ": features"}, {"operationId", std::string("get_") + c.id + "_features"},
                                           {"parameters", params}, {"responses", items}}}};
        paths[path + "/items/{featureId}"] = {
            {"get", {{"summary", std::string(c.title_en) + ": one feature"}, {"operationId", std::string("get_") + c.id + "_feature"},
                     {"parameters", {{{"$ref", "#/components/parameters/featureId"}}, {{"$ref", "#/components/parameters/crs"}}, {{"$ref", "#/components/parameters/f"}}}},
                     {"responses", items}}}};
        paths[path + "/queryables"] = {{"get", {{"summary", std::string(c.title_en) + ": queryables"}, {"operationId", std::string("get_") + c.id + "_queryables"},
                                                {"responses", ok("JSON Schema of the properties to filter on", "application/schema+json")}}}};
    }
    json crs_enum = crs_list();
    const auto& limits = ctx.settings.plots;
    json parameters{
        {"limit", {{"name", "limit"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                   {"description", "Features per page; larger values are clamped to the maximum"},
                   {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", limits.list_limit_max}, {"default", limits.list_limit_default}}}}},
        {"bbox", {{"name", "bbox"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                  {"description", "minx,miny,maxx,maxy in bbox-crs (its axis order)"},
                  {"schema", {{"type", "array"}, {"minItems", 4}, {"maxItems", 4}, {"items", {{"type", "number"}}}}}}},
        {"bbox-crs", {{"name", "bbox-crs"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                      {"schema", {{"type", "string"}, {"format", "uri"}, {"enum", crs_enum}, {"default", crs84_uri}}}}},
        {"crs", {{"name", "crs"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                 {"schema", {{"type", "string"}, {"format", "uri"}, {"enum", crs_enum}, {"default", crs84_uri}}}}},
        {"datetime", {{"name", "datetime"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                      {"description", "Last update: an RFC 3339 instant or interval (.. for open)"}, {"schema", {{"type", "string"}}}}},
        {"after", {{"name", "after"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                   {"description", "Paging: features after this id (follow the next links)"}, {"schema", {{"type", "integer"}}}}},
        {"filter", {{"name", "filter"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                    {"description", "A CQL2 filter on the queryables, e.g. stage = 'complete' AND S_INTERSECTS(geometry, BBOX(102, 16, 103, 17))"},
                    {"schema", {{"type", "string"}}}}},
        {"filter-lang", {{"name", "filter-lang"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                         {"description", "cql-text is the draft name of cql2-text, which GDAL 3.6 looks for"},
                         {"schema", {{"type", "string"}, {"enum", {"cql2-text", "cql2-json", "cql-text"}}, {"default", "cql2-text"}}}}},
        {"filter-crs", {{"name", "filter-crs"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                        {"description", "The CRS of the filter's geometries"},
                        {"schema", {{"type", "string"}, {"format", "uri"}, {"enum", crs_enum}, {"default", crs84_uri}}}}},
        {"f", {{"name", "f"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
               {"schema", {{"type", "string"}, {"enum", {"json", "html"}}}}}},
        {"featureId", {{"name", "featureId"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "integer"}}}}}};
    return {{"openapi", "3.0.3"},
            {"info", {{"title", "plotmap"}, {"version", "1.0"},
                      {"description", "Khok Nong Na model plot registry: OGC API Features and Tiles"}}},
            {"servers", {{{"url", base}}}},
            {"paths", paths},
            {"components", {{"parameters", parameters}}}};
}

// ---- HTML ------------------------------------------------------------------------------

std::string collections_html() {
    std::string rows;
    for (const collection& c : collections) {
        rows += std::string("<tr><td><a href=\"/collections/") + c.id + "?f=html\">" + c.title_th + "</a> <span lang=\"en\">(" +
                c.title_en + ")</span></td><td><a href=\"/collections/" + c.id + "/items?f=html\">features</a> · <a href=\"/collections/" +
                c.id + "/items\">GeoJSON</a></td><td>" + html_escape(c.description) + "</td></tr>\n";
    }
    return html_page("ชุดข้อมูล (collections)",
                     "<h1>ชุดข้อมูล <small lang=\"en\">(collections)</small></h1><p class=\"sub\">OGC API Features · <a href=\"/\">plotmap</a></p>"
                     "<div class=\"wrap\"><table><tr><th>ชุดข้อมูล</th><th></th><th>คำอธิบาย (description)</th></tr>\n" +
                         rows + "</table></div>",
                     "/collections?f=json");
}

std::string collection_html(const collection& c, const json& doc) {
    std::string crs;
    for (const auto& u : doc["crs"]) crs += "<li>" + html_escape(u.get<std::string>()) + "</li>";
    return html_page(c.title_th, std::string("<h1>") + c.title_th + " <small lang=\"en\">(" + c.title_en + ")</small></h1>" +
                                     "<p class=\"sub\"><a href=\"/collections?f=html\">ชุดข้อมูล (collections)</a></p><p>" +
                                     html_escape(c.description) + "</p><p><a href=\"/collections/" + c.id +
                                     "/items?f=html\">ดูข้อมูล (features)</a> · <a href=\"/collections/" + c.id +
                                     "/items\">GeoJSON</a></p><h2>CRS</h2><ul>" + crs + "</ul>",
                     std::string("/collections/") + c.id + "?f=json");
}

std::string value_text(const json& v) {
    if (v.is_null()) return "–";
    if (v.is_string()) return v.get<std::string>();
    return geo::json_text(v);
}

std::string items_html(const collection& c, const json& fc, const std::string& next) {
    std::vector<std::string> columns;
    for (const json& f : fc["features"]) {
        for (const auto& [key, value] : f["properties"].items()) {
            if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
        }
        break;
    }
    std::string table = "<tr><th>id</th>";
    for (const std::string& col : columns) table += "<th>" + html_escape(col) + "</th>";
    table += "</tr>\n";
    for (const json& f : fc["features"]) {
        const std::string id = geo::json_text(f["id"]);
        table += std::string("<tr><td><a href=\"/collections/") + c.id + "/items/" + id + "?f=html\">" + id + "</a></td>";
        for (const std::string& col : columns) table += "<td>" + html_escape(value_text(f["properties"].value(col, json()))) + "</td>";
        table += "</tr>\n";
    }
    std::string body = std::string("<h1>") + c.title_th + " <small lang=\"en\">(" + c.title_en + ")</small></h1>" +
                       "<p class=\"sub\"><a href=\"/collections/" + c.id + "?f=html\">" + c.id + "</a> · " +
                       geo::json_text(fc["numberReturned"]) + " / " + geo::json_text(fc["numberMatched"]) + "</p><div class=\"wrap\"><table>" + table +
                       "</table></div>";
    if (!next.empty()) body += "<p><a rel=\"next\" href=\"" + html_escape(with_format(next, "html")) + "\">ถัดไป (next) →</a></p>";
    return html_page(c.title_th, body);
}

std::string item_html(const collection& c, const json& f) {
    std::string rows;
    for (const auto& [key, value] : f["properties"].items()) {
        rows += "<dt>" + html_escape(key) + "</dt><dd>" + html_escape(value_text(value)) + "</dd>";
    }
    return html_page(c.title_th, std::string("<h1>") + c.title_th + " " + geo::json_text(f["id"]) + "</h1><p class=\"sub\"><a href=\"/collections/" +
                                     c.id + "/items?f=html\">" + c.id + "</a> · <a href=\"/collections/" + c.id + "/items/" +
                                     geo::json_text(f["id"]) + "\">GeoJSON</a></p><dl>" + rows + "</dl>");
}

// ---- items -----------------------------------------------------------------------------

std::int64_t parse_fid(const std::string& text) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
        throw not_found("feature ids are positive whole numbers; there is no feature \"" + text.substr(0, 32) + "\"");
    }
    return id;
}

response items(const context& ctx, const request& req, const collection& c) {
    const bool is_plot = c.k != kind::admin;
    if (is_plot) {
        allow_only(req, {"limit", "bbox", "bbox-crs", "datetime", "crs", "f", "after", "program", "stage", "adm1", "adm2", "adm3",
                         "budget_year", "review_state", "filter", "filter-lang", "filter-crs"});
    } else if (c.level == 1) {
        allow_only(req, {"limit", "bbox", "bbox-crs", "crs", "f", "after", "filter", "filter-lang", "filter-crs"});
    } else if (c.level == 2) {
        allow_only(req, {"limit", "bbox", "bbox-crs", "crs", "f", "after", "adm1", "filter", "filter-lang", "filter-crs"});
    } else {
        allow_only(req, {"limit", "bbox", "bbox-crs", "crs", "f", "after", "adm1", "adm2", "filter", "filter-lang", "filter-crs"});
    }
    std::optional<data::cql2::sql_filter> filter = query_filter(req, c, ctx.store.kind());
    const std::string format = wanted_format(req);
    const geo::crs& crs = response_crs(req);
    const std::string base = base_url(req, ctx);
    const std::string items_path = std::string("/collections/") + c.id + "/items";
    std::string features;
    std::size_t returned = 0;
    std::int64_t matched = 0;
    std::optional<std::string> next;
    if (is_plot) {
        data::plot_query q = plot_filters(req, true);
        q.shape = c.k == kind::plots ? data::plot_query::shape_filter::boundary : data::plot_query::shape_filter::location;
        if (const auto dt = req.query_value("datetime")) apply_datetime(*dt, q);
        q.filter = std::move(filter);
        q.limit = query_limit(req, ctx.settings.plots.list_limit_default, ctx.settings.plots.list_limit_max);
        const data::plot_page page = ctx.plots.list(q);
        features.reserve(page.plots.size() * 1200);
        for (const data::plot& p : page.plots) {
            if (returned++) features.push_back(',');
            append_plot_feature(features, req, p, c.k, crs);
        }
        matched = page.number_matched;
        if (page.more) next = next_link(req, items_path, page.plots.back().id);
    } else {
        data::admin_query q;
        q.level = c.level;
        if (req.query_value("bbox")) q.bbox = query_bbox(req, true);
        if (const auto v = req.query_value("adm1")) q.adm1 = std::string(*v);
        if (const auto v = req.query_value("adm2")) q.adm2 = std::string(*v);
        if (const auto v = req.query_value("after")) q.after_code = std::to_string(query_int(*v, "after"));
        q.filter = std::move(filter);
        q.limit = query_limit(req, admin_limit_default, ctx.settings.plots.list_limit_max);
        const data::admin_page page = ctx.store.read([&](data::connection& conn) { return data::list_admin_areas(conn, q); });
        for (const data::admin_area& a : page.areas) {
            if (returned++) features.push_back(',');
            features += geo::json_text(admin_feature(a, crs));
        }
        matched = page.number_matched;
        if (page.more) next = next_link(req, items_path, std::stoll(page.areas.back().code));
    }
    json links = json::array({link(base + req.target, "self", format == "html" ? "text/html" : geojson_type, "This page"),
                              link(base + "/collections/" + c.id, "collection", "application/json", "The collection")});
    if (next) links.push_back(link(base + *next, "next", geojson_type, "The next page"));
    std::string body = R"({"type":"FeatureCollection","features":[)";
    body += features;
    body += "],\"numberMatched\":" + std::to_string(matched) + ",\"numberReturned\":" + std::to_string(returned) +
            ",\"timeStamp\":\"" + data::now_utc() + "\",\"links\":" + geo::json_text(links) + "}";
    if (format == "html") return html_response(items_html(c, json::parse(body), next ? *next : ""));
    return geojson_response(std::move(body), crs);
}

response item(const context& ctx, const request& req, const collection& c, const std::string& fid_text) {
    allow_only(req, {"crs", "f"});
    const std::string format = wanted_format(req);
    const geo::crs& crs = response_crs(req);
    const std::int64_t fid = parse_fid(fid_text);
    json f;
    if (c.k != kind::admin) {
        const data::plot p = ctx.plots.get(fid);
        if (c.k == kind::plots && !p.boundary) throw not_found("plot " + std::to_string(fid) + " has no boundary; see /collections/pins/items/" + std::to_string(fid));
        std::string text;
        append_plot_feature(text, req, p, c.k, crs);
        f = json::parse(text);
    } else {
        const auto a = ctx.store.read([&](data::connection& conn) { return data::find_admin_area(conn, c.level, std::to_string(fid)); });
        if (!a) throw not_found(std::string("no feature ") + std::to_string(fid) + " in " + c.id);
        f = admin_feature(*a, crs);
    }
    const std::string base = base_url(req, ctx);
    f["links"] = json::array({link(base + req.target, "self", geojson_type),
                              link(base + "/collections/" + c.id, "collection", "application/json")});
    if (format == "html") return html_response(item_html(c, f));
    return geojson_response(geo::json_text(f), crs);
}

} // namespace

void add_features(router& r, const context& ctx) {
    r.add("GET", "/conformance", access::open, [](const request& req, const path_params&) {
        allow_only(req, {"f"});
        if (wanted_format(req) == "html") {
            std::string list;
            const nlohmann::json doc = conformance_document(); // named: the loop must not outlive a temporary
            for (const auto& c : doc["conformsTo"]) list += "<li>" + html_escape(c.get<std::string>()) + "</li>";
            return html_response(html_page("Conformance", "<h1>มาตรฐานที่รองรับ <small lang=\"en\">(conformance)</small></h1><ul>" + list + "</ul>", "/conformance?f=json"));
        }
        return json_document(conformance_document());
    });

    r.add("GET", "/api", access::open, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"f"});
        if (wanted_format(req) == "html") {
            return html_response(html_page("API", "<h1>API (OpenAPI 3.0)</h1><p><a href=\"/api?f=json\">/api?f=json</a></p><pre>" +
                                                      html_escape(geo::json_text_pretty(openapi(ctx, req))) + "</pre>"));
        }
        return json_document(openapi(ctx, req), "application/vnd.oai.openapi+json;version=3.0");
    });

    r.add("GET", "/collections", access::read, [&ctx](const request& req, const path_params&) {
        allow_only(req, {"f"});
        if (wanted_format(req) == "html") return html_response(collections_html());
        const std::string base = base_url(req, ctx);
        json list = json::array();
        for (const collection& c : collections) list.push_back(collection_json(ctx, req, c));
        return json_document({{"collections", list},
                              {"links",
                               {link(base + "/collections", "self", "application/json", "The collections"),
                                link(base + "/collections?f=html", "alternate", "text/html", "The collections as HTML")}}});
    });

    r.add("GET", "/collections/{id}", access::read, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {"f"});
        const collection& c = find_collection(p.at("id"));
        const json doc = collection_json(ctx, req, c);
        if (wanted_format(req) == "html") return html_response(collection_html(c, doc));
        return json_document(doc);
    });

    r.add("GET", "/collections/{id}/queryables", access::read, [&ctx](const request& req, const path_params& p) {
        allow_only(req, {"f"});
        const collection& c = find_collection(p.at("id"));
        return json_document(queryables_document(ctx, c, base_url(req, ctx)), "application/schema+json");
    });

    r.add("GET", "/collections/{id}/items", access::read,
          [&ctx](const request& req, const path_params& p) { return items(ctx, req, find_collection(p.at("id"))); });

    r.add("GET", "/collections/{id}/items/{fid}", access::read, [&ctx](const request& req, const path_params& p) {
        return item(ctx, req, find_collection(p.at("id")), p.at("fid"));
    });
}

} // namespace plotmap::server::routes
