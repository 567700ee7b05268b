#include "config/config.hpp"

#include "geo/error.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <functional>
#include <limits>

extern char** environ;

namespace plotmap::config {
namespace {

/// One configurable key: where it lives and how to set it from text or from TOML.
struct key_spec {
    const char* section;
    const char* name;
    std::function<void(settings&, const std::string& text, const std::string& where)> from_text;
    std::function<void(settings&, const toml::node& node, const std::string& where)> from_toml;
    const char* moved_to = nullptr; ///< an old name still read, with a warning naming the new one
};

key_spec moved(key_spec k, const char* new_name) {
    k.moved_to = new_name;
    return k;
}

void check_public_url(const std::string& v, const std::string& where) {
    if (v.empty()) return;
    if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) throw config_error(where + ": must start with http:// or https://");
    if (v.find_first_of(" ?#\"<>") != std::string::npos) throw config_error(where + ": must be a plain base URL (no spaces, query or fragment)");
}

void check_basemap_url(const std::string& v, const std::string& where) {
    if (v.empty()) return;
    if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) throw config_error(where + ": must start with http:// or https://");
    for (const char* slot : {"{z}", "{x}", "{y}"}) {
        if (v.find(slot) == std::string::npos) throw config_error(where + ": an XYZ tile URL needs " + slot + ", got \"" + v + "\"");
    }
}

template <typename T>
T parse_integer(const std::string& text, const std::string& where, T min, T max) {
    long long v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw config_error(where + ": expected an integer, got \"" + text + "\"");
    }
    if (v < static_cast<long long>(min) || static_cast<unsigned long long>(v) > static_cast<unsigned long long>(max)) {
        throw config_error(where + ": must be between " + std::to_string(min) + " and " + std::to_string(max) +
                           ", got " + text);
    }
    return static_cast<T>(v);
}

bool parse_bool(const std::string& text, const std::string& where) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    throw config_error(where + ": expected true or false, got \"" + text + "\"");
}

template <typename T>
key_spec integer_key(const char* section, const char* name, T min, T max, std::function<T&(settings&)> field) {
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) {
                field(s) = parse_integer<T>(text, where, min, max);
            },
            [=](settings& s, const toml::node& node, const std::string& where) {
                const auto v = node.value<long long>();
                if (!node.is_integer() || !v) throw config_error(where + ": expected an integer");
                field(s) = parse_integer<T>(std::to_string(*v), where, min, max);
            }};
}

key_spec string_key(const char* section, const char* name, std::function<std::string&(settings&)> field,
                    std::function<void(const std::string&, const std::string&)> check = {}) {
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) {
                if (check) check(text, where);
                field(s) = text;
            },
            [=](settings& s, const toml::node& node, const std::string& where) {
                if (!node.is_string()) throw config_error(where + ": expected a string");
                const std::string text = *node.value<std::string>();
                if (check) check(text, where);
                field(s) = text;
            }};
}

key_spec bool_key(const char* section, const char* name, std::function<bool&(settings&)> field) {
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) { field(s) = parse_bool(text, where); },
            [=](settings& s, const toml::node& node, const std::string& where) {
                if (!node.is_boolean()) throw config_error(where + ": expected true or false");
                field(s) = *node.value<bool>();
            }};
}

double parse_double(const std::string& text, const std::string& where, double min, double max) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw config_error(where + ": expected a number, got \"" + text + "\"");
    }
    if (!(v >= min && v <= max)) {
        throw config_error(where + ": must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
    }
    return v;
}

key_spec double_key(const char* section, const char* name, double min, double max, std::function<double&(settings&)> field) {
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) {
                field(s) = parse_double(text, where, min, max);
            },
            [=](settings& s, const toml::node& node, const std::string& where) {
                const auto v = node.value<double>();
                if (!(node.is_floating_point() || node.is_integer()) || !v) throw config_error(where + ": expected a number");
                if (!(*v >= min && *v <= max)) {
                    throw config_error(where + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
                }
                field(s) = *v;
            }};
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(0, 1);
        while (!item.empty() && item.back() == ' ') item.pop_back();
        out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

/// A non-empty list of distinct, non-empty strings: TOML array, or comma-separated in the environment.
key_spec string_list_key(const char* section, const char* name, std::function<std::vector<std::string>&(settings&)> field,
                         bool may_be_empty = false) {
    const auto check = [may_be_empty](const std::vector<std::string>& items, const std::string& where) {
        if (items.empty() && !may_be_empty) throw config_error(where + ": must list at least one value");
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (items[i].empty()) throw config_error(where + ": values must not be empty");
            for (std::size_t j = 0; j < i; ++j) {
                if (items[i] == items[j]) throw config_error(where + ": \"" + items[i] + "\" is listed twice");
            }
        }
    };
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) {
                auto items = split_list(text);
                check(items, where);
                field(s) = std::move(items);
            },
            [=](settings& s, const toml::node& node, const std::string& where) {
                const toml::array* arr = node.as_array();
                if (arr == nullptr) throw config_error(where + ": expected an array of strings");
                std::vector<std::string> items;
                for (const auto& el : *arr) {
                    if (!el.is_string()) throw config_error(where + ": expected an array of strings");
                    items.push_back(*el.value<std::string>());
                }
                check(items, where);
                field(s) = std::move(items);
            }};
}

/// [min_lon, min_lat, max_lon, max_lat] in degrees.
key_spec bbox_key(const char* section, const char* name, std::function<std::array<double, 4>&(settings&)> field) {
    const auto check = [](const std::array<double, 4>& b, const std::string& where) {
        if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] >= b[2] || b[1] >= b[3]) {
            throw config_error(where + ": must be [min_lon, min_lat, max_lon, max_lat] with min below max, in degrees");
        }
    };
    return {section, name,
            [=](settings& s, const std::string& text, const std::string& where) {
                const auto items = split_list(text);
                if (items.size() != 4) throw config_error(where + ": must have exactly four numbers");
                std::array<double, 4> b{};
                for (std::size_t i = 0; i < 4; ++i) b[i] = parse_double(items[i], where, -180, 180);
                check(b, where);
                field(s) = b;
            },
            [=](settings& s, const toml::node& node, const std::string& where) {
                const toml::array* arr = node.as_array();
                if (arr == nullptr || arr->size() != 4) throw config_error(where + ": must be an array with exactly four numbers");
                std::array<double, 4> b{};
                for (std::size_t i = 0; i < 4; ++i) {
                    const auto v = (*arr)[i].value<double>();
                    if (!v) throw config_error(where + ": must be an array with exactly four numbers");
                    b[i] = *v;
                }
                check(b, where);
                field(s) = b;
            }};
}

const std::vector<key_spec>& keys() {
    static const std::vector<key_spec> all{
        string_key("server", "listen", [](settings& s) -> std::string& { return s.server.listen; },
                   [](const std::string& v, const std::string& where) { (void)parse_listen(v, where); }),
        integer_key<int>("server", "io_threads", 1, 256, [](settings& s) -> int& { return s.server.io_threads; }),
        integer_key<int>("server", "worker_threads", 1, 256, [](settings& s) -> int& { return s.server.worker_threads; }),
        integer_key<std::size_t>("server", "body_limit_bytes", 1024, std::size_t{1} << 32,
                                 [](settings& s) -> std::size_t& { return s.server.body_limit_bytes; }),
        integer_key<std::size_t>("server", "upload_limit_bytes", 1024, std::size_t{1} << 34,
                                 [](settings& s) -> std::size_t& { return s.server.upload_limit_bytes; }),
        integer_key<std::size_t>("server", "header_limit_bytes", 1024, std::size_t{1} << 20,
                                 [](settings& s) -> std::size_t& { return s.server.header_limit_bytes; }),
        integer_key<std::int64_t>("server", "idempotency_ttl_s", 60, std::int64_t{3650} * 86400,
                                  [](settings& s) -> std::int64_t& { return s.server.idempotency_ttl_s; }),
        integer_key<int>("server", "read_timeout_s", 1, 3600, [](settings& s) -> int& { return s.server.read_timeout_s; }),
        integer_key<int>("server", "keep_alive_timeout_s", 1, 3600,
                         [](settings& s) -> int& { return s.server.keep_alive_timeout_s; }),
        integer_key<int>("server", "shutdown_grace_s", 0, 3600, [](settings& s) -> int& { return s.server.shutdown_grace_s; }),
        bool_key("server", "access_log", [](settings& s) -> bool& { return s.server.access_log; }),
        integer_key<int>("server", "max_connections", 1, 1000000, [](settings& s) -> int& { return s.server.max_connections; }),
        integer_key<int>("server", "max_connections_per_address", 0, 1000000,
                         [](settings& s) -> int& { return s.server.max_connections_per_address; }),
        integer_key<int>("server", "reserved_connections", 0, 1000,
                         [](settings& s) -> int& { return s.server.reserved_connections; }),
        integer_key<int>("server", "max_queued_requests", 1, 1000000,
                         [](settings& s) -> int& { return s.server.max_queued_requests; }),
        integer_key<int>("server", "requests_per_s", 0, 1000000, [](settings& s) -> int& { return s.server.requests_per_s; }),
        integer_key<int>("server", "request_burst", 1, 1000000, [](settings& s) -> int& { return s.server.request_burst; }),
        bool_key("server", "trust_proxy", [](settings& s) -> bool& { return s.server.trust_proxy; }),
        string_key("server", "public_url", [](settings& s) -> std::string& { return s.server.public_url; }, check_public_url),
        // Moved to server.public_url (it serves every link, not only tiles); still read.
        moved(string_key("tiles", "public_url", [](settings& s) -> std::string& { return s.server.public_url; }, check_public_url),
              "server.public_url"),
        string_key("database", "path", [](settings& s) -> std::string& { return s.database.path; },
                   [](const std::string& v, const std::string& where) {
                       if (v.empty()) throw config_error(where + ": must not be empty");
                   }),
        integer_key<int>("database", "readers", 1, 256, [](settings& s) -> int& { return s.database.readers; }),
        integer_key<int>("database", "busy_timeout_ms", 0, 600000,
                         [](settings& s) -> int& { return s.database.busy_timeout_ms; }),
        string_key("database", "admin_dir", [](settings& s) -> std::string& { return s.database.admin_dir; }),
        string_list_key("plots", "programs", [](settings& s) -> std::vector<std::string>& { return s.plots.programs; }),
        string_list_key("plots", "stages", [](settings& s) -> std::vector<std::string>& { return s.plots.stages; }),
        bbox_key("plots", "region_bbox", [](settings& s) -> std::array<double, 4>& { return s.plots.region_bbox; }),
        string_key("plots", "region_name", [](settings& s) -> std::string& { return s.plots.region_name; }),
        double_key("plots", "area_mismatch_warn_share", 0.0, 10.0,
                   [](settings& s) -> double& { return s.plots.area_mismatch_warn_share; }),
        double_key("plots", "overlap_warn_m2", 0.0, 1e9, [](settings& s) -> double& { return s.plots.overlap_warn_m2; }),
        double_key("plots", "max_area_m2", 1.0, 1e12, [](settings& s) -> double& { return s.plots.max_area_m2; }),
        integer_key<int>("plots", "list_limit_default", 1, 100000,
                         [](settings& s) -> int& { return s.plots.list_limit_default; }),
        integer_key<int>("plots", "list_limit_max", 1, 100000, [](settings& s) -> int& { return s.plots.list_limit_max; }),
        integer_key<int>("plots", "max_vertices", 4, 10000000, [](settings& s) -> int& { return s.plots.max_vertices; }),
        string_key("auth", "anonymous", [](settings& s) -> std::string& { return s.auth.anonymous; },
                   [](const std::string& v, const std::string& where) {
                       if (v != "public" && v != "off") throw config_error(where + ": must be \"public\" or \"off\"");
                   }),
        integer_key<int>("auth", "session_idle_timeout_s", 1, 86400 * 365,
                         [](settings& s) -> int& { return s.auth.session_idle_timeout_s; }),
        integer_key<int>("auth", "session_lifetime_s", 1, 86400 * 3650,
                         [](settings& s) -> int& { return s.auth.session_lifetime_s; }),
        integer_key<int>("auth", "login_attempts_per_user", 1, 1000000,
                         [](settings& s) -> int& { return s.auth.login_attempts_per_user; }),
        integer_key<int>("auth", "login_attempts_per_address", 1, 1000000,
                         [](settings& s) -> int& { return s.auth.login_attempts_per_address; }),
        integer_key<int>("auth", "login_window_s", 1, 86400, [](settings& s) -> int& { return s.auth.login_window_s; }),
        integer_key<int>("tiles", "extent", 256, 16384, [](settings& s) -> int& { return s.tiles.extent; }),
        integer_key<int>("tiles", "buffer", 0, 1024, [](settings& s) -> int& { return s.tiles.buffer; }),
        integer_key<int>("tiles", "plots_min_zoom", 0, 24, [](settings& s) -> int& { return s.tiles.plots_min_zoom; }),
        integer_key<int>("tiles", "cluster_below_zoom", 0, 15,
                         [](settings& s) -> int& { return s.tiles.cluster_below_zoom; }),
        integer_key<int>("tiles", "max_zoom", 0, 24, [](settings& s) -> int& { return s.tiles.max_zoom; }),
        integer_key<std::size_t>("tiles", "cache_bytes", 0, std::size_t{1} << 40,
                                 [](settings& s) -> std::size_t& { return s.tiles.cache_bytes; }),
        integer_key<std::size_t>("tiles", "max_tile_bytes", 1024, std::size_t{1} << 30,
                                 [](settings& s) -> std::size_t& { return s.tiles.max_tile_bytes; }),
        integer_key<int>("tiles", "max_age_s", 0, 86400 * 365, [](settings& s) -> int& { return s.tiles.max_age_s; }),
        string_key("web", "root", [](settings& s) -> std::string& { return s.web.root; }),
        string_key("web", "basemap_url", [](settings& s) -> std::string& { return s.web.basemap_url; }, check_basemap_url),
        string_key("web", "basemap_attribution", [](settings& s) -> std::string& { return s.web.basemap_attribution; }),
        integer_key<int>("web", "basemap_max_zoom", 0, 24, [](settings& s) -> int& { return s.web.basemap_max_zoom; }),
        double_key("field", "pin_accuracy_m", 1.0, 1000.0, [](settings& s) -> double& { return s.field.pin_accuracy_m; }),
        integer_key<int>("field", "pin_min_fixes", 1, 100, [](settings& s) -> int& { return s.field.pin_min_fixes; }),
        double_key("field", "walk_max_accuracy_m", 1.0, 1000.0, [](settings& s) -> double& { return s.field.walk_max_accuracy_m; }),
        string_key("photos", "dir", [](settings& s) -> std::string& { return s.photos.dir; }),
        integer_key<std::size_t>("photos", "max_bytes", 1024, std::size_t{1} << 32,
                                 [](settings& s) -> std::size_t& { return s.photos.max_bytes; }),
        integer_key<std::int64_t>("photos", "max_pixels", 10000, std::int64_t{1} << 32,
                                  [](settings& s) -> std::int64_t& { return s.photos.max_pixels; }),
        integer_key<int>("photos", "max_per_plot", 1, 100000, [](settings& s) -> int& { return s.photos.max_per_plot; }),
        integer_key<int>("photos", "display_px", 64, 8192, [](settings& s) -> int& { return s.photos.display_px; }),
        integer_key<int>("photos", "thumbnail_px", 32, 2048, [](settings& s) -> int& { return s.photos.thumbnail_px; }),
        double_key("photos", "far_warning_m", 0.0, 1e7, [](settings& s) -> double& { return s.photos.far_warning_m; }),
        integer_key<int>("photos", "processing_slots", 1, 64, [](settings& s) -> int& { return s.photos.processing_slots; }),
        integer_key<int>("photos", "recent_days", 1, 3650, [](settings& s) -> int& { return s.photos.recent_days; }),
        string_list_key("tiles", "fonts", [](settings& s) -> std::vector<std::string>& { return s.tiles.fonts; }),
        string_list_key("tiles", "archives", [](settings& s) -> std::vector<std::string>& { return s.tiles.archives; }, true),
        string_key("tiles", "packs_dir", [](settings& s) -> std::string& { return s.tiles.packs_dir; }),
        integer_key<int>("tiles", "packs_max_zoom", 10, 18, [](settings& s) -> int& { return s.tiles.packs_max_zoom; }),
    };
    return all;
}

std::string env_name(const key_spec& k) {
    std::string name = std::string("PLOTMAP_") + k.section + "_" + k.name;
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

void apply_file(settings& s, const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw config_error(file.string() + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
                           std::string(e.description()));
    }
    for (const auto& [section_name, section_node] : root) {
        const std::string section(section_name.str());
        const toml::table* table = section_node.as_table();
        if (table == nullptr) {
            s.warnings.push_back(file.string() + ": unknown key '" + section + "' (ignored)");
            continue;
        }
        for (const auto& [key_name, node] : *table) {
            const std::string key(key_name.str());
            const std::string where = file.string() + ": key '" + section + "." + key + "'";
            const auto spec = std::find_if(keys().begin(), keys().end(),
                                           [&](const key_spec& k) { return section == k.section && key == k.name; });
            if (spec == keys().end()) {
                s.warnings.push_back(where + " is unknown (ignored)");
                continue;
            }
            spec->from_toml(s, node, where);
            if (spec->moved_to) s.warnings.push_back(where + " has moved to '" + spec->moved_to + "' (read for now; rename it)");
        }
    }
}

} // namespace

listen_address parse_listen(const std::string& value, const std::string& key) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
        throw config_error(key + ": expected HOST:PORT (e.g. 0.0.0.0:8080), got \"" + value + "\"");
    }
    listen_address a;
    a.host = value.substr(0, colon);
    if (a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
    a.port = parse_integer<unsigned short>(value.substr(colon + 1), key + " (port)", 0, 65535);
    return a;
}

settings load(const std::optional<std::filesystem::path>& file, const environment& env) {
    settings s;
    if (file) {
        if (!std::filesystem::exists(*file)) throw config_error("config file " + file->string() + " does not exist");
        apply_file(s, *file);
    }
    for (const auto& variable : env) {
        const std::string& name = variable.first; // not a structured binding: lambdas below capture it
        const std::string& value = variable.second;
        if (name.rfind("PLOTMAP_", 0) != 0 || name == "PLOTMAP_CONFIG") continue;
        const auto spec = std::find_if(keys().begin(), keys().end(), [&](const key_spec& k) { return env_name(k) == name; });
        if (spec == keys().end()) {
            s.warnings.push_back("environment variable " + name + " is not a plotmap setting (ignored)");
            continue;
        }
        spec->from_text(s, value, "environment variable " + name + " (key '" + spec->section + "." + spec->name + "')");
        if (spec->moved_to) s.warnings.push_back("environment variable " + name + " has moved to '" + spec->moved_to + "' (read for now; rename it)");
    }
    if (s.plots.list_limit_default > s.plots.list_limit_max) {
        throw config_error("key 'plots.list_limit_default' (" + std::to_string(s.plots.list_limit_default) +
                           ") must not exceed 'plots.list_limit_max' (" + std::to_string(s.plots.list_limit_max) + ")");
    }
    return s;
}

environment process_environment() {
    environment env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos && entry.rfind("PLOTMAP_", 0) == 0) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    return env;
}

std::filesystem::path default_admin_dir() { return PLOTMAP_DEFAULT_ADMIN_DIR; }

std::filesystem::path default_web_root() { return PLOTMAP_DEFAULT_WEB_ROOT; }

} // namespace plotmap::config
