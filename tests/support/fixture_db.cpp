#include "fixture_db.hpp"

#include "config/config.hpp"
#include "data/admin_areas.hpp"
#include "data/demo.hpp"
#include "data/schema.hpp"
#include "data/sqlite.hpp"

#include <mutex>

namespace plotmap::test {
namespace {

const std::filesystem::path& template_database() {
    static temp_dir dir;
    static std::once_flag once;
    static std::filesystem::path file = dir / "template.sqlite";
    std::call_once(once, [] {
        data::connection conn(file.string(), data::connection::mode::create);
        data::migrate(conn);
        data::load_admin_areas(conn, config::default_admin_dir());
        conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    });
    return file;
}

} // namespace

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

} // namespace plotmap::test
