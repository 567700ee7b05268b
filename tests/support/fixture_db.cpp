#include "fixture_db.hpp"

#include "config/config.hpp"
#include "data/admin_areas.hpp"
#include "data/demo.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "data/users.hpp"
#include "geo/geodesic.hpp"

#include <mutex>

namespace plotmap::test {
namespace {

fixture_admin admin;

const std::filesystem::path& template_database() {
    static temp_dir dir;
    static std::once_flag once;
    static std::filesystem::path file = dir / "template.sqlite";
    std::call_once(once, [] {
        data::connection conn(file.string(), data::connection::mode::create);
        data::migrate(conn);
        data::load_admin_areas(conn, config::default_admin_dir());
        (void)data::add_user(conn, {admin.username, data::role::admin, std::nullopt, admin.password}, std::nullopt);
        admin.token = data::create_token(conn, admin.username, "tests", true, std::nullopt).token;
        conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    });
    return file;
}

} // namespace

const fixture_admin& admin_credentials() {
    (void)template_database();
    return admin;
}

std::string admin_authorization() { return "Authorization: Bearer " + admin_credentials().token + "\r\n"; }

std::filesystem::path fresh_database(const temp_dir& dir, const std::string& name) {
    const std::filesystem::path target = dir / name;
    std::filesystem::copy_file(template_database(), target, std::filesystem::copy_options::overwrite_existing);
    return target;
}

std::filesystem::path demo_database(const temp_dir& dir, long long plots, const std::string& name) {
    const std::filesystem::path target = fresh_database(dir, name);
    data::connection conn(target.string(), data::connection::mode::read_write);
    data::demo_options options;
    options.plots = plots;
    data::generate_demo_plots(conn, options);
    return target;
}

std::int64_t sql_count(const std::string& db, const std::string& sql) {
    data::connection c(db, data::connection::mode::read_only);
    return c.scalar_int(sql);
}

geo::multi_polygon rect_m(double lon, double lat, double w, double h) {
    const geo::point sw{lon, lat};
    const geo::point se = geo::geodesic_destination(sw, 90, w);
    const geo::point ne = geo::geodesic_destination(se, 0, h);
    const geo::point nw = geo::geodesic_destination(sw, 0, h);
    return {{geo::polygon{{{sw, se, ne, nw, sw}}}}};
}

} // namespace plotmap::test
