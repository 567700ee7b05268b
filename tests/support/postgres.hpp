#pragma once
// The throwaway PostgreSQL + PostGIS cluster of a test run (tests/support/postgres.sh, started
// by ctest's `postgres` fixture in build/*/postgres; TEST_PLOTMAP_POSTGRES names another
// folder). Each test gets
// databases of its own, dropped when the test's process ends.

#include <filesystem>
#include <optional>
#include <string>

namespace plotmap::test {

/// The cluster's folder, if this run has one.
[[nodiscard]] std::optional<std::filesystem::path> postgres_cluster();

/// Whether fixture databases are PostgreSQL in this run (TEST_PLOTMAP_BACKEND=postgresql):
/// ctest runs the data, server and end-to-end suites once on each backend.
[[nodiscard]] bool postgres_run();

/// A new database on the cluster, copied from `template_db` (template0: empty, no PostGIS).
/// @returns its postgresql:// URL. @throws std::runtime_error if the run has no cluster.
[[nodiscard]] std::string new_postgres_database(const std::string& template_db = "template0");

/// Runs `make` once per cluster (across every test process, under a lock) to fill the
/// database `name`, which later calls then find made. @returns its URL.
std::string shared_postgres_database(const std::string& name, void (*make)(const std::string& url));

} // namespace plotmap::test
