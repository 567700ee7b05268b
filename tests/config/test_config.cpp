#include "config/config.hpp"
#include "geo/error.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace plotmap;
using namespace plotmap::config;

namespace {

std::string error_of(const std::optional<std::filesystem::path>& file, const environment& env) {
    try {
        (void)load(file, env);
    } catch (const config_error& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(config, defaults_without_file_or_environment) {
    const settings s = load(std::nullopt, {});
    EXPECT_EQ(s.server.listen, "0.0.0.0:8080");
    EXPECT_EQ(s.database.path, "plotmap.sqlite");
    EXPECT_EQ(s.server.body_limit_bytes, 1048576u);
    EXPECT_TRUE(s.warnings.empty());
}

TEST(config, shipped_file_documents_exactly_the_defaults) {
    const settings shipped = load(std::filesystem::path(PLOTMAP_SOURCE_DIR) / "config/plotmap.toml", {});
    const settings defaults = load(std::nullopt, {});
    EXPECT_TRUE(shipped.warnings.empty()) << shipped.warnings.front();
    EXPECT_EQ(shipped.server.listen, defaults.server.listen);
    EXPECT_EQ(shipped.server.io_threads, defaults.server.io_threads);
    EXPECT_EQ(shipped.server.worker_threads, defaults.server.worker_threads);
    EXPECT_EQ(shipped.server.body_limit_bytes, defaults.server.body_limit_bytes);
    EXPECT_EQ(shipped.server.header_limit_bytes, defaults.server.header_limit_bytes);
    EXPECT_EQ(shipped.server.read_timeout_s, defaults.server.read_timeout_s);
    EXPECT_EQ(shipped.server.keep_alive_timeout_s, defaults.server.keep_alive_timeout_s);
    EXPECT_EQ(shipped.server.shutdown_grace_s, defaults.server.shutdown_grace_s);
    EXPECT_EQ(shipped.server.access_log, defaults.server.access_log);
    EXPECT_EQ(shipped.server.max_connections, defaults.server.max_connections);
    EXPECT_EQ(shipped.server.upload_limit_bytes, defaults.server.upload_limit_bytes);
    EXPECT_EQ(shipped.server.requests_per_s, defaults.server.requests_per_s);
    EXPECT_EQ(shipped.server.request_burst, defaults.server.request_burst);
    EXPECT_EQ(shipped.server.trust_proxy, defaults.server.trust_proxy);
    EXPECT_EQ(shipped.database.path, defaults.database.path);
    EXPECT_EQ(shipped.database.readers, defaults.database.readers);
    EXPECT_EQ(shipped.database.busy_timeout_ms, defaults.database.busy_timeout_ms);
    EXPECT_EQ(shipped.database.admin_dir, defaults.database.admin_dir);
    EXPECT_EQ(shipped.plots.programs, defaults.plots.programs);
    EXPECT_EQ(shipped.plots.stages, defaults.plots.stages);
    EXPECT_EQ(shipped.plots.region_bbox, defaults.plots.region_bbox);
    EXPECT_EQ(shipped.plots.region_name, defaults.plots.region_name);
    EXPECT_EQ(shipped.plots.area_mismatch_warn_share, defaults.plots.area_mismatch_warn_share);
    EXPECT_EQ(shipped.plots.overlap_warn_m2, defaults.plots.overlap_warn_m2);
    EXPECT_EQ(shipped.plots.max_area_m2, defaults.plots.max_area_m2);
    EXPECT_EQ(shipped.plots.list_limit_default, defaults.plots.list_limit_default);
    EXPECT_EQ(shipped.plots.list_limit_max, defaults.plots.list_limit_max);
    EXPECT_EQ(shipped.plots.max_vertices, defaults.plots.max_vertices);
    EXPECT_EQ(shipped.auth.anonymous, defaults.auth.anonymous);
    EXPECT_EQ(shipped.auth.session_idle_timeout_s, defaults.auth.session_idle_timeout_s);
    EXPECT_EQ(shipped.auth.session_lifetime_s, defaults.auth.session_lifetime_s);
    EXPECT_EQ(shipped.auth.login_attempts_per_user, defaults.auth.login_attempts_per_user);
    EXPECT_EQ(shipped.auth.login_attempts_per_address, defaults.auth.login_attempts_per_address);
    EXPECT_EQ(shipped.auth.login_window_s, defaults.auth.login_window_s);
    EXPECT_EQ(shipped.tiles.extent, defaults.tiles.extent);
    EXPECT_EQ(shipped.tiles.buffer, defaults.tiles.buffer);
    EXPECT_EQ(shipped.tiles.plots_min_zoom, defaults.tiles.plots_min_zoom);
    EXPECT_EQ(shipped.tiles.cluster_below_zoom, defaults.tiles.cluster_below_zoom);
    EXPECT_EQ(shipped.tiles.max_zoom, defaults.tiles.max_zoom);
    EXPECT_EQ(shipped.tiles.cache_bytes, defaults.tiles.cache_bytes);
    EXPECT_EQ(shipped.tiles.max_tile_bytes, defaults.tiles.max_tile_bytes);
    EXPECT_EQ(shipped.tiles.max_age_s, defaults.tiles.max_age_s);
    EXPECT_EQ(shipped.server.public_url, defaults.server.public_url);
    EXPECT_EQ(shipped.tiles.fonts, defaults.tiles.fonts);
    EXPECT_EQ(shipped.web.root, defaults.web.root);
    EXPECT_EQ(shipped.web.basemap_url, defaults.web.basemap_url);
    EXPECT_EQ(shipped.web.basemap_attribution, defaults.web.basemap_attribution);
    EXPECT_EQ(shipped.web.basemap_max_zoom, defaults.web.basemap_max_zoom);
    EXPECT_EQ(shipped.field.pin_accuracy_m, defaults.field.pin_accuracy_m);
    EXPECT_EQ(shipped.field.pin_min_fixes, defaults.field.pin_min_fixes);
    EXPECT_EQ(shipped.field.walk_max_accuracy_m, defaults.field.walk_max_accuracy_m);
    EXPECT_EQ(shipped.photos.recent_days, defaults.photos.recent_days);
}

TEST(config, a_basemap_is_an_xyz_url) {
    const settings s = load(std::nullopt, {{"PLOTMAP_WEB_BASEMAP_URL", "https://tiles.example.org/sat/{z}/{x}/{y}.jpg"},
                                           {"PLOTMAP_WEB_BASEMAP_ATTRIBUTION", "Imagery © Example"},
                                           {"PLOTMAP_WEB_BASEMAP_MAX_ZOOM", "18"}});
    EXPECT_EQ(s.web.basemap_url, "https://tiles.example.org/sat/{z}/{x}/{y}.jpg");
    EXPECT_EQ(s.web.basemap_max_zoom, 18);
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_WEB_BASEMAP_URL", "https://tiles.example.org/sat/{z}/{x}.jpg"}}),
              "environment variable PLOTMAP_WEB_BASEMAP_URL (key 'web.basemap_url'): an XYZ tile URL needs {y}, got "
              "\"https://tiles.example.org/sat/{z}/{x}.jpg\"");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_WEB_BASEMAP_URL", "file:///etc/{z}/{x}/{y}"}}),
              "environment variable PLOTMAP_WEB_BASEMAP_URL (key 'web.basemap_url'): must start with http:// or https://");
}

TEST(config, lists_numbers_and_boxes) {
    test::temp_dir dir;
    std::ofstream(dir / "p.toml") << "[plots]\nprograms = [\"HLM\", \"CLM\", \"PILOT\"]\noverlap_warn_m2 = 5\n"
                                     "region_bbox = [100, 13, 101, 14]\n";
    const settings s = load(dir / "p.toml", {{"PLOTMAP_PLOTS_STAGES", "a, b ,c"}, {"PLOTMAP_PLOTS_AREA_MISMATCH_WARN_SHARE", "0.2"}});
    EXPECT_EQ(s.plots.programs, (std::vector<std::string>{"HLM", "CLM", "PILOT"}));
    EXPECT_EQ(s.plots.stages, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_DOUBLE_EQ(s.plots.overlap_warn_m2, 5.0);
    EXPECT_DOUBLE_EQ(s.plots.area_mismatch_warn_share, 0.2);
    EXPECT_EQ(s.plots.region_bbox, (std::array<double, 4>{100, 13, 101, 14}));
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_PLOTS_STAGES", "a,a"}}),
              "environment variable PLOTMAP_PLOTS_STAGES (key 'plots.stages'): \"a\" is listed twice");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_PLOTS_REGION_BBOX", "101,13,100,14"}}),
              "environment variable PLOTMAP_PLOTS_REGION_BBOX (key 'plots.region_bbox'): must be [min_lon, min_lat, "
              "max_lon, max_lat] with min below max, in degrees");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_PLOTS_LIST_LIMIT_DEFAULT", "5000"}}),
              "key 'plots.list_limit_default' (5000) must not exceed 'plots.list_limit_max' (1000)");
}

TEST(config, file_values_then_environment_overrides) {
    test::temp_dir dir;
    std::ofstream(dir / "p.toml") << "[server]\nlisten = \"127.0.0.1:9000\"\nio_threads = 3\n[database]\nreaders = 8\n";
    const settings s = load(dir / "p.toml", {{"PLOTMAP_SERVER_LISTEN", "127.0.0.1:9100"}, {"PLOTMAP_SERVER_ACCESS_LOG", "false"}});
    EXPECT_EQ(s.server.listen, "127.0.0.1:9100");
    EXPECT_EQ(s.server.io_threads, 3);
    EXPECT_EQ(s.database.readers, 8);
    EXPECT_FALSE(s.server.access_log);
}

TEST(config, unknown_keys_and_variables_are_warned_about) {
    test::temp_dir dir;
    std::ofstream(dir / "p.toml") << "[server]\nlisten_port = 1\n[tilez]\nx = 1\n";
    const settings s = load(dir / "p.toml", {{"PLOTMAP_SERVER_LISTN", "x"}, {"HOME", "/root"}});
    const std::string f = (dir / "p.toml").string();
    EXPECT_EQ(s.warnings, (std::vector<std::string>{f + ": key 'server.listen_port' is unknown (ignored)",
                                                    f + ": key 'tilez.x' is unknown (ignored)",
                                                    "environment variable PLOTMAP_SERVER_LISTN is not a plotmap setting (ignored)"}));
}

TEST(config, errors_name_the_file_and_key) {
    test::temp_dir dir;
    const std::string f = (dir / "p.toml").string();
    std::ofstream(dir / "p.toml") << "[server]\nio_threads = \"many\"\n";
    EXPECT_EQ(error_of(dir / "p.toml", {}), f + ": key 'server.io_threads': expected an integer");
    std::ofstream(dir / "p.toml") << "[server]\nio_threads = 0\n";
    EXPECT_EQ(error_of(dir / "p.toml", {}), f + ": key 'server.io_threads': must be between 1 and 256, got 0");
    std::ofstream(dir / "p.toml") << "[server]\nlisten = \"localhost\"\n";
    EXPECT_EQ(error_of(dir / "p.toml", {}),
              f + ": key 'server.listen': expected HOST:PORT (e.g. 0.0.0.0:8080), got \"localhost\"");
    std::ofstream(dir / "p.toml") << "[server\nlisten = 1\n";
    EXPECT_EQ(error_of(dir / "p.toml", {}).substr(0, f.size() + 3), f + ":1:");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_AUTH_ANONYMOUS", "sometimes"}}),
              "environment variable PLOTMAP_AUTH_ANONYMOUS (key 'auth.anonymous'): must be \"public\" or \"off\"");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_DATABASE_READERS", "lots"}}),
              "environment variable PLOTMAP_DATABASE_READERS (key 'database.readers'): expected an integer, got \"lots\"");
    EXPECT_EQ(error_of(std::nullopt, {{"PLOTMAP_SERVER_ACCESS_LOG", "maybe"}}),
              "environment variable PLOTMAP_SERVER_ACCESS_LOG (key 'server.access_log'): expected true or false, got \"maybe\"");
    EXPECT_EQ(error_of(dir / "nope.toml", {}), "config file " + (dir / "nope.toml").string() + " does not exist");
}

TEST(config, listen_addresses) {
    EXPECT_EQ(parse_listen("127.0.0.1:8080", "k").port, 8080);
    EXPECT_EQ(parse_listen("[::1]:0", "k").host, "::1");
    EXPECT_THROW((void)parse_listen("127.0.0.1:70000", "k"), config_error);
    EXPECT_THROW((void)parse_listen(":80", "k"), config_error);
}
