#include "server/query.hpp"

#include "geo/crs.hpp"
#include "geo/error.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace plotmap::server {

std::int64_t query_int(std::string_view text, const char* name) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw bad_request(std::string("query parameter ") + name + " must be a whole number");
    }
    return v;
}

geo::bbox query_bbox(const request& req, bool authority_axes) {
    const std::string text(*req.query_value("bbox"));
    std::array<double, 4> v{};
    std::size_t start = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto comma = text.find(',', start);
        if ((i < 3) == (comma == std::string::npos)) throw bad_request("bbox must be four numbers: minx,miny,maxx,maxy");
        const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v[i]);
        if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || !std::isfinite(v[i])) {
            throw bad_request("bbox must be four numbers: minx,miny,maxx,maxy");
        }
        start = comma + 1;
    }
    const auto crs_text = req.query_value("bbox-crs");
    const geo::crs& crs = crs_text ? geo::find_crs(*crs_text) : geo::crs84();
    if (authority_axes && crs.lat_first) v = {v[1], v[0], v[3], v[2]};
    if (v[0] > v[2] || v[1] > v[3]) throw bad_request("bbox minimum must not exceed its maximum");
    geo::transformer& t = geo::transformer_for(crs, geo::crs84());
    geo::bbox box;
    for (const geo::point corner : {geo::point{v[0], v[1]}, geo::point{v[2], v[1]}, geo::point{v[2], v[3]}, geo::point{v[0], v[3]}}) {
        box.extend(t.apply(corner));
    }
    return box;
}

int query_limit(const request& req, int fallback, int maximum) {
    const auto v = req.query_value("limit");
    if (!v) return fallback;
    const std::int64_t asked = query_int(*v, "limit");
    if (asked < 1) throw bad_request("limit must be at least 1");
    return static_cast<int>(std::min<std::int64_t>(asked, maximum));
}

data::plot_query plot_filters(const request& req, bool authority_axes) {
    data::plot_query q;
    const auto text = [&](const char* name) {
        const auto v = req.query_value(name);
        return v ? std::optional<std::string>(*v) : std::nullopt;
    };
    if (req.query_value("bbox")) q.bbox = query_bbox(req, authority_axes);
    q.program = text("program");
    q.stage = text("stage");
    q.adm1 = text("adm1");
    q.adm2 = text("adm2");
    q.adm3 = text("adm3");
    q.review_state = text("review_state");
    if (const auto v = req.query_value("budget_year")) q.budget_year = query_int(*v, "budget_year");
    if (const auto v = req.query_value("after")) q.after_id = query_int(*v, "after");
    return q;
}

std::string next_link(const request& req, std::string_view path, std::int64_t after) {
    std::string query;
    const auto add = [&](const std::string& key, const std::string& value) {
        query += (query.empty() ? "" : "&") + key + "=";
        for (const char ch : value) {
            const auto c = static_cast<unsigned char>(ch);
            if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
                query.push_back(ch);
            } else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                query += buf;
            }
        }
    };
    for (const auto& [key, value] : req.query) {
        if (key != "after") add(key, value);
    }
    // A client that signed in with ?token= (a GIS program given one URL) keeps it on every page.
    if (req.url_token) add("token", *req.url_token);
    add("after", std::to_string(after));
    return std::string(path) + "?" + query;
}

} // namespace plotmap::server
