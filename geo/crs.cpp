#include "geo/crs.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"

#include <proj.h>

#include <cmath>
#include <cstdio>
#include <map>

namespace plotmap::geo {
namespace {

std::string epsg_uri(int code) { return "http://www.opengis.net/def/crs/EPSG/0/" + std::to_string(code); }

std::vector<crs> make_supported() {
    return {
        {"OGC:CRS84", "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "WGS 84 (longitude, latitude)", true, false},
        {"EPSG:4326", epsg_uri(4326), "WGS 84", true, true},
        {"EPSG:3857", epsg_uri(3857), "WGS 84 / Pseudo-Mercator", false, false},
        {"EPSG:32647", epsg_uri(32647), "WGS 84 / UTM zone 47N", false, false},
        {"EPSG:32648", epsg_uri(32648), "WGS 84 / UTM zone 48N", false, false},
        {"EPSG:24047", epsg_uri(24047), "Indian 1975 / UTM zone 47N", false, false},
        {"EPSG:24048", epsg_uri(24048), "Indian 1975 / UTM zone 48N", false, false},
        {"EPSG:4240", epsg_uri(4240), "Indian 1975", true, true},
    };
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

/// "EPSG:32647" or "OGC:CRS84" from the many ways people write a CRS.
std::string canonical_id(std::string_view text) {
    std::string t = upper(text);
    while (!t.empty() && t.back() == ' ') t.pop_back();
    while (!t.empty() && t.front() == ' ') t.erase(0, 1);
    if (!t.empty() && t.front() == '<' && t.back() == '>') t = t.substr(1, t.size() - 2); // Content-Crs: <uri>
    for (const std::string prefix : {"HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/", "HTTPS://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/",
                                     "URN:OGC:DEF:CRS:EPSG::", "URN:OGC:DEF:CRS:EPSG:", "EPSG:", "EPSG::"}) {
        if (t.rfind(prefix, 0) == 0) return "EPSG:" + t.substr(prefix.size());
    }
    for (const std::string crs84 : {"HTTP://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84", "HTTPS://WWW.OPENGIS.NET/DEF/CRS/OGC/1.3/CRS84",
                                    "URN:OGC:DEF:CRS:OGC:1.3:CRS84", "URN:OGC:DEF:CRS:OGC::CRS84", "OGC:CRS84", "CRS84"}) {
        if (t == crs84) return "OGC:CRS84";
    }
    if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) return "EPSG:" + t;
    return t;
}

struct context_deleter {
    void operator()(PJ_CONTEXT* c) const noexcept { proj_context_destroy(c); }
};
struct pj_deleter {
    void operator()(PJ* p) const noexcept { proj_destroy(p); }
};
using context_ptr = std::unique_ptr<PJ_CONTEXT, context_deleter>;
using pj_ptr = std::unique_ptr<PJ, pj_deleter>;

} // namespace

const std::vector<crs>& supported_crs() {
    static const std::vector<crs> all = make_supported();
    return all;
}

const crs& crs84() { return supported_crs().front(); }

const crs& find_crs(std::string_view text) {
    const std::string id = canonical_id(text);
    for (const crs& c : supported_crs()) {
        if (c.id == id) return c;
    }
    std::string list;
    for (const crs& c : supported_crs()) list += (list.empty() ? "" : ", ") + c.id;
    throw bad_request("CRS \"" + geo::utf8_prefix(text, 120) + "\" is not supported; use one of " + list);
}

struct transformer::state {
    context_ptr ctx;
    pj_ptr pj;
};

transformer::transformer(const crs& from, const crs& to) : state_(std::make_unique<state>()) {
    // CRS84 and EPSG:4326 differ only in axis order, which normalisation removes.
    identity_ = from == to || (from.id == "OGC:CRS84" && to.id == "EPSG:4326") ||
                (from.id == "EPSG:4326" && to.id == "OGC:CRS84");
    if (identity_) return;
    state_->ctx.reset(proj_context_create());
    pj_ptr raw(proj_create_crs_to_crs(state_->ctx.get(), from.id.c_str(), to.id.c_str(), nullptr));
    if (!raw) throw error("PROJ cannot transform " + from.id + " to " + to.id);
    // x = longitude/easting on both sides, whatever the authority's axis order.
    state_->pj.reset(proj_normalize_for_visualization(state_->ctx.get(), raw.get()));
    if (!state_->pj) throw error("PROJ cannot normalise the " + from.id + " to " + to.id + " transformation");
}

transformer::~transformer() = default;

point transformer::apply(point p) {
    if (identity_) return p;
    PJ_COORD c = proj_coord(p.x, p.y, 0, 0);
    c = proj_trans(state_->pj.get(), PJ_FWD, c);
    if (!std::isfinite(c.xy.x) || !std::isfinite(c.xy.y) || c.xy.x == HUGE_VAL) {
        proj_errno_reset(state_->pj.get());
        char where[64];
        std::snprintf(where, sizeof where, "%.10g, %.10g", p.x, p.y);
        throw invalid_geometry(std::string("coordinates ") + where +
                               " cannot be transformed (outside the coordinate system's area?)");
    }
    return {c.xy.x, c.xy.y};
}

void transformer::apply(ring& r) {
    for (point& p : r) p = apply(p);
}

void transformer::apply(multi_polygon& mp) {
    for (polygon& poly : mp.polygons) {
        for (ring& r : poly.rings) apply(r);
    }
}

operation_info transformer::last_operation() const {
    if (identity_) return {"identity", 0.0};
    pj_ptr op(proj_trans_get_last_used_operation(state_->pj.get()));
    PJ* used = op ? op.get() : state_->pj.get();
    operation_info info;
    const char* name = proj_get_name(used);
    info.name = name ? name : "unknown";
    info.accuracy_m = proj_coordoperation_get_accuracy(state_->ctx.get(), used);
    return info;
}

transformer& transformer_for(const crs& from, const crs& to) {
    thread_local std::map<std::pair<std::string, std::string>, std::unique_ptr<transformer>> cache;
    auto& slot = cache[{from.id, to.id}];
    if (!slot) slot = std::make_unique<transformer>(from, to);
    return *slot;
}

} // namespace plotmap::geo
