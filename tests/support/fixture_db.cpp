#include "fixture_db.hpp"

#include "config/config.hpp"
#include "data/admin_areas.hpp"
#include "data/demo.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "data/users.hpp"
#include "geo/geodesic.hpp"
#include "postgres.hpp"

#include <fstream>
#include <stdexcept>

#include <mutex>

namespace plotmap::test {
namespace {

fixture_admin admin;

/// Schema, admin areas and the fixture admin with a token, in a new database.
void fill_fixture(data::connection& conn) {
    data::migrate(conn);
    data::load_admin_areas(conn, config::default_admin_dir());
    (void)data::add_user(conn, {admin.username, data::role::admin, std::nullopt, admin.password}, std::nullopt);
    admin.token = data::create_token(conn, admin.username, "tests", true, std::nullopt).token;
}

/// The PostgreSQL fixture database, made once per cluster by whichever test comes first; its
/// admin token is kept beside the cluster for the other test processes.
const std::string& postgres_template() {
    static std::once_flag once;
    static std::string url;
    std::call_once(once, [] {
        if (!postgres_cluster()) throw std::runtime_error("a PostgreSQL run without the test cluster: run the tests through ctest");
        const std::filesystem::path token_file = *postgres_cluster() / "fixture_token";
        url = shared_postgres_database("plotmap_fixture", [](const std::string& made) {
            {
                data::connection conn(made, data::connection::mode::read_write);
                fill_fixture(conn);
            }
            std::ofstream(*postgres_cluster() / "fixture_token") << admin.token;
        });
        std::ifstream(token_file) >> admin.token;
    });
    return url;
}

const std::filesystem::path& template_database() {
    static temp_dir dir;
    static std::once_flag once;
    static std::filesystem::path file = dir / "template.sqlite";
    std::call_once(once, [] {
        data::connection conn(file.string(), data::connection::mode::create);
        fill_fixture(conn);
        conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    });
    return file;
}

} // namespace

const fixture_admin& admin_credentials() {
    if (postgres_run()) {
        (void)postgres_template();
    } else {
        (void)template_database();
    }
    return admin;
}

std::string admin_authorization() { return "Authorization: Bearer " + admin_credentials().token + "\r\n"; }

data::backend fixture_backend() { return postgres_run() ? data::backend::postgresql : data::backend::sqlite; }

std::string photo_folder(const std::string& db) {
    if (!data::is_postgresql_url(db)) return db + ".photos";
    return (*postgres_cluster() / "photos" / db.substr(db.rfind('/') + 1)).string();
}

std::string per_backend(const std::string& sqlite, const std::string& postgresql) { return postgres_run() ? postgresql : sqlite; }

std::filesystem::path fresh_database(const temp_dir& dir, const std::string& name) {
    if (postgres_run()) {
        const std::string& from = postgres_template();
        return new_postgres_database(from.substr(from.rfind('/') + 1));
    }
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
