// plotmap: one binary, subcommands. The single place where errors become exit codes:
// 0 success, 1 the command failed (message on stderr), 2 usage or configuration error.

#include "config/config.hpp"
#include "data/admin_areas.hpp"
#include "data/backup.hpp"
#include "data/database_copy.hpp"
#include "data/demo.hpp"
#include "data/exporter.hpp"
#include "data/importer.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "data/store.hpp"
#include "data/users.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/http_server.hpp"
#include "tiles/bake.hpp"
#include "tiles/tilesets.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <iomanip>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace plotmap;

constexpr const char* version = PLOTMAP_VERSION;

/// The program as it was started (`build/release/app/plotmap` from scripts/run.sh), so that
/// every command a message suggests works exactly as printed.
std::string program = "plotmap";

/// A usage mistake: exit code 2 and a hint to the command's help.
class usage_error : public error {
public:
    using error::error;
};

constexpr const char* general_help = R"(plotmap — Khok Nong Na model plot registry and map service

Usage: plotmap <command> [flags]

Commands:
  init   --db FILE [--config FILE] [--admin-dir DIR]
         Create the SpatiaLite database (or bring an existing one to the current schema)
         and load Thailand's province/district/subdistrict boundaries. Safe to run twice.
  demo   --db FILE [--plots N] [--seed S] [--config FILE]
         Add N synthetic demo plots (default 2000), the same for the same seed.
  serve  --db FILE [--listen HOST:PORT] [--config FILE]
         Serve HTTP (default 0.0.0.0:8080). Stops gracefully on SIGINT/SIGTERM.
  user add    --db FILE --username U --role R [--scope CODE] --password-stdin
  user list   --db FILE
  user passwd --db FILE --username U --password-stdin
  user disable|enable --db FILE --username U
         Manage users: roles admin, supervisor, staff, viewer; a scope is a province,
         district or subdistrict code (none = the whole country).
  token create --db FILE --username U [--write] [--name N] [--scope CODE]
  token list   --db FILE [--username U]
  token revoke --db FILE --id N
         API tokens for GIS tools and embeds; `create` prints the token once.
  export --db FILE --format F [--crs C] [--bbox X1,Y1,X2,Y2] [filters] [--public] OUT
         Export plots to OUT: geojson, gpkg, shp.zip, kml, csv or fgb, in any supported CRS.
  import --db FILE [--dry-run] [--map COLUMN=FIELD ...] [--program P] [--crs C] [--allow-outside] PATH
         Import plots from CSV (Google Sheets), KML/KMZ (Google My Maps), GeoJSON, zipped
         Shapefile, GeoPackage or GPX: all or nothing, matched on uid or code.
  tiles  --db FILE --tileset plots|admin [--minzoom N] [--maxzoom N] [--bbox X1,Y1,X2,Y2 | --area CODE] OUT
  tiles  --db FILE --update OUT
         Bake a tileset into OUT.pmtiles (PMTiles v3) or OUT.mbtiles (MBTiles 1.3) for static
         hosting, a CDN or an offline download; --update draws again what changed since.
  backup --db FILE OUT
         Copy the database to OUT as one consistent snapshot while the server keeps
         writing, and its photos to OUT.photos, then verify the copy.
  restore --db FILE BACKUP
         Verify BACKUP and put it in place of FILE (the old FILE is kept beside it).
         Stop the server first.
  photos sweep --db FILE [--dry-run]
         Remove photo files that no photo row names (an upload cut off by a crash).
  migrate --from DB --to DB
         Copy a whole database between a SpatiaLite file and PostgreSQL + PostGIS
         (either way), ids unchanged, and verify every table's rows.
  help [COMMAND]   Show this text, or one command's (also: plotmap COMMAND --help).
  --version        Print the version.

Flags override PLOTMAP_* environment variables, which override the config file
(config/plotmap.toml documents every key). --db defaults to database.path.
)";

const std::map<std::string, std::string> command_help{
    {"init", "Usage: plotmap init --db FILE [--config FILE] [--admin-dir DIR]\n"
             "Creates FILE if missing, applies schema migrations, and loads th_adm1/2/3.geojson from DIR\n"
             "(default: the shipped data/thailand-admin). Running it again changes nothing.\n"},
    {"demo", "Usage: plotmap demo --db FILE [--plots N] [--seed S] [--config FILE]\n"
             "Adds N demo plots (default 2000; up to millions) inside real subdistricts. Plot i depends\n"
             "only on the seed (default 2566) and i, so the data is the same on every machine.\n"},
    {"user", "Usage: plotmap user add --db FILE --username U --role R [--scope CODE] --password-stdin\n"
             "       plotmap user list --db FILE\n"
             "       plotmap user passwd --db FILE --username U --password-stdin\n"
             "       plotmap user disable --db FILE --username U\n"
             "       plotmap user enable --db FILE --username U\n"
             "Roles: admin (everything), supervisor (read all in scope, manage staff in scope), staff (create\n"
             "and edit plots in scope), viewer (read in scope). --scope is a province (50), district (5001)\n"
             "or subdistrict (500101) code; without it the user covers the whole country. The password is\n"
             "read from the first line of standard input (at least 8 characters) and stored as an Argon2id\n"
             "hash. passwd and disable end the user's sessions; disable also revokes their API tokens.\n"},
    {"token", "Usage: plotmap token create --db FILE --username U [--write] [--name N] [--scope CODE]\n"
              "       plotmap token list --db FILE [--username U]\n"
              "       plotmap token revoke --db FILE --id N\n"
              "Tokens are sent as `Authorization: Bearer TOKEN`, or as ?token=TOKEN on tile and other GET URLs.\n"
              "They read (and with --write, change) what their user may, within --scope if narrower. create\n"
              "prints the token once; only its hash is stored.\n"},
    {"export", "Usage: plotmap export --db FILE --format F [--crs C] [--bbox MINX,MINY,MAXX,MAXY [--bbox-crs C]]\n"
               "                      [--program P] [--stage S] [--adm1 C] [--adm2 C] [--adm3 C] [--budget-year Y]\n"
               "                      [--public] OUT\n"
               "Writes the live plots matching the filters to OUT. Formats: geojson, gpkg, shp.zip (polygons and\n"
               "points, UTF-8 with .cpg and .prj), kml (WGS 84), csv (WKT plus lon/lat), fgb. --crs is any supported\n"
               "CRS (default CRS84). The file includes owner names, phones and deed numbers unless --public.\n"
               "Progress goes to standard error.\n"},
    {"import", "Usage: plotmap import --db FILE [--dry-run] [--map COLUMN=FIELD ...] [--program P] [--crs C]\n"
               "                      [--format F] [--allow-outside] PATH\n"
               "Reads plots from PATH: .csv (Google Sheets; lat/lon columns, a \"lat, lon\" column as Google Maps\n"
               "copies it, UTM easting/northing with zone 47/48 and datum, or WKT; Thai or English headers),\n"
               ".kml/.kmz (Google My Maps), .geojson, .zip (Shapefile; Thai in UTF-8 or TIS-620), .gpkg, .gpx.\n"
               "--dry-run reports what would be created or updated and every rejected row with its line or\n"
               "feature number and reason, and changes nothing. Without it the import is all or nothing: one\n"
               "rejected row and nothing is written. Rows match existing plots by uid, else code, else by\n"
               "location and name, so importing a file again does not duplicate plots. --map names a column's\n"
               "field (e.g. --map 'ชื่อเกษตรกร=owner_name'; an empty field ignores the column). --program is the\n"
               "programme of rows without one (else a code's HLM-/CLM- prefix says it). Headers are matched loosely\n"
               "(spaces, punctuation and units in parentheses ignored; e.g. \"ชื่อ-สกุล เจ้าของแปลง\" is the owner)\n"
               "and the report says which column went to which field and why. Coordinates may be degrees-minutes-\n"
               "seconds or have N/E letters; swapped pairs are read the right way round with a warning. Rows with\n"
               "the same code are rejected (never merged), except a My Maps pin and boundary of one plot. A\n"
               "location outside every Thai subdistrict is rejected with the distance to the nearest one, unless\n"
               "--allow-outside. Progress goes to standard error. Exit code 1 when any row is rejected.\n"},
    {"tiles", "Usage: plotmap tiles --db FILE --tileset plots|admin [--minzoom N] [--maxzoom N]\n"
              "                     [--bbox MINLON,MINLAT,MAXLON,MAXLAT | --area CODE] OUT.pmtiles|OUT.mbtiles\n"
              "Writes the tiles `plotmap serve` would send for the tileset, zooms --minzoom (default 0) to --maxzoom\n"
              "(default 14), over the box or the province/district/subdistrict CODE (default: where the plots are, or\n"
              "Thailand for admin), into one archive: PMTiles v3 (clustered, directories and tiles gzipped, metadata\n"
              "with the TileJSON vector_layers) or MBTiles 1.3, by the name's extension. Empty tiles are left out and\n"
              "equal tiles stored once. Tiles never carry personal data (owners, phones, deeds). The archive is written\n"
              "beside OUT and renamed into place when whole. Progress goes to standard error.\n"
              "       plotmap tiles --db FILE --update OUT\n"
              "Brings an archive made by `plotmap tiles` from this database up to date: the plot history says which plots\n"
              "changed since it was made, and only the tiles they touch (old and new shapes, cluster counts) are drawn\n"
              "again, at the archive's zooms and within its area; the archive is rewritten beside itself and renamed\n"
              "into place. The result equals a fresh bake of the same zooms and area.\n"},
    {"backup", "Usage: plotmap backup --db FILE OUT\n"
               "Copies the database to OUT (a new file) with SQLite's online backup: one consistent snapshot, taken\n"
               "while the server goes on serving and writing, and the files of every photo in it to OUT.photos. The\n"
               "copy is then checked (integrity, spatial indexes, schema version, every photo's files) and its plot,\n"
               "history, user and photo counts printed. GET /api/v1/backup (admins) sends the database alone.\n"
               "A PostgreSQL database (--db postgresql://...) is backed up into the same kind of SQLite file, its\n"
               "rows copied from one snapshot; `migrate --from OUT --to URL` puts it back into an empty database.\n"},
    {"photos", "Usage: plotmap photos sweep --db FILE [--dry-run]\n"
               "Removes files in the photo folder (photos.dir, default FILE.photos) that no photo row names, such as\n"
               "an upload whose row never committed because the server was killed. Files younger than an hour are\n"
               "left alone (an upload may be under way). Deleted photos keep their files: they can be restored.\n"},
    {"restore", "Usage: plotmap restore --db FILE BACKUP\n"
                "Checks BACKUP as `backup` does, keeps the current FILE beside it as FILE.before-restore-<time>, and\n"
                "copies BACKUP in its place. Stop `plotmap serve` first; start it again afterwards.\n"},
    {"migrate", "Usage: plotmap migrate --from DB --to DB\n"
                "Copies every plot, its history, the users, sessions and tokens, photos' rows and progress\n"
                "events, and the tables derived from them, from one plotmap database to a new or empty one, ids\n"
                "unchanged, in one transaction. Each DB is an SQLite file or a postgresql:// URL\n"
                "(postgresql://user:password@host:5432/name), so a province moves up to PostgreSQL + PostGIS and\n"
                "a district leaves it for a file again. Every table's rows are then counted and checksummed on both\n"
                "sides; any difference and nothing is kept. Photo files stay where they are: point photos.dir of\n"
                "the servers on the new database at them. Stop writing to DB (the servers) while it copies.\n"},
    {"serve", "Usage: plotmap serve --db FILE [--listen HOST:PORT] [--config FILE]\n"
              "Serves the HTTP API on HOST:PORT (default from server.listen, 0.0.0.0:8080).\n"
              "Port 0 picks a free port; the chosen address is printed on the first line.\n"},
};

struct parsed_args {
    std::string command;
    std::map<std::string, std::string> flags;
    std::vector<std::string> positional; ///< only for commands that take a path (export, import)
    std::vector<std::string> maps;       ///< every --map (it may be given many times)
};

/// Commands that take one path after their flags.
const std::set<std::string> takes_path{"export", "import", "backup", "restore", "tiles"};

/// Flags that take no value.
const std::set<std::string> switches{"password-stdin", "write", "public", "dry-run", "allow-outside", "update"};

/// Parses `plotmap COMMAND [SUBCOMMAND] --flag value ...` against the flags the command allows.
parsed_args parse_args(const std::vector<std::string>& args, const std::map<std::string, std::set<std::string>>& allowed) {
    parsed_args p;
    p.command = args.at(0);
    std::size_t first_flag = 1;
    if ((p.command == "user" || p.command == "token" || p.command == "photos") && args.size() > 1 && !args[1].starts_with("--")) {
        p.command += " " + args[1];
        first_flag = 2;
    }
    const auto spec = allowed.find(p.command);
    if (spec == allowed.end()) {
        if (p.command == "user" || p.command == "token" || p.command == "photos") throw usage_error("'" + p.command + "' needs a subcommand");
        throw usage_error("unknown command '" + p.command + "'");
    }
    for (std::size_t i = first_flag; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> value;
        if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        if (flag.rfind("--", 0) != 0) {
            if (!takes_path.contains(p.command) || !p.positional.empty()) throw usage_error("unexpected argument '" + flag + "'");
            p.positional.push_back(flag);
            continue;
        }
        const std::string name = flag.substr(2);
        if (!spec->second.contains(name)) throw usage_error("unknown flag " + flag);
        if (switches.contains(name)) {
            if (value) throw usage_error("flag " + flag + " takes no value");
            p.flags[name] = "true";
            continue;
        }
        if (!value) {
            if (i + 1 >= args.size()) throw usage_error("flag " + flag + " needs a value");
            value = args[++i];
        }
        if (name == "map") p.maps.push_back(*value);
        p.flags[name] = *value;
    }
    return p;
}

long long parse_count(const std::string& text, const char* flag) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size() && v >= 0) return v;
    } catch (const std::exception&) {
    }
    throw usage_error(std::string("flag --") + flag + " needs a non-negative whole number, got '" + text + "'");
}

config::settings load_settings(const parsed_args& a) {
    std::optional<std::filesystem::path> file;
    if (const auto it = a.flags.find("config"); it != a.flags.end()) file = it->second;
    config::settings s = config::load(file, config::process_environment());
    for (const std::string& w : s.warnings) std::cerr << "plotmap: warning: " << w << '\n';
    if (const auto it = a.flags.find("db"); it != a.flags.end()) s.database.path = it->second;
    if (const auto it = a.flags.find("listen"); it != a.flags.end()) {
        (void)config::parse_listen(it->second, "--listen");
        s.server.listen = it->second;
    }
    if (const auto it = a.flags.find("admin-dir"); it != a.flags.end()) s.database.admin_dir = it->second;
    return s;
}

int run_init(const config::settings& s) {
    const bool file_existed = !data::missing_database_file(s.database.path);
    data::connection conn(s.database.path, data::connection::mode::create, s.database.busy_timeout_ms);
    const bool existed = conn.kind() == data::backend::sqlite ? file_existed : data::schema_version(conn) > 0;
    const int applied = data::migrate(conn);
    const std::filesystem::path dir =
        s.database.admin_dir.empty() ? config::default_admin_dir() : std::filesystem::path(s.database.admin_dir);
    const data::admin_counts counts = data::load_admin_areas(conn, dir);
    std::cout << "plotmap: " << (existed ? "opened " : "created ") << s.database.path << " (schema version "
              << data::schema_version(conn) << (applied ? ", " + std::to_string(applied) + " migration(s) applied" : "")
              << "); admin areas: " << counts[0] << " provinces, " << counts[1] << " districts, " << counts[2]
              << " subdistricts\n";
    return 0;
}

/// An existing database at the current schema, opened for writing.
std::unique_ptr<data::connection> open_existing(const config::settings& s) {
    if (data::missing_database_file(s.database.path)) {
        throw store_error("database " + s.database.path + " does not exist: run `" + program + " init --db " + s.database.path + "` first");
    }
    auto conn = std::make_unique<data::connection>(s.database.path, data::connection::mode::read_write, s.database.busy_timeout_ms);
    data::require_current_schema(*conn);
    return conn;
}

int run_demo(const config::settings& s, const parsed_args& a) {
    data::demo_options options;
    if (const auto it = a.flags.find("plots"); it != a.flags.end()) options.plots = parse_count(it->second, "plots");
    if (const auto it = a.flags.find("seed"); it != a.flags.end()) {
        options.seed = static_cast<std::uint64_t>(parse_count(it->second, "seed"));
    }
    const std::unique_ptr<data::connection> db = open_existing(s);
    data::connection& conn = *db;
    const auto start = std::chrono::steady_clock::now();
    const bool tty = isatty(STDERR_FILENO) != 0;
    const data::demo_result r = data::generate_demo_plots(conn, options, [&](long long done, long long wanted) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "%sdemo: %lld/%lld plots (%.0f%%), %.0f plots/s%s", tty ? "\r" : "", done, wanted,
                     wanted ? 100.0 * static_cast<double>(done) / static_cast<double>(wanted) : 100.0,
                     secs > 0 ? static_cast<double>(done) / secs : 0.0, tty ? "" : "\n");
    });
    if (tty) std::fputc('\n', stderr);
    std::cout << "plotmap: added " << r.created << " demo plots to " << s.database.path << " (" << r.total
              << " plots in all)\n";
    return 0;
}

const std::string& required_flag(const parsed_args& a, const char* name) {
    const auto it = a.flags.find(name);
    if (it == a.flags.end()) throw usage_error(std::string("flag --") + name + " is required");
    return it->second;
}

std::optional<std::string> optional_flag(const parsed_args& a, const char* name) {
    const auto it = a.flags.find(name);
    return it == a.flags.end() ? std::nullopt : std::optional(it->second);
}

/// The first line of standard input, for --password-stdin.
std::string password_from_stdin(const parsed_args& a) {
    if (!a.flags.contains("password-stdin")) {
        throw usage_error("give the password on standard input with --password-stdin (never as an argument: "
                          "arguments show in `ps` and shell history)");
    }
    std::string line;
    if (!std::getline(std::cin, line)) throw usage_error("--password-stdin: standard input is empty");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void print_user_table(data::connection& c) {
    std::printf("%-24s %-10s %-28s %-8s %s\n", "USERNAME", "ROLE", "SCOPE", "STATUS", "LAST SIGN-IN");
    for (const data::user& u : data::list_users(c, std::nullopt)) {
        std::printf("%-24s %-10s %-28s %-8s %s\n", u.username.c_str(), std::string(data::role_name(u.role)).c_str(),
                    (u.scope ? *u.scope : std::string("(whole country)")).c_str(), u.disabled ? "disabled" : "active",
                    u.last_login_at.value_or("-").c_str());
    }
}

void print_token_table(data::connection& c, const std::optional<std::string>& username) {
    std::printf("%-6s %-20s %-10s %-6s %-10s %-24s %s\n", "ID", "USER", "PREFIX", "ACCESS", "SCOPE", "NAME", "STATUS");
    for (const data::api_token& t : data::list_tokens(c, username)) {
        std::printf("%-6lld %-20s %-10s %-6s %-10s %-24s %s\n", static_cast<long long>(t.id), t.username.c_str(),
                    (t.prefix + "…").c_str(), t.can_write ? "write" : "read", t.scope.value_or("(user's)").c_str(),
                    t.name.value_or("").c_str(), t.revoked_at ? ("revoked " + *t.revoked_at).c_str() : "active");
    }
}

int run_accounts(const config::settings& s, const parsed_args& a) {
    const std::unique_ptr<data::connection> conn = open_existing(s);
    data::connection& c = *conn;
    const std::string& cmd = a.command;
    if (cmd == "user add") {
        data::new_user u;
        u.username = required_flag(a, "username");
        u.role = data::parse_role(required_flag(a, "role"));
        u.password = password_from_stdin(a);
        u.scope = data::parse_scope(c, optional_flag(a, "scope").value_or(""));
        const data::user added = data::add_user(c, u, std::nullopt);
        std::cout << "plotmap: added " << data::role_name(added.role) << " " << added.username << " for "
                  << data::describe_scope(c, added.scope) << '\n';
    } else if (cmd == "user list") {
        print_user_table(c);
    } else if (cmd == "user passwd") {
        const std::string& username = required_flag(a, "username");
        data::set_password(c, username, password_from_stdin(a));
        std::cout << "plotmap: changed the password of " << username << " and ended their sessions\n";
    } else if (cmd == "user disable" || cmd == "user enable") {
        const std::string& username = required_flag(a, "username");
        data::set_disabled(c, username, cmd == "user disable");
        std::cout << "plotmap: " << (cmd == "user disable" ? "disabled " : "enabled ") << username
                  << (cmd == "user disable" ? " (sessions ended, API tokens revoked)" : "") << '\n';
    } else if (cmd == "token create") {
        const std::string& username = required_flag(a, "username");
        const std::optional<std::string> scope_text = optional_flag(a, "scope");
        const data::area_scope scope =
            scope_text ? data::parse_scope(c, *scope_text) : data::find_user(c, username).scope;
        const data::token_grant g = data::create_token(c, username, optional_flag(a, "name"), a.flags.contains("write"), scope);
        std::cerr << "plotmap: created " << (g.info.can_write ? "read-write" : "read-only") << " token " << g.info.id << " for "
                  << username << " (" << data::describe_scope(c, g.info.scope)
                  << "); it is shown only now:\n";
        std::cout << g.token << '\n';
    } else if (cmd == "token list") {
        print_token_table(c, optional_flag(a, "username"));
    } else if (cmd == "token revoke") {
        const long long id = parse_count(required_flag(a, "id"), "id");
        data::revoke_token(c, id);
        std::cout << "plotmap: revoked token " << id << '\n';
    }
    return 0;
}

/// Splits "a,b,c,d" into four numbers. @throws usage_error naming the flag.
std::array<double, 4> parse_box(const std::string& text, const char* flag) {
    std::array<double, 4> v{};
    std::size_t start = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto comma = text.find(',', start);
        const std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        try {
            std::size_t used = 0;
            v[i] = std::stod(part, &used);
            if (used != part.size()) throw std::invalid_argument(part);
        } catch (const std::exception&) {
            throw usage_error(std::string("flag --") + flag + " needs four numbers MINX,MINY,MAXX,MAXY, got '" + text + "'");
        }
        if ((i < 3) == (comma == std::string::npos)) {
            throw usage_error(std::string("flag --") + flag + " needs four numbers MINX,MINY,MAXX,MAXY, got '" + text + "'");
        }
        start = comma + 1;
    }
    return v;
}

int run_export(const config::settings& s, const parsed_args& a) {
    if (a.positional.size() != 1) throw usage_error("give the file to write, e.g. `" + program + " export --db " + s.database.path + " --format gpkg plots.gpkg`");
    data::export_options o;
    o.format = data::parse_export_format(required_flag(a, "format"));
    if (const auto c = optional_flag(a, "crs")) o.crs = &geo::find_crs(*c);
    if (const auto b = optional_flag(a, "bbox")) {
        const std::array<double, 4> v = parse_box(*b, "bbox");
        const geo::crs& from = optional_flag(a, "bbox-crs") ? geo::find_crs(*optional_flag(a, "bbox-crs")) : geo::crs84();
        geo::transformer& t = geo::transformer_for(from, geo::crs84());
        geo::bbox box;
        for (const geo::point corner : {geo::point{v[0], v[1]}, geo::point{v[2], v[1]}, geo::point{v[2], v[3]}, geo::point{v[0], v[3]}}) {
            box.extend(t.apply(corner));
        }
        o.query.bbox = box;
    }
    o.query.program = optional_flag(a, "program");
    o.query.stage = optional_flag(a, "stage");
    o.query.adm1 = optional_flag(a, "adm1");
    o.query.adm2 = optional_flag(a, "adm2");
    o.query.adm3 = optional_flag(a, "adm3");
    if (const auto y = optional_flag(a, "budget-year")) o.query.budget_year = parse_count(*y, "budget-year");
    if (!a.flags.contains("public")) o.personal_scope = data::area_scope{}; // the whole country: the CLI has the file
    (void)open_existing(s); // the schema check; the export itself reads through a mapped, read-only connection
    const auto conn = std::make_unique<data::connection>(s.database.path, data::connection::mode::read_only, s.database.busy_timeout_ms);
    const std::filesystem::path out = a.positional[0];
    const auto start = std::chrono::steady_clock::now();
    const bool tty = isatty(STDERR_FILENO) != 0;
    const std::int64_t n = data::export_plots(*conn, o, out, [&](std::int64_t done, std::int64_t total) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "%sexport: %lld/%lld plots (%.0f%%), %.0f plots/s%s", tty ? "\r" : "", static_cast<long long>(done),
                     static_cast<long long>(total), total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                     secs > 0 ? static_cast<double>(done) / secs : 0.0, tty ? "" : "\n");
    });
    if (tty) std::fputc('\n', stderr);
    std::cout << "plotmap: exported " << n << " plots to " << out.string() << " (" << data::export_extension(o.format) << ", "
              << (o.crs ? o.crs->id : std::string("OGC:CRS84")) << (o.personal_scope ? "" : ", public fields only") << ")\n";
    return 0;
}

int run_import(const config::settings& s, const parsed_args& a) {
    if (a.positional.size() != 1) throw usage_error("give the file to import, e.g. `" + program + " import --db " + s.database.path + " --dry-run plots.csv`");
    const std::filesystem::path in = a.positional[0];
    if (!std::filesystem::exists(in)) throw store_error("cannot read " + in.string() + ": no such file");
    data::import_options o;
    o.dry_run = a.flags.contains("dry-run");
    for (const std::string& m : a.maps) {
        const auto eq = m.find('=');
        if (eq == std::string::npos || eq == 0) throw usage_error("--map needs COLUMN=FIELD, got '" + m + "'");
        o.mapping[m.substr(0, eq)] = m.substr(eq + 1);
    }
    o.default_program = optional_flag(a, "program");
    o.allow_outside = a.flags.contains("allow-outside");
    if (const auto c = optional_flag(a, "crs")) o.crs = &geo::find_crs(*c);
    // Progress on standard error: a 100,000-plot file takes a while.
    const auto started = std::chrono::steady_clock::now();
    o.progress = [started](const std::string& phase, std::size_t done, std::size_t total) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (phase == "reading") {
            std::cerr << "import: reading the file...\n";
        } else if (phase == "read") {
            std::cerr << "import: " << done << " rows read (" << std::fixed << std::setprecision(1) << seconds << " s); checking them\n";
        } else {
            std::cerr << "import: " << done << "/" << total << " rows checked (" << std::fixed << std::setprecision(1) << seconds << " s)\n";
        }
    };
    const data::import_format format = data::import_format_of(optional_flag(a, "format").value_or(in.filename().string()));
    {
        // Migrations and the schema check first, on a connection of our own.
        const std::unique_ptr<data::connection> conn = open_existing(s);
    }
    data::store store({s.database.path, 1, s.database.busy_timeout_ms});
    data::plot_registry registry(store, server::registry_rules_from(s));
    const passwd* account = getpwuid(getuid());
    const data::editor who{std::string("cli:") + (account ? account->pw_name : "unknown"), std::nullopt};
    const data::import_report r = data::import_plots(registry, in, format, o, who);
    std::cout << "plotmap: import of " << in.string() << " (" << r.format << "): "
              << (r.applied ? "applied" : r.dry_run ? "dry run, nothing was changed" : "NOT applied, nothing was changed") << '\n';
    const char* verb = r.applied ? "" : "would ";
    std::cout << "  rows: " << r.rows << "; " << verb << "create " << r.created << ", " << verb << "update " << r.updated
              << ", unchanged " << r.unchanged << ", rejected " << r.rejected.size() << '\n';
    std::cout << "  matched on: " << r.matching << '\n';
    if (!r.columns_used.empty()) {
        std::cout << "  columns:";
        for (const auto& c : r.columns_used) std::cout << ' ' << c << ';';
        std::cout << '\n';
    }
    if (!r.columns_ignored.empty()) {
        std::cout << "  ignored columns:";
        for (const auto& c : r.columns_ignored) std::cout << ' ' << c << ';';
        std::cout << '\n';
    }
    if (!r.rejected.empty()) {
        std::cout << "  rejected:\n";
        for (const auto& p : r.rejected) std::cout << "    " << p.where << ": " << p.reason << '\n';
    }
    if (!r.warnings.empty()) {
        std::cout << "  warnings:\n";
        for (const auto& p : r.warnings) std::cout << "    " << p.where << ": " << p.reason << '\n';
    }
    if (!r.rejected.empty() && !r.dry_run) std::cout << "  fix the rejected rows and import again (all or nothing)\n";
    return r.rejected.empty() ? 0 : 1;
}

int run_tiles_update(const config::settings& s, const parsed_args& a, const std::filesystem::path& out) {
    for (const char* flag : {"tileset", "minzoom", "maxzoom", "bbox", "area"}) {
        if (a.flags.contains(flag)) {
            throw usage_error(std::string("--update keeps the archive's own tileset, zooms and area: leave out --") + flag);
        }
    }
    (void)open_existing(s); // the schema check
    data::store store({s.database.path, std::max(2, s.database.readers), s.database.busy_timeout_ms});
    tiles::tile_service service(store, s.tiles, s.plots.stages);
    const tiles::update_summary u = tiles::update(service, out);
    if (u.history_entries == 0) {
        std::cout << "plotmap: " << out.string() << " is up to date (no plot changed since it was made)\n";
        return 0;
    }
    std::cout << "plotmap: updated " << out.string() << ": " << u.history_entries << " history entries on " << u.plots << " plots; "
              << u.rendered << " tiles drawn again, " << u.changed << " changed; " << u.tiles << " tiles, " << u.bytes << " bytes, in "
              << std::fixed << std::setprecision(2) << u.seconds << " s\n";
    return 0;
}

int run_tiles(const config::settings& s, const parsed_args& a) {
    if (a.positional.size() != 1) {
        throw usage_error("give the archive to write, e.g. `" + program + " tiles --db " + s.database.path + " --tileset plots plots.pmtiles`");
    }
    const std::filesystem::path out = a.positional[0];
    if (a.flags.contains("update")) return run_tiles_update(s, a, out);
    tiles::bake_request r;
    const std::string& set = required_flag(a, "tileset");
    if (set != "plots" && set != "admin") throw usage_error("--tileset is plots or admin, got '" + set + "'");
    r.set = &tiles::find_tileset(set);
    if (const auto z = optional_flag(a, "minzoom")) r.min_zoom = static_cast<int>(std::min(parse_count(*z, "minzoom"), 99LL));
    if (const auto z = optional_flag(a, "maxzoom")) r.max_zoom = static_cast<int>(std::min(parse_count(*z, "maxzoom"), 99LL));
    if (r.min_zoom > r.max_zoom || r.max_zoom > geo::max_zoom) {
        throw usage_error("zooms must satisfy minzoom <= maxzoom <= " + std::to_string(geo::max_zoom));
    }
    try {
        (void)tiles::archive_format_of(out);
    } catch (const bad_request& e) {
        throw usage_error(e.what());
    }
    if (a.flags.contains("bbox") && a.flags.contains("area")) throw usage_error("give --bbox or --area, not both");
    (void)open_existing(s); // the schema check
    data::store store({s.database.path, std::max(2, s.database.readers), s.database.busy_timeout_ms});
    tiles::tile_service service(store, s.tiles, s.plots.stages);
    r.name = r.set->title;
    if (const auto b = optional_flag(a, "bbox")) {
        const std::array<double, 4> v = parse_box(*b, "bbox");
        if (!(v[0] >= -180 && v[2] <= 180 && v[1] >= -90 && v[3] <= 90 && v[0] <= v[2] && v[1] <= v[3])) {
            throw usage_error("--bbox is MINLON,MINLAT,MAXLON,MAXLAT in degrees, west to east and south to north");
        }
        r.area = {v[0], v[1], v[2], v[3]};
    } else if (const auto code = optional_flag(a, "area")) {
        const int level = code->size() == 2 ? 1 : code->size() == 4 ? 2 : code->size() == 6 ? 3 : 0;
        const auto found = level ? store.read([&](data::connection& c) { return data::find_admin_area(c, level, *code); }) : std::nullopt;
        if (!found) throw usage_error("--area needs a province (2 digits), district (4) or subdistrict (6) code, got '" + *code + "'");
        r.area = geo::envelope(found->geometry);
        r.name += " – " + found->name_th + " (" + found->name_en + ")";
    } else if (set == "plots") {
        r.area = service.plots_bounds();
        if (r.area.empty()) throw store_error("the database has no plots to bake");
    } else {
        r.area = store.read([](data::connection& c) {
            geo::bbox all;
            data::admin_query q;
            q.level = 1;
            q.limit = 1000;
            for (const auto& area : data::list_admin_areas(c, q).areas) all.extend(geo::envelope(area.geometry));
            return all;
        });
        if (r.area.empty()) throw store_error("the database has no admin areas: run `" + program + " init --db " + s.database.path + "`");
    }
    r.description = "plotmap " + std::string(version) + ", zooms " + std::to_string(r.min_zoom) + "-" + std::to_string(r.max_zoom);
    const bool tty = isatty(STDERR_FILENO) != 0;
    const tiles::bake_summary done = tiles::bake(service, r, out, [&](const tiles::bake_progress& p) {
        const double rate = p.seconds > 0 ? static_cast<double>(p.rendered) / p.seconds : 0.0;
        const double share = p.estimate ? static_cast<double>(p.rendered) / static_cast<double>(p.estimate) : 1.0;
        const double left = rate > 0 ? static_cast<double>(p.estimate - std::min(p.estimate, p.rendered)) / rate : 0.0;
        constexpr int width = 24;
        const int filled = static_cast<int>(std::clamp(share, 0.0, 1.0) * width);
        std::fprintf(stderr, "%stiles: [%s%s] z%d, %llu tiles (%llu with data), %.0f tiles/s, about %.0f s left%s", tty ? "\r" : "",
                     std::string(static_cast<std::size_t>(filled), '#').c_str(), std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                     p.zoom, static_cast<unsigned long long>(p.rendered), static_cast<unsigned long long>(p.written), rate, left,
                     tty ? "\x1b[K" : "\n");
    });
    if (tty) std::fputc('\n', stderr);
    std::cout << "plotmap: wrote " << done.written << " tiles (" << done.contents << " different) of " << set << ", zooms " << r.min_zoom
              << "-" << r.max_zoom << ", to " << out.string() << " (" << done.bytes << " bytes) in " << std::fixed << std::setprecision(1)
              << done.seconds << " s\n";
    return 0;
}

void print_backup(const std::string& what, const data::backup_summary& b) {
    std::cout << "plotmap: " << what << " (" << b.bytes << " bytes, schema version " << b.schema_version << ", " << b.plots
              << " plots, " << b.history << " history rows, " << b.users << " users, " << b.photos << " photos";
    if (b.photo_files > 0) std::cout << " in " << b.photo_files << " files of " << b.photo_bytes << " bytes";
    std::cout << "; integrity and spatial indexes checked)\n";
}

int run_backup(const config::settings& s, const parsed_args& a) {
    if (a.positional.size() != 1) {
        throw usage_error("give the file to write, e.g. `" + program + " backup --db " + s.database.path + " plotmap-backup.sqlite`");
    }
    if (data::missing_database_file(s.database.path)) throw store_error("database " + s.database.path + " does not exist");
    const data::backup_summary b =
        data::backup_database(s.database.path, a.positional[0], server::photo_settings_from(s).dir);
    print_backup("backed up " + s.database.path + " to " + a.positional[0] + " (photos in " +
                     data::backup_photo_dir(a.positional[0]).string() + ")",
                 b);
    return 0;
}

int run_restore(const config::settings& s, const parsed_args& a) {
    if (a.positional.size() != 1) {
        throw usage_error("give the backup to restore, e.g. `" + program + " restore --db " + s.database.path + " plotmap-backup.sqlite`");
    }
    std::filesystem::path kept;
    const data::backup_summary b = data::restore_database(a.positional[0], s.database.path, kept, server::photo_settings_from(s).dir);
    if (!kept.empty()) std::cout << "plotmap: kept the database it replaced as " << kept.string() << '\n';
    print_backup("restored " + s.database.path + " from " + a.positional[0], b);
    return 0;
}

int run_photos(const config::settings& s, const parsed_args& a) {
    if (data::missing_database_file(s.database.path)) throw store_error("database " + s.database.path + " does not exist");
    data::store store({s.database.path, 1, s.database.busy_timeout_ms});
    data::photo_store photos(store, server::photo_settings_from(s));
    const bool dry_run = a.flags.contains("dry-run");
    const data::sweep_report r = photos.sweep(dry_run);
    std::cout << "plotmap: " << (dry_run ? "would remove " : "removed ") << r.files_removed << " photo files (" << r.bytes_removed
              << " bytes) that no photo names; kept " << r.files_kept << " in " << photos.settings().dir.string() << '\n';
    return 0;
}

int run_migrate(const parsed_args& a) {
    const std::string& from = required_flag(a, "from");
    const std::string& to = required_flag(a, "to");
    if (data::missing_database_file(from)) throw store_error("database " + from + " does not exist");
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    const data::copy_result r = data::copy_database(from, to, [&](const std::string& table, std::int64_t rows) {
        std::fprintf(stderr, "%smigrate: %s: %lld rows%s", tty ? "\r\033[K" : "", table.c_str(), static_cast<long long>(rows), tty ? "" : "\n");
    });
    if (tty) std::fputs("\r\033[K", stderr);
    std::int64_t rows = 0;
    std::string counts;
    for (const data::table_copy& t : r.tables) {
        rows += t.rows;
        if (t.table == "plots" || t.table == "plot_history" || t.table == "users" || t.table == "photos") {
            counts += (counts.empty() ? "" : ", ") + std::to_string(t.rows) + " " + t.table;
        }
    }
    std::cout << "plotmap: copied " << data::display_location(from) << " to " << data::display_location(to) << " (schema version "
              << r.schema_version << "): " << counts << "; " << rows << " rows in " << r.tables.size()
              << " tables, each counted and checksummed on both sides\n";
    std::cout << "plotmap: photo files were not moved: set photos.dir for " << data::display_location(to)
              << " to the folder that holds them\n";
    return 0;
}

int run_serve(const config::settings& s) {
    const config::listen_address where = config::parse_listen(s.server.listen, "server.listen");
    {
        // Bring an older database up to date before readers open it.
        if (data::missing_database_file(s.database.path)) {
            throw store_error("database " + s.database.path + " does not exist: create it with `" + program + " init --db " +
                              s.database.path + "`");
        }
        data::connection conn(s.database.path, data::connection::mode::read_write, s.database.busy_timeout_ms);
        data::migrate(conn);
        data::refresh_statistics(conn); // plots added since the last start (imports, edits) change the best plans
        if (data::count_enabled_users(conn) == 0) {
            std::cerr << "plotmap: no users yet, so nobody can sign in or edit; add an admin with\n"
                         "  echo 'a-long-password' | "
                      << program << " user add --db " << s.database.path << " --username admin --role admin --password-stdin\n";
        }
    }
    data::store store({s.database.path, s.database.readers, s.database.busy_timeout_ms});
    data::plot_registry plots(store, server::registry_rules_from(s));
    data::photo_store photos(store, server::photo_settings_from(s));
    tiles::tile_service tiles(store, s.tiles, s.plots.stages);
    // Writes other servers on the same (PostgreSQL) database commit refresh the tiles here too.
    const data::plot_watch others = store.watch_plot_changes([&tiles](const geo::bbox& b) { tiles.plots_changed(b); });
    server::metrics metrics;
    const server::gatekeeper gate(store, s);
    const server::app application({store, plots, photos, tiles, metrics, s, gate});
    server::http_server http(
        s.server, [&application](server::request& req) { return application.handle(req); }, metrics,
        [&application](server::request& req) { return application.try_fast(req); });
    http.set_admission([&application](server::request& req) { return application.admit(req); }, application.largest_body());
    const unsigned short port = http.listen(where.host, where.port);
    const std::string shown_host = where.host.find(':') != std::string::npos ? "[" + where.host + "]" : where.host;
    std::cout << "plotmap " << version << ": listening on http://" << shown_host << ":" << port << " (database "
              << s.database.path << ")" << std::endl;
    http.run();
    std::cout << "plotmap: stopped" << std::endl;
    return 0;
}

int run(const std::vector<std::string>& args) {
    // `plotmap COMMAND [SUBCOMMAND] --help` (or -h) anywhere: that command's help, exit 0.
    if (!args.empty() && command_help.contains(args[0]) &&
        std::any_of(args.begin() + 1, args.end(), [](const std::string& x) { return x == "--help" || x == "-h"; })) {
        std::cout << command_help.at(args[0]);
        return 0;
    }
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        if (args.size() > 1) {
            const auto it = command_help.find(args[1]);
            if (it == command_help.end()) throw usage_error("no help for unknown command '" + args[1] + "'");
            std::cout << it->second;
        } else {
            std::cout << general_help;
        }
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::cout << "plotmap " << version << '\n';
        return 0;
    }
    const parsed_args a = parse_args(args, {{"init", {"db", "config", "admin-dir"}},
                                            {"demo", {"db", "config", "plots", "seed"}},
                                            {"serve", {"db", "config", "listen"}},
                                            {"user add", {"db", "config", "username", "role", "scope", "password-stdin"}},
                                            {"user list", {"db", "config"}},
                                            {"user passwd", {"db", "config", "username", "password-stdin"}},
                                            {"user disable", {"db", "config", "username"}},
                                            {"user enable", {"db", "config", "username"}},
                                            {"token create", {"db", "config", "username", "write", "name", "scope"}},
                                            {"token list", {"db", "config", "username"}},
                                            {"token revoke", {"db", "config", "id"}},
                                            {"export", {"db", "config", "format", "crs", "bbox", "bbox-crs", "program", "stage",
                                                        "adm1", "adm2", "adm3", "budget-year", "public"}},
                                            {"import", {"db", "config", "dry-run", "map", "program", "crs", "format", "allow-outside"}},
                                            {"tiles", {"db", "config", "tileset", "minzoom", "maxzoom", "bbox", "area", "update"}},
                                            {"backup", {"db", "config"}},
                                            {"restore", {"db", "config"}},
                                            {"photos sweep", {"db", "config", "dry-run"}},
                                            {"migrate", {"config", "from", "to"}}});
    const config::settings s = load_settings(a);
    if (a.command == "init") return run_init(s);
    if (a.command == "demo") return run_demo(s, a);
    if (a.command.starts_with("user ") || a.command.starts_with("token ")) return run_accounts(s, a);
    if (a.command == "export") return run_export(s, a);
    if (a.command == "import") return run_import(s, a);
    if (a.command == "tiles") return run_tiles(s, a);
    if (a.command == "backup") return run_backup(s, a);
    if (a.command == "restore") return run_restore(s, a);
    if (a.command == "photos sweep") return run_photos(s, a);
    if (a.command == "migrate") return run_migrate(a);
    return run_serve(s);
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (argc > 0 && argv[0] != nullptr && std::string_view(argv[0]).find('/') != std::string_view::npos) program = argv[0];
    try {
        return run(args);
    } catch (const usage_error& e) {
        const std::string cmd = args.empty() ? "" : " " + args[0];
        std::cerr << "plotmap" << cmd << ": " << e.what() << " (see `" << program << " help" << (command_help.contains(args[0]) ? cmd : "")
                  << "`)\n";
        return 2;
    } catch (const config_error& e) {
        std::cerr << "plotmap: configuration error: " << e.what() << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "plotmap: " << e.what() << '\n';
        return 1;
    }
}
