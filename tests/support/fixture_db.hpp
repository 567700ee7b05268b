#pragma once
// Real SpatiaLite databases for tests, built from the shipped GeoJSON (never a committed
// binary): the first call per test binary initialises a template file; every test gets its
// own copy.

#include "data/driver.hpp"
#include "geo/geometry.hpp"
#include "temp_dir.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace plotmap::test {

/// The admin user every fixture database has (whole country), with a read-write API token.
struct fixture_admin {
    std::string username = "admin";
    std::string password = "admin-password-1";
    std::string token;
};
const fixture_admin& admin_credentials();
/// "Authorization: Bearer <the fixture admin's token>\r\n", a header line for raw requests.
std::string admin_authorization();

/// Copies an initialised database (schema + admin areas, no plots) to `dir/name`; in a
/// PostgreSQL run (tests/support/postgres.hpp) a new database on the test cluster instead,
/// whose postgresql:// URL the path holds.
std::filesystem::path fresh_database(const temp_dir& dir, const std::string& name = "plotmap.sqlite");

/// The backend fresh_database() makes databases on in this run.
data::backend fixture_backend();

/// Skips the test in a PostgreSQL run, for what only an SQLite file has; `why` is printed.
#define PLOTMAP_SQLITE_ONLY(why)                                                                                                  \
    if (::plotmap::test::fixture_backend() != ::plotmap::data::backend::sqlite) GTEST_SKIP() << "SQLite only: " << (why)

/// The first text in an SQLite run, the second in a PostgreSQL run: SQL a test writes itself to
/// check an answer against, in the spelling of the database it checks.
std::string per_backend(const std::string& sqlite, const std::string& postgresql);

/// Where the server keeps the photos of database `db`: beside an SQLite file (the default), or
/// for a PostgreSQL database a folder of the test cluster's that every server on it is given.
std::string photo_folder(const std::string& db);

/// Like fresh_database, plus `plots` demo plots (seed 2566).
std::filesystem::path demo_database(const temp_dir& dir, long long plots, const std::string& name = "plotmap.sqlite");

/// One number straight from the database file `db`, with SQL written by the test (not the
/// server's): what an answer is checked against.
std::int64_t sql_count(const std::string& db, const std::string& sql);

/// A rectangle of about w x h metres with its south-west corner at (lon, lat), as a boundary.
geo::multi_polygon rect_m(double lon, double lat, double w, double h);

} // namespace plotmap::test
