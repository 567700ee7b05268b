#include "data/admin_areas.hpp"
#include "server/routes/routes.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace plotmap::server::routes {
namespace {

struct link {
    const char* href;
    const char* rel;
    const char* type;
    const char* title_en;
    const char* title_th;
};

constexpr std::array links{
    link{"/", "self", "application/json", "This document", "หน้านี้"},
    link{"/api/v1/plots", "data", "application/json", "Plot registry API: list, create, edit, history",
         "ทะเบียนแปลง (API)"},
    link{"/embed", "alternate", "text/html", "Map of the plots, embeddable", "แผนที่แปลง (ฝังในเว็บอื่นได้)"},
    link{"/admin", "alternate", "text/html", "Sign in; users and API tokens", "เข้าสู่ระบบ ผู้ใช้และโทเคน"},
    link{"/styles/default.json", "describedby", "application/json", "MapLibre style", "สไตล์แผนที่ MapLibre"},
    link{"/tiles/plots.json", "tiles", "application/json", "Plot vector tiles: TileJSON", "ไทล์เวกเตอร์ของแปลง (TileJSON)"},
    link{"/tiles/admin.json", "tiles", "application/json", "Admin boundary vector tiles: TileJSON",
         "ไทล์เขตการปกครอง (TileJSON)"},
    link{"/healthz", "service-status", "application/json", "Liveness check", "ตรวจว่าระบบทำงาน"},
    link{"/readyz", "service-status", "application/json", "Readiness check: database reachable",
         "ตรวจความพร้อม (ฐานข้อมูล)"},
    link{"/metrics", "service-metrics", "text/plain", "Prometheus metrics", "ตัวชี้วัดสำหรับ Prometheus"},
};

struct summary {
    long long plots = 0;
    data::admin_counts admin{};
};

/// "json" or "html", from ?f= first, then the Accept header. @throws bad_request for an unknown f.
std::string wanted_format(const request& req) {
    if (const auto f = req.query_value("f")) {
        if (*f == "json" || *f == "html") return std::string(*f);
        throw bad_request("unknown format f=" + std::string(*f) + "; use f=json or f=html");
    }
    const std::string accept = lower(req.header("accept").value_or(""));
    const auto json_at = accept.find("application/json");
    const auto html_at = accept.find("text/html");
    return json_at != std::string::npos && (html_at == std::string::npos || json_at < html_at) ? "json" : "html";
}

std::string render_html(const summary& s) {
    std::string items;
    for (const link& l : links) {
        if (std::string_view(l.rel) == "self") continue;
        items += std::string("<li><a href=\"") + l.href + "\">" + l.title_th + "</a> <span lang=\"en\">(" +
                 l.title_en + ")</span></li>\n";
    }
    return R"(<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>plotmap — ทะเบียนแปลงโคก หนอง นา</title>
<link rel="icon" href="data:,">
<link rel="alternate" type="application/json" href="/?f=json">
<style>
body{font-family:system-ui,"Noto Sans Thai",sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1f2a1f}
h1{margin-bottom:0}.sub{color:#556b55;margin-top:0}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}
dt{font-weight:600}a{color:#2e6b30}
</style>
</head>
<body>
<h1>plotmap</h1>
<p class="sub">ทะเบียนแปลงและแผนที่ โคก หนอง นา โมเดล · <span lang="en">Khok Nong Na model plot registry and map service</span></p>
<h2>ข้อมูลในระบบ <small lang="en">(data)</small></h2>
<dl>
<dt>แปลง <span lang="en">(plots)</span></dt><dd>)" +
           std::to_string(s.plots) + R"(</dd>
<dt>จังหวัด <span lang="en">(provinces)</span></dt><dd>)" +
           std::to_string(s.admin[0]) + R"(</dd>
<dt>อำเภอ <span lang="en">(districts)</span></dt><dd>)" +
           std::to_string(s.admin[1]) + R"(</dd>
<dt>ตำบล <span lang="en">(subdistricts)</span></dt><dd>)" +
           std::to_string(s.admin[2]) + R"(</dd>
</dl>
<h2>บริการ <small lang="en">(services)</small></h2>
<ul>
)" + items + R"(</ul>
<p><small>เขตการปกครอง: OCHA / Royal Thai Survey Department (CC BY-IGO 3.0)</small></p>
</body>
</html>
)";
}

nlohmann::json render_json(const summary& s) {
    nlohmann::json out{{"title", "plotmap"},
                       {"description", "Khok Nong Na model plot registry and map service"},
                       {"plots", s.plots},
                       {"admin_areas", {{"adm1", s.admin[0]}, {"adm2", s.admin[1]}, {"adm3", s.admin[2]}}},
                       {"links", nlohmann::json::array()}};
    for (const link& l : links) {
        out["links"].push_back({{"href", std::string(l.href) + (std::string_view(l.rel) == "self" ? "?f=json" : "")},
                                {"rel", l.rel},
                                {"type", l.type},
                                {"title", l.title_en}});
    }
    out["links"].push_back({{"href", "/?f=html"}, {"rel", "alternate"}, {"type", "text/html"}, {"title", "This document as HTML"}});
    return out;
}

} // namespace

void add_landing(router& r, const context& ctx) {
    r.add("GET", "/", access::open, [&ctx](const request& req, const path_params&) {
        const std::string format = wanted_format(req);
        const summary s = ctx.store.read([](data::connection& c) {
            return summary{c.scalar_int("SELECT count(*) FROM plots WHERE deleted_at IS NULL"), data::count_admin_areas(c)};
        });
        response res = format == "json" ? make_response(200, "application/json", render_json(s).dump())
                                        : make_response(200, "text/html; charset=utf-8", render_html(s));
        res.set("Vary", "Accept");
        return res;
    });
}

} // namespace plotmap::server::routes
