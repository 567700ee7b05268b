#include "postgres.hpp"

#include "data/database.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <vector>

namespace plotmap::test {
namespace {

std::string server_url() {
    const auto dir = postgres_cluster();
    if (!dir) throw std::runtime_error("no PostgreSQL test cluster: run the tests through ctest (the `postgres` fixture)");
    std::ifstream in(*dir / "url");
    std::string url;
    std::getline(in, url);
    if (url.empty()) throw std::runtime_error("the PostgreSQL test cluster in " + dir->string() + " has no url file");
    return url;
}

/// server_url() with another database name.
std::string url_of(const std::string& name) {
    std::string url = server_url();
    return url.substr(0, url.rfind('/') + 1) + name;
}

/// Drops the databases this process made when it ends (the cluster goes at the end of the run
/// anyway; this keeps a long run's disk use to the tests running at once).
struct made_databases {
    std::mutex mutex;
    std::vector<std::string> names;
    ~made_databases() {
        try {
            if (names.empty()) return;
            data::connection admin(server_url(), data::connection::mode::read_write);
            for (const std::string& name : names) admin.exec("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
        } catch (const std::exception&) {
            // Left for the cluster's removal.
        }
    }
};
made_databases made;

} // namespace

std::optional<std::filesystem::path> postgres_cluster() {
    const char* dir = std::getenv("TEST_PLOTMAP_POSTGRES");
    std::filesystem::path found = dir != nullptr && *dir != '\0' ? std::filesystem::path(dir) : std::filesystem::path(PLOTMAP_TEST_POSTGRES_DIR);
    if (!std::filesystem::exists(found / "url")) return std::nullopt;
    return found;
}

bool postgres_run() {
    const char* backend = std::getenv("TEST_PLOTMAP_BACKEND");
    return backend != nullptr && std::string(backend) == "postgresql";
}

std::string new_postgres_database(const std::string& template_db) {
    static std::random_device rd;
    const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(rd());
    {
        data::connection admin(server_url(), data::connection::mode::read_write);
        admin.exec("CREATE DATABASE \"" + name + "\" TEMPLATE \"" + template_db + "\"");
    }
    const std::lock_guard lock(made.mutex);
    made.names.push_back(name);
    return url_of(name);
}

std::string shared_postgres_database(const std::string& name, void (*make)(const std::string& url)) {
    data::connection admin(server_url(), data::connection::mode::read_write);
    // A session lock, held while this process checks and, if need be, makes the database.
    admin.exec("SELECT pg_advisory_lock(hashtext('" + name + "'))");
    try {
        data::statement st(admin, "SELECT count(*) FROM pg_database WHERE datname = ?");
        st.bind(1, name);
        const bool exists = st.step() && st.int64(0) > 0;
        if (!exists) {
            admin.exec("CREATE DATABASE \"" + name + "_making\" TEMPLATE template0");
            make(url_of(name + "_making"));
            admin.exec("ALTER DATABASE \"" + name + "_making\" RENAME TO \"" + name + "\"");
        }
    } catch (...) {
        admin.exec("DROP DATABASE IF EXISTS \"" + name + "_making\" WITH (FORCE)");
        admin.exec("SELECT pg_advisory_unlock(hashtext('" + name + "'))");
        throw;
    }
    admin.exec("SELECT pg_advisory_unlock(hashtext('" + name + "'))");
    return url_of(name);
}

} // namespace plotmap::test
