#include "data/admin_areas.hpp"
#include "data/plot_store.hpp"
#include "geo/text.hpp"
#include "server/html.hpp"
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
    link{"/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "The API definition (OpenAPI 3.0)",
         "นิยาม API (OpenAPI 3.0)"},
    link{"/conformance", "conformance", "application/json", "OGC API conformance classes", "มาตรฐาน OGC ที่รองรับ"},
    link{"/collections", "data", "application/json", "Feature collections (OGC API Features): plots, pins, admin areas",
         "ชุดข้อมูล (OGC API Features): แปลง หมุด เขตการปกครอง"},
    link{"/api/v1/plots", "related", "application/json", "Plot registry API: list, create, edit, history",
         "ทะเบียนแปลง (API)"},
    link{"/embed", "alternate", "text/html", "Map of the plots, embeddable", "แผนที่แปลง (ฝังในเว็บอื่นได้)"},
    link{"/embed/builder", "alternate", "text/html", "Embed builder: area, stages, language; the <iframe> snippet and QGIS connections",
         "สร้างแผนที่ฝังในเว็บ: เลือกพื้นที่ ขั้นตอน ภาษา ได้โค้ด <iframe> และการเชื่อมต่อ QGIS"},
    link{"/admin", "alternate", "text/html", "Sign in; users and API tokens", "เข้าสู่ระบบ ผู้ใช้และโทเคน"},
    link{"/app/", "alternate", "text/html", "Field app: pin plots by GPS, works without signal",
         "แอปภาคสนาม: ปักหมุดแปลงด้วย GPS ใช้ได้แม้ไม่มีสัญญาณ"},
    link{"/dashboard/", "alternate", "text/html", "Dashboard: progress by province, district and subdistrict (signed in)",
         "แดชบอร์ด: ความก้าวหน้ารายจังหวัด อำเภอ ตำบล (ต้องเข้าสู่ระบบ)"},
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

std::string render_html(const summary& s) {
    std::string items;
    for (const link& l : links) {
        if (std::string_view(l.rel) == "self") continue;
        items += std::string("<li><a href=\"") + l.href + "\">" + l.title_th + "</a> <span lang=\"en\">(" +
                 l.title_en + ")</span></li>\n";
    }
    return html_page("plotmap — ทะเบียนแปลงโคก หนอง นา", R"(<h1>plotmap</h1>
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
<p><small>เขตการปกครอง: OCHA / Royal Thai Survey Department (CC BY-IGO 3.0)</small></p>)",
                     "/?f=json");
}

nlohmann::json render_json(const summary& s, const std::string& base) {
    nlohmann::json out{{"title", "plotmap"},
                       {"description", "Khok Nong Na model plot registry and map service"},
                       {"plots", s.plots},
                       {"admin_areas", {{"adm1", s.admin[0]}, {"adm2", s.admin[1]}, {"adm3", s.admin[2]}}},
                       {"links", nlohmann::json::array()}};
    for (const link& l : links) {
        out["links"].push_back({{"href", base + l.href + (std::string_view(l.rel) == "self" ? "?f=json" : "")},
                                {"rel", l.rel},
                                {"type", l.type},
                                {"title", l.title_en}});
    }
    out["links"].push_back({{"href", base + "/?f=html"}, {"rel", "alternate"}, {"type", "text/html"}, {"title", "This document as HTML"}});
    return out;
}

} // namespace

void add_landing(router& r, const context& ctx) {
    r.add("GET", "/", access::open, [&ctx](const request& req, const path_params&) {
        const std::string format = wanted_format(req, "html");
        const summary s = ctx.store.read([](data::connection& c) {
            return summary{data::count_live_plots(c), data::count_admin_areas(c)};
        });
        response res = format == "json" ? make_response(200, "application/json", geo::json_text(render_json(s, base_url(req, ctx))))
                                        : make_response(200, "text/html; charset=utf-8", render_html(s));
        res.set("Vary", "Accept");
        return res;
    });
}

} // namespace plotmap::server::routes
