// Users, roles and area scopes through the real server and CLI: the authorisation matrix
// (role x in/out of scope x route, including OGC API items and exports, both anonymous modes), sessions (expiry, revocation),
// API tokens (read-only, scoped, ?token=), CSRF, sign-in and request rate limits, body and
// connection limits, attribution, and credentials never in logs or the database.

#include "data/database.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <csignal>
#include <functional>
#include <set>
#include <fstream>
#include <iterator>
#include <thread>

using namespace plotmap;
using nlohmann::json;
using test::http_reply;

namespace {

const std::vector<std::string> personal_fields{"owner_name", "owner_phone", "deed_no", "notes", "created_by", "updated_by"};
constexpr const char* owner = "นางสาวมะลิ ใจดี";
constexpr const char* phone = "0812345678";

/// One caller: anonymous, a session (cookie + CSRF token) or an API token.
struct client {
    unsigned short port = 0;
    std::string cookie;     ///< "plotmap_session=..."
    std::string csrf;
    std::string token;

    http_reply call(const std::string& method, const std::string& target, const std::string& body = {},
                    std::string extra = {}) const {
        if (!cookie.empty()) extra += "Cookie: " + cookie + "\r\n";
        if (!csrf.empty() && method != "GET") extra += "X-CSRF-Token: " + csrf + "\r\n";
        if (!token.empty()) extra += "Authorization: Bearer " + token + "\r\n";
        if (!body.empty() && extra.find("Content-Type") == std::string::npos) extra += "Content-Type: application/json\r\n";
        return test::http_request(port, method, target, body, extra);
    }
};

http_reply sign_in_reply(unsigned short port, const std::string& username, const std::string& password) {
    return test::http_request(port, "POST", "/api/v1/session",
                              json{{"username", username}, {"password", password}}.dump(),
                              "Content-Type: application/json\r\n");
}

client sign_in(unsigned short port, const std::string& username, const std::string& password) {
    const http_reply r = sign_in_reply(port, username, password);
    if (r.status != 201) throw std::runtime_error("sign-in of " + username + " failed: " + std::to_string(r.status) + " " + r.body);
    client c;
    c.port = port;
    const std::string& set_cookie = r.headers.at("set-cookie");
    c.cookie = set_cookie.substr(0, set_cookie.find(';'));
    c.csrf = json::parse(r.body).at("csrf_token");
    return c;
}

client with_token(unsigned short port, const std::string& token) {
    client c;
    c.port = port;
    c.token = token;
    return c;
}

/// Runs `plotmap ARGS... --db DB`, with `input` on standard input.
test::command_result cli(const std::string& db, std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), PLOTMAP_BINARY);
    args.push_back("--db");
    args.push_back(db);
    return test::run_command(args, std::chrono::minutes(1), {}, input);
}

void add_user(const std::string& db, const std::string& name, const std::string& role, const std::string& scope) {
    std::vector<std::string> args{"user", "add", "--username", name, "--role", role, "--password-stdin"};
    if (!scope.empty()) {
        args.push_back("--scope");
        args.push_back(scope);
    }
    const auto r = cli(db, args, name + "-password\n");
    if (r.exit_code != 0) throw std::runtime_error(r.output);
}

std::string password_of(const std::string& name) { return name + "-password"; }

/// A point well inside subdistrict `code`, from the database's own boundaries.
std::pair<double, double> point_in(const std::string& db, const std::string& code) {
    data::connection c(db, data::connection::mode::read_only);
    data::statement st(c, "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM adm3 WHERE code = ?1");
    st.bind(1, code);
    if (!st.step()) throw std::runtime_error("no subdistrict " + code);
    return {st.real(0), st.real(1)};
}

std::string plot_body(std::pair<double, double> where, const std::string& extra = {}) {
    return json{{"program", "HLM"},
                {"pin", {{"type", "Point"}, {"coordinates", {where.first, where.second}}}},
                {"owner_name", owner},
                {"owner_phone", phone},
                {"deed_no", "12345"},
                {"notes", "call before visiting"}}
               .dump()
               .insert(1, extra.empty() ? "" : extra + ",");
}

bool has_personal(const json& plot) {
    bool any = false;
    for (const std::string& f : personal_fields) any = any || plot.contains(f);
    return any;
}

bool has_all_personal(const json& plot) {
    bool all = true;
    for (const std::string& f : personal_fields) all = all && plot.contains(f);
    return all;
}

std::string tile_path(std::pair<double, double> lonlat, int z) {
    const double n = std::exp2(z);
    const double lat = lonlat.second * M_PI / 180.0;
    const auto x = static_cast<long>(std::floor((lonlat.first + 180.0) / 360.0 * n));
    const auto y = static_cast<long>(std::floor((1.0 - std::asinh(std::tan(lat)) / M_PI) / 2.0 * n));
    return "/tiles/plots/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + ".mvt";
}

std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class auth_e2e : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new test::temp_dir;
        db = new std::string(suite_database(*dir, "plotmap.sqlite"));
        in_point = new std::pair<double, double>(point_in(*db, "640101"));
        out_point = new std::pair<double, double>(point_in(*db, "500101"));
        server = new test::running_server(*db, {"PLOTMAP_SERVER_REQUESTS_PER_S=0", "PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_ADDRESS=1000",
                                                "PLOTMAP_FIELD_PIN_ACCURACY_M=7.5"});
    }
    static void TearDownTestSuite() {
        if (std::getenv("AUTH_DEBUG")) { server->process.drain(std::chrono::milliseconds(200)); std::cerr << server->process.output(); }
        delete server;
        delete in_point;
        delete out_point;
        delete db;
        delete dir;
    }

    /// A new database with the suite's users.
    static std::string suite_database(const test::temp_dir& in, const std::string& name) {
        std::string made = test::fresh_database(in, name).string();
        add_user(made, "sup64", "supervisor", "64");       // Sukhothai province
        add_user(made, "staff6401", "staff", "6401");      // Mueang Sukhothai district
        add_user(made, "viewer6401", "viewer", "6401");
        add_user(made, "staff50", "staff", "TH50");        // Chiang Mai (P-code form)
        return made;
    }

    static client admin() { return with_token(server->port, test::admin_credentials().token); }
    static client anonymous() { return client{server->port, {}, {}, {}}; }

    /// A plot created by the admin at `where`; returns its id.
    static std::int64_t make_plot(std::pair<double, double> where, const client& as = admin()) {
        const http_reply r = as.call("POST", "/api/v1/plots", plot_body(where));
        if (r.status != 201) throw std::runtime_error("create failed: " + r.body);
        return json::parse(r.body).at("id").get<std::int64_t>();
    }

    static std::string version_of(std::int64_t id) {
        return "\"" + json::parse(admin().call("GET", "/api/v1/plots/" + std::to_string(id)).body).at("version").dump() + "\"";
    }

    static inline test::temp_dir* dir = nullptr;
    static inline std::string* db = nullptr;
    static inline std::pair<double, double>* in_point = nullptr;
    static inline std::pair<double, double>* out_point = nullptr;
    static inline test::running_server* server = nullptr;
};

std::string admin_history(unsigned short port, std::int64_t id) {
    return test::http_request(port, "GET", "/api/v1/plots/" + std::to_string(id) + "/history", {},
                              test::admin_authorization())
        .body;
}

/// What one caller may do, for plots in their scope and out of it.
struct expected {
    std::string who;             ///< username, or "" for anonymous
    bool personal_in, personal_out;
    int create_in, create_out;
    int edit_in, edit_out;
    int delete_in, delete_out;
    int history;
    int list_users;
    int add_user_in, add_user_out; ///< a staff user in 6401 / in 50
};

void check_row(const expected& e, const client& c, unsigned short port, bool anonymous_public,
               const std::function<std::int64_t(std::pair<double, double>)>& make, std::pair<double, double> in,
               std::pair<double, double> out, const std::function<std::string(std::int64_t)>& version) {
    SCOPED_TRACE("caller " + (e.who.empty() ? std::string("anonymous") : e.who) +
                 (anonymous_public ? " (anonymous public)" : " (anonymous off)"));
    const bool anon = e.who.empty();
    const int read_status = anon && !anonymous_public ? 401 : 200;
    for (const bool inside : {true, false}) {
        SCOPED_TRACE(inside ? "plot in scope" : "plot out of scope");
        const std::pair<double, double> where = inside ? in : out;
        const std::int64_t id = make(where);
        const std::string url = "/api/v1/plots/" + std::to_string(id);
        const bool personal = inside ? e.personal_in : e.personal_out;

        // read, and personal fields
        const http_reply got = c.call("GET", url);
        ASSERT_EQ(got.status, read_status) << got.body;
        if (got.status == 200) {
            const json p = json::parse(got.body);
            EXPECT_EQ(has_all_personal(p), personal) << got.body;
            EXPECT_EQ(has_personal(p), personal) << got.body;
            EXPECT_EQ(got.body.find(phone) != std::string::npos, personal);
            const http_reply listed = c.call("GET", "/api/v1/plots?limit=1000");
            ASSERT_EQ(listed.status, 200);
            bool found = false;
            const json page = json::parse(listed.body);
            for (const json& q : page["plots"]) {
                if (q["id"] != id) continue;
                found = true;
                EXPECT_EQ(has_personal(q), personal);
            }
            EXPECT_TRUE(found);
        }
        const http_reply history = c.call("GET", url + "/history");
        EXPECT_EQ(history.status, e.history) << history.body;
        if (history.status == 200) {
            const json first = json::parse(history.body)["versions"][0];
            EXPECT_EQ(first.contains("changed_by"), personal);
            EXPECT_EQ(first["changes"].contains("owner_name"), personal);
        }

        // OGC API items and exports follow the same rules
        const http_reply item = c.call("GET", "/collections/pins/items/" + std::to_string(id));
        ASSERT_EQ(item.status, read_status) << item.body;
        if (item.status == 200) {
            EXPECT_EQ(json::parse(item.body)["properties"].contains("owner_name"), personal);
        }
        const http_reply exported = c.call("GET", "/api/v1/exports/plots.geojson");
        ASSERT_EQ(exported.status, read_status) << exported.body.substr(0, 200);
        if (exported.status == 200) {
            const json fc = json::parse(exported.body);
            bool seen = false;
            for (const json& f : fc["features"]) {
                if (f["id"] != id) continue;
                seen = true;
                EXPECT_EQ(f["properties"].contains("owner_name"), personal);
            }
            EXPECT_TRUE(seen);
        }

        // tiles and TileJSON: the same public bytes for everyone who may read
        const http_reply tile = c.call("GET", tile_path(where, 15));
        EXPECT_EQ(tile.status, read_status == 200 ? 200 : 401) << tile.body;
        EXPECT_EQ(tile.body.find(phone), std::string::npos);
        EXPECT_EQ(tile.body.find(owner), std::string::npos);
        EXPECT_EQ(c.call("GET", "/tiles/plots.json").status, read_status);

        // create, edit (and moving a plot out of scope), delete
        const http_reply created = c.call("POST", "/api/v1/plots", plot_body(where));
        EXPECT_EQ(created.status, inside ? e.create_in : e.create_out) << created.body;
        if (created.status == 201) {
            const json p = json::parse(created.body);
            EXPECT_EQ(p["created_by"], e.who);
            EXPECT_EQ(p["owner_name"], owner);
        }
        const std::string if_match = "If-Match: " + version(id) + "\r\n";
        const http_reply edited = c.call("PATCH", url, R"({"stage":"digging"})",
                                         "Content-Type: application/merge-patch+json\r\n" + if_match);
        EXPECT_EQ(edited.status, inside ? e.edit_in : e.edit_out) << edited.body;
        if (edited.status == 200) {
            EXPECT_EQ(json::parse(edited.body)["updated_by"], e.who);
            const json h = json::parse(admin_history(port, id));
            EXPECT_EQ(h["versions"][1]["changed_by"], e.who);
            if (inside && e.who != "admin") {
                const http_reply moved = c.call("PATCH", url, R"({"adm1":"50","adm2":"5001","adm3":"500101"})",
                                                "Content-Type: application/merge-patch+json\r\nIf-Match: " + version(id) + "\r\n");
                EXPECT_EQ(moved.status, 403) << moved.body;
            }
        }
        const http_reply deleted = c.call("DELETE", url, {}, "If-Match: " + version(id) + "\r\n");
        EXPECT_EQ(deleted.status, inside ? e.delete_in : e.delete_out) << deleted.body;
    }

    // user administration
    EXPECT_EQ(c.call("GET", "/api/v1/users").status, e.list_users);
    static int serial = 0;
    ++serial;
    const auto new_staff = [&](const char* scope) {
        return json{{"username", "made" + std::to_string(serial) + scope}, {"role", "staff"}, {"scope", scope}, {"password", "a-long-password"}}
            .dump();
    };
    EXPECT_EQ(c.call("POST", "/api/v1/users", new_staff("6401")).status, e.add_user_in);
    EXPECT_EQ(c.call("POST", "/api/v1/users", new_staff("50")).status, e.add_user_out);
}

const std::vector<expected>& matrix() {
    static const std::vector<expected> rows{
        // who          personal     create     edit       delete     hist users add-user
        {"admin", true, true, 201, 201, 200, 200, 200, 200, 200, 200, 201, 201},
        {"sup64", true, false, 201, 403, 200, 403, 200, 403, 200, 200, 201, 403},
        {"staff6401", true, false, 201, 403, 200, 403, 403, 403, 200, 403, 403, 403},
        {"viewer6401", true, false, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403},
        {"", false, false, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401},
    };
    return rows;
}

client caller_for(const expected& e, unsigned short port) {
    if (e.who.empty()) return client{port, {}, {}, {}};
    if (e.who == "admin") return sign_in(port, "admin", test::admin_credentials().password);
    return sign_in(port, e.who, password_of(e.who));
}

} // namespace

TEST_F(auth_e2e, authorisation_matrix_with_public_anonymous_reads) {
    const auto make = [](std::pair<double, double> w) { return make_plot(w); };
    for (const expected& e : matrix()) {
        check_row(e, caller_for(e, server->port), server->port, true, make, *in_point, *out_point, version_of);
    }
}

TEST_F(auth_e2e, authorisation_matrix_with_anonymous_access_off) {
    test::temp_dir other;
    const std::filesystem::path copy = suite_database(other, "off.sqlite");
    test::running_server off(copy.string(), {"PLOTMAP_AUTH_ANONYMOUS=off", "PLOTMAP_SERVER_REQUESTS_PER_S=0"});
    const client off_admin = with_token(off.port, test::admin_credentials().token);
    const auto make = [&](std::pair<double, double> w) {
        const http_reply r = off_admin.call("POST", "/api/v1/plots", plot_body(w));
        return json::parse(r.body).at("id").get<std::int64_t>();
    };
    const auto version = [&](std::int64_t id) {
        return "\"" + json::parse(off_admin.call("GET", "/api/v1/plots/" + std::to_string(id)).body).at("version").dump() + "\"";
    };
    for (const expected& e : matrix()) check_row(e, caller_for(e, off.port), off.port, false, make, *in_point, *out_point, version);
    // What stays open without signing in: health, the sign-in itself, the web pages' files.
    EXPECT_EQ(test::http_request(off.port, "GET", "/healthz").status, 200);
    EXPECT_EQ(test::http_request(off.port, "GET", "/embed").status, 200);
    http_reply denied = test::http_request(off.port, "GET", "/api/v1/plots");
    EXPECT_EQ(denied.status, 401);
    EXPECT_EQ(denied.headers.at("content-type"), "application/problem+json");
    EXPECT_EQ(denied.headers.at("www-authenticate"), "Bearer realm=\"plotmap\"");
    // Cached tiles are not served around the check either.
    const std::string tile = tile_path(*in_point, 15);
    EXPECT_EQ(off_admin.call("GET", tile).status, 200);
    EXPECT_EQ(test::http_request(off.port, "GET", tile).status, 401);
    http_reply with_query_token = test::http_request(off.port, "GET", tile + "?token=" + test::admin_credentials().token);
    EXPECT_EQ(with_query_token.status, 200);
    EXPECT_EQ(with_query_token.headers.at("cache-control").rfind("private", 0), 0u);
}

TEST_F(auth_e2e, sessions_show_who_is_signed_in_and_end_on_logout) {
    const client c = sign_in(server->port, "staff6401", password_of("staff6401"));
    const http_reply me = c.call("GET", "/api/v1/session");
    ASSERT_EQ(me.status, 200);
    const json who = json::parse(me.body);
    EXPECT_EQ(who["username"], "staff6401");
    EXPECT_EQ(who["role"], "staff");
    EXPECT_EQ(who["scope"], "6401");
    EXPECT_EQ(who["csrf_token"], c.csrf);

    const http_reply r = sign_in_reply(server->port, "staff6401", password_of("staff6401"));
    const std::string cookie = r.headers.at("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    EXPECT_NE(cookie.find("Path=/"), std::string::npos);
    EXPECT_EQ(cookie.find("Secure"), std::string::npos); // plain HTTP, no trusted proxy

    const http_reply out = c.call("DELETE", "/api/v1/session");
    EXPECT_EQ(out.status, 204);
    EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
    const http_reply after = c.call("GET", "/api/v1/session");
    EXPECT_EQ(after.status, 401);
    EXPECT_NE(json::parse(after.body)["detail"].get<std::string>().find("sign in again"), std::string::npos);
    // The same dead cookie on a public read reads as anonymous rather than failing the map.
    const http_reply public_read = c.call("GET", "/api/v1/plots?limit=1");
    EXPECT_EQ(public_read.status, 200);

    EXPECT_EQ(sign_in_reply(server->port, "staff6401", "wrong-password").status, 401);
    EXPECT_EQ(sign_in_reply(server->port, "nobody", "whatever-password").status, 401);
}

TEST_F(auth_e2e, sessions_expire_when_idle_and_at_their_lifetime) {
    // Times are whole seconds: a 3 s idle timeout used every 1.2 s leaves 1.8 s for a
    // request delayed by a loaded machine (2 s left 0.8 s, and a full run once missed it).
    test::running_server s(*db, {"PLOTMAP_AUTH_SESSION_IDLE_TIMEOUT_S=3", "PLOTMAP_AUTH_SESSION_LIFETIME_S=7"});
    const client busy = sign_in(s.port, "viewer6401", password_of("viewer6401"));
    const client idle = sign_in(s.port, "staff6401", password_of("staff6401"));
    const auto start = std::chrono::steady_clock::now();
    // Used every 1.2 s, a session outlives its 3 s idle timeout ...
    for (int i = 1; i <= 4; ++i) {
        std::this_thread::sleep_until(start + std::chrono::milliseconds(1200 * i));
        EXPECT_EQ(busy.call("GET", "/api/v1/session").status, 200) << "after " << 1.2 * i << " s";
    }
    // ... while one left alone for longer than that (4.8 s) has ended,
    EXPECT_EQ(idle.call("GET", "/api/v1/session").status, 401);
    // and none outlives its 7 s lifetime however busy.
    std::this_thread::sleep_until(start + std::chrono::milliseconds(7600));
    EXPECT_EQ(busy.call("GET", "/api/v1/session").status, 401);
}

TEST_F(auth_e2e, admins_and_the_cli_revoke_sessions_and_tokens_at_once) {
    add_user(*db, "revokee", "staff", "6401");
    const client session = sign_in(server->port, "revokee", password_of("revokee"));
    ASSERT_EQ(session.call("GET", "/api/v1/session").status, 200);
    const client admin_session = sign_in(server->port, "admin", test::admin_credentials().password);
    const http_reply revoked = admin_session.call("DELETE", "/api/v1/users/revokee/sessions");
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(json::parse(revoked.body)["sessions_ended"], 1);
    EXPECT_EQ(session.call("GET", "/api/v1/session").status, 401);

    // A token from the CLI works until the user is disabled from the CLI, with the server running.
    const auto made = cli(*db, {"token", "create", "--username", "revokee", "--name", "qgis"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    const std::string token = test::token_in(made.output);
    const client again = sign_in(server->port, "revokee", password_of("revokee"));
    EXPECT_EQ(with_token(server->port, token).call("GET", "/api/v1/session").status, 200);
    const auto disabled = cli(*db, {"user", "disable", "--username", "revokee"});
    ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
    EXPECT_EQ(with_token(server->port, token).call("GET", "/api/v1/session").status, 401);
    EXPECT_EQ(again.call("GET", "/api/v1/session").status, 401);
    EXPECT_EQ(sign_in_reply(server->port, "revokee", password_of("revokee")).status, 401);
    ASSERT_EQ(cli(*db, {"user", "enable", "--username", "revokee"}).exit_code, 0);
    EXPECT_EQ(sign_in_reply(server->port, "revokee", password_of("revokee")).status, 201);
    EXPECT_EQ(with_token(server->port, token).call("GET", "/api/v1/session").status, 401); // revoked for good

    // A new password (CLI) ends the sessions signed in with the old one.
    const client before = sign_in(server->port, "revokee", password_of("revokee"));
    ASSERT_EQ(cli(*db, {"user", "passwd", "--username", "revokee", "--password-stdin"}, "another-password\n").exit_code, 0);
    EXPECT_EQ(before.call("GET", "/api/v1/session").status, 401);
    EXPECT_EQ(sign_in_reply(server->port, "revokee", "another-password").status, 201);
}

TEST_F(auth_e2e, api_tokens_are_read_only_or_read_write_scoped_and_revocable) {
    const client staff = sign_in(server->port, "staff6401", password_of("staff6401"));
    const auto create_token = [&](const json& body) { return staff.call("POST", "/api/v1/tokens", body.dump()); };
    const http_reply read = create_token({{"name", "QGIS"}});
    ASSERT_EQ(read.status, 201) << read.body;
    const json read_info = json::parse(read.body);
    EXPECT_EQ(read_info["write"], false);
    EXPECT_EQ(read_info["scope"], "6401");
    const client reader = with_token(server->port, read_info["token"]);

    const std::int64_t in_plot = make_plot(*in_point);
    const http_reply got = reader.call("GET", "/api/v1/plots/" + std::to_string(in_plot));
    EXPECT_TRUE(has_all_personal(json::parse(got.body)));
    const http_reply refused = reader.call("POST", "/api/v1/plots", plot_body(*in_point));
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(json::parse(refused.body)["detail"].get<std::string>().find("read-only"), std::string::npos);
    EXPECT_EQ(reader.call("POST", "/api/v1/tokens", R"({"name":"more"})").status, 403); // tokens cannot mint tokens

    const http_reply write = create_token({{"name", "sync"}, {"write", true}});
    ASSERT_EQ(write.status, 201);
    const client writer = with_token(server->port, json::parse(write.body)["token"]);
    EXPECT_EQ(writer.call("POST", "/api/v1/plots", plot_body(*in_point)).status, 201); // no CSRF for bearer tokens
    EXPECT_EQ(writer.call("POST", "/api/v1/plots", plot_body(*out_point)).status, 403);

    // Narrower than the user: one subdistrict. Wider: refused.
    const http_reply narrow = create_token({{"scope", "640101"}});
    ASSERT_EQ(narrow.status, 201);
    EXPECT_EQ(json::parse(narrow.body)["scope"], "640101");
    EXPECT_EQ(create_token({{"scope", "64"}}).status, 403);
    EXPECT_EQ(create_token({{"scope", "99"}}).status, 400);
    const client viewer = sign_in(server->port, "viewer6401", password_of("viewer6401"));
    EXPECT_EQ(viewer.call("POST", "/api/v1/tokens", R"({"write":true})").status, 400);

    // ?token= for tools that cannot set headers; TileJSON hands the token on; writes refuse it.
    const std::string t = read_info["token"];
    const http_reply tilejson = test::http_request(server->port, "GET", "/tiles/plots.json?token=" + t);
    ASSERT_EQ(tilejson.status, 200);
    EXPECT_NE(json::parse(tilejson.body)["tiles"][0].get<std::string>().find("?token=" + t), std::string::npos);
    const http_reply style = test::http_request(server->port, "GET", "/styles/default.json?token=" + t);
    EXPECT_NE(style.body.find("/tiles/plots.json?token=" + t), std::string::npos);
    EXPECT_EQ(test::http_request(server->port, "POST", "/api/v1/plots?token=" + t, plot_body(*in_point),
                                 "Content-Type: application/json\r\n")
                  .status,
              400);
    const http_reply personal_by_query = test::http_request(server->port, "GET", "/api/v1/plots/" + std::to_string(in_plot) + "?token=" + t);
    EXPECT_TRUE(has_all_personal(json::parse(personal_by_query.body)));

    // Listing shows prefixes, never tokens; revoking ends a token at once.
    const http_reply listed = staff.call("GET", "/api/v1/tokens");
    EXPECT_EQ(json::parse(listed.body)["tokens"].size(), 3u);
    EXPECT_EQ(listed.body.find(t), std::string::npos);
    EXPECT_EQ(staff.call("DELETE", "/api/v1/tokens/" + read_info["id"].dump()).status, 204);
    EXPECT_EQ(reader.call("GET", "/api/v1/plots/" + std::to_string(in_plot)).status, 401);
    EXPECT_EQ(test::http_request(server->port, "GET", "/api/v1/plots?token=not-a-token").status, 401);
}

TEST_F(auth_e2e, cookie_writes_need_the_csrf_token_and_a_same_origin) {
    client c = sign_in(server->port, "staff6401", password_of("staff6401"));
    const std::string csrf = c.csrf;
    c.csrf.clear();
    const http_reply missing = c.call("POST", "/api/v1/plots", plot_body(*in_point));
    EXPECT_EQ(missing.status, 403);
    EXPECT_NE(json::parse(missing.body)["detail"].get<std::string>().find("X-CSRF-Token"), std::string::npos);
    c.csrf = std::string(csrf.size(), 'A');
    EXPECT_EQ(c.call("POST", "/api/v1/plots", plot_body(*in_point)).status, 403);
    c.csrf = csrf;
    EXPECT_EQ(c.call("POST", "/api/v1/plots", plot_body(*in_point), "Origin: http://evil.example\r\n").status, 403);
    const std::string own_origin = "Origin: http://127.0.0.1:" + std::to_string(server->port) + "\r\n";
    const http_reply ok = c.call("POST", "/api/v1/plots", plot_body(*in_point), own_origin);
    EXPECT_EQ(ok.status, 201) << ok.body;
    // A foreign page cannot sign a browser in either (login CSRF).
    EXPECT_EQ(test::http_request(server->port, "POST", "/api/v1/session",
                                 json{{"username", "staff6401"}, {"password", password_of("staff6401")}}.dump(),
                                 "Content-Type: application/json\r\nOrigin: http://evil.example\r\n")
                  .status,
              403);
}

TEST_F(auth_e2e, sign_in_is_rate_limited_per_user_and_per_address) {
    test::running_server s(*db, {"PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_USER=3", "PLOTMAP_AUTH_LOGIN_ATTEMPTS_PER_ADDRESS=5"});
    for (int i = 0; i < 3; ++i) EXPECT_EQ(sign_in_reply(s.port, "staff6401", "guess-" + std::to_string(i)).status, 401);
    const http_reply limited = sign_in_reply(s.port, "staff6401", password_of("staff6401"));
    EXPECT_EQ(limited.status, 429);
    EXPECT_GT(std::stoi(limited.headers.at("retry-after")), 0);
    EXPECT_NE(json::parse(limited.body)["detail"].get<std::string>().find("too many failed sign-ins for \"staff6401\""),
              std::string::npos);
    // Another user from the same address is not locked out by them ...
    EXPECT_EQ(sign_in_reply(s.port, "viewer6401", password_of("viewer6401")).status, 201);
    // ... until the address itself has made too many attempts.
    EXPECT_EQ(sign_in_reply(s.port, "sup64", "wrong-one").status, 401);
    const http_reply address = sign_in_reply(s.port, "sup64", password_of("sup64"));
    EXPECT_EQ(address.status, 429);
    EXPECT_NE(json::parse(address.body)["detail"].get<std::string>().find("from your address"), std::string::npos);
    EXPECT_EQ(test::http_request(s.port, "GET", "/healthz").status, 200);
}

TEST_F(auth_e2e, request_rate_connections_bodies_and_vertices_are_limited) {
    test::running_server s(*db, {"PLOTMAP_SERVER_REQUESTS_PER_S=1", "PLOTMAP_SERVER_REQUEST_BURST=5", "PLOTMAP_SERVER_MAX_CONNECTIONS=3",
                                 "PLOTMAP_PLOTS_MAX_VERTICES=20"});
    int limited = 0;
    http_reply last;
    for (int i = 0; i < 8; ++i) {
        last = test::http_request(s.port, "GET", "/api/v1/plots?limit=1");
        if (last.status == 429) ++limited;
    }
    EXPECT_GE(limited, 2);
    EXPECT_EQ(last.status, 429);
    EXPECT_EQ(last.headers.at("retry-after"), "1");
    EXPECT_EQ(last.headers.at("content-type"), "application/problem+json");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));

    {
        // Three idle connections fill the server; a fourth is told so and closed.
        std::vector<std::unique_ptr<test::http_connection>> open;
        for (int i = 0; i < 3; ++i) open.push_back(std::make_unique<test::http_connection>(s.port));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        test::http_connection extra(s.port);
        const http_reply full = extra.read_reply();
        EXPECT_EQ(full.status, 503);
        EXPECT_EQ(full.headers.at("retry-after"), "1");
        EXPECT_TRUE(extra.closed_by_peer());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));

    // Sign-in takes small bodies; plot writes take up to server.body_limit_bytes.
    const std::string padding(20000, ' ');
    const http_reply big_login = test::http_request(s.port, "POST", "/api/v1/session", "{" + padding + "}",
                                                    "Content-Type: application/json\r\n");
    EXPECT_EQ(big_login.status, 413);
    EXPECT_NE(json::parse(big_login.body)["detail"].get<std::string>().find("16384"), std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    const client a = with_token(s.port, test::admin_credentials().token);
    json ring = json::array();
    for (int i = 0; i < 24; ++i) {
        const double angle = 2 * M_PI * i / 24;
        ring.push_back({in_point->first + 0.001 * std::cos(angle), in_point->second + 0.001 * std::sin(angle)});
    }
    ring.push_back(ring[0]);
    const http_reply many = a.call("POST", "/api/v1/plots",
                                   json{{"program", "HLM"}, {"boundary", {{"type", "Polygon"}, {"coordinates", {ring}}}}}.dump() + padding);
    EXPECT_EQ(many.status, 422) << many.body;
    EXPECT_NE(json::parse(many.body)["detail"].get<std::string>().find("plots.max_vertices"), std::string::npos);
}

TEST_F(auth_e2e, passwords_and_tokens_never_reach_logs_or_the_database_in_clear) {
    test::temp_dir logs_dir;
    const std::filesystem::path copy = suite_database(logs_dir, "secrets.sqlite");
    const std::string password = "Very-Secret-Passw0rd";
    ASSERT_EQ(cli(copy.string(), {"user", "add", "--username", "secretive", "--role", "staff", "--scope", "6401", "--password-stdin"},
                  password + "\n")
                  .exit_code,
              0);
    test::running_server s(copy.string(), {"PLOTMAP_SERVER_ACCESS_LOG=true"});
    const client c = sign_in(s.port, "secretive", password);
    EXPECT_EQ(sign_in_reply(s.port, "secretive", password + "-wrong").status, 401);
    const std::string token = json::parse(c.call("POST", "/api/v1/tokens", R"({"name":"x"})").body)["token"];
    EXPECT_EQ(test::http_request(s.port, "GET", "/tiles/plots.json?token=" + token).status, 200);
    const std::string session_value = c.cookie.substr(c.cookie.find('=') + 1);
    s.process.drain(std::chrono::milliseconds(300));
    const std::string log = s.process.output();
    EXPECT_NE(log.find("/tiles/plots.json?token=***"), std::string::npos) << log;
    for (const std::string& secret : {password, token, session_value, c.csrf}) {
        EXPECT_EQ(log.find(secret), std::string::npos) << "in the log: " << secret;
    }
    s.process.send_signal(SIGTERM);
    ASSERT_EQ(s.process.wait(std::chrono::seconds(10)), 0);

    // Every byte of the database (and its WAL, if any is left) is free of them.
    std::string bytes = file_bytes(copy);
    if (std::filesystem::exists(copy.string() + "-wal")) bytes += file_bytes(copy.string() + "-wal");
    for (const std::string& secret : {password, token, session_value}) {
        EXPECT_EQ(bytes.find(secret), std::string::npos) << "in the database: " << secret;
    }
    data::connection conn(copy.string(), data::connection::mode::read_only);
    data::statement st(conn, "SELECT password_hash FROM users");
    int users = 0;
    while (st.step()) {
        ++users;
        EXPECT_EQ(std::string(st.text(0)).rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << st.text(0);
    }
    EXPECT_GE(users, 6);
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM api_tokens WHERE length(token_hash) = 32"),
              conn.scalar_int("SELECT count(*) FROM api_tokens"));
}

TEST_F(auth_e2e, user_admin_follows_roles_and_scopes) {
    const client sup = sign_in(server->port, "sup64", password_of("sup64"));
    const json listed = json::parse(sup.call("GET", "/api/v1/users").body);
    std::set<std::string> names;
    for (const json& u : listed["users"]) names.insert(u["username"]);
    EXPECT_TRUE(names.contains("staff6401"));
    EXPECT_TRUE(names.contains("viewer6401"));
    EXPECT_FALSE(names.contains("staff50"));  // another province
    EXPECT_FALSE(names.contains("admin"));
    EXPECT_EQ(sup.call("GET", "/api/v1/users/staff50").status, 403);
    const auto patch = [&](const std::string& user, const json& body) {
        return sup.call("PATCH", "/api/v1/users/" + user, body.dump(), "Content-Type: application/merge-patch+json\r\n");
    };
    EXPECT_EQ(patch("viewer6401", {{"role", "supervisor"}}).status, 403); // cannot promote beyond staff
    EXPECT_EQ(patch("viewer6401", {{"scope", "50"}}).status, 403);        // nor move out of their scope
    EXPECT_EQ(patch("staff50", {{"disabled", true}}).status, 403);
    const http_reply made = sup.call("POST", "/api/v1/users",
                                     R"({"username":"field1","role":"staff","scope":"640101","password":"field-password"})");
    ASSERT_EQ(made.status, 201) << made.body;
    EXPECT_EQ(json::parse(made.body)["created_by"], "sup64");
    EXPECT_EQ(sup.call("POST", "/api/v1/users", R"({"username":"field1","role":"staff","scope":"640101","password":"field-password"})").status,
              409);
    EXPECT_EQ(sup.call("POST", "/api/v1/users", R"({"username":"Bad Name","role":"staff","scope":"6401","password":"field-password"})").status,
              400);
    EXPECT_EQ(sup.call("POST", "/api/v1/users", R"({"username":"short","role":"staff","scope":"6401","password":"short"})").status, 400);
    const http_reply disabled = patch("field1", {{"disabled", true}});
    ASSERT_EQ(disabled.status, 200) << disabled.body;
    EXPECT_EQ(json::parse(disabled.body)["disabled"], true);
    EXPECT_EQ(sign_in_reply(server->port, "field1", "field-password").status, 401);
    const client admin_session = sign_in(server->port, "admin", test::admin_credentials().password);
    EXPECT_EQ(admin_session.call("PATCH", "/api/v1/users/admin", R"({"disabled":true})").status, 409);
}

TEST(auth_cli, user_and_token_commands_and_their_errors) {
    test::temp_dir dir;
    const std::string db = test::fresh_database(dir).string();
    auto r = cli(db, {"user", "add", "--username", "somchai", "--role", "staff", "--scope", "6401", "--password-stdin"},
                 "a-good-password\n");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "plotmap: added staff somchai for 6401 (เมืองสุโขทัย)\n");
    r = cli(db, {"user", "list"});
    ASSERT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("somchai"), std::string::npos);
    EXPECT_NE(r.output.find("(whole country)"), std::string::npos); // the fixture's admin
    EXPECT_EQ(r.output.find("argon2"), std::string::npos);

    r = cli(db, {"user", "add", "--username", "x1", "--role", "boss", "--password-stdin"}, "a-good-password\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "plotmap: role must be admin, supervisor, staff or viewer, got \"boss\"\n");
    r = cli(db, {"user", "add", "--username", "x1", "--role", "staff", "--scope", "6499", "--password-stdin"}, "a-good-password\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("scope must be a province"), std::string::npos);
    r = cli(db, {"user", "add", "--username", "x1", "--role", "staff"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("--password-stdin"), std::string::npos);
    r = cli(db, {"user", "add", "--username", "x1", "--role", "staff", "--password-stdin"}, "short\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "plotmap: password must be at least 8 characters\n");
    r = cli(db, {"user", "add", "--username", "somchai", "--role", "staff", "--password-stdin"}, "a-good-password\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "plotmap: a user named \"somchai\" already exists\n");
    r = cli(db, {"user", "frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("unknown command 'user frobnicate'"), std::string::npos);

    r = cli(db, {"token", "create", "--username", "somchai", "--write", "--name", "field tablet"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("created read-write token"), std::string::npos);
    const std::string token = test::token_in(r.output);
    EXPECT_EQ(token.size(), 46u);
    r = cli(db, {"token", "list"});
    EXPECT_NE(r.output.find("field tablet"), std::string::npos);
    EXPECT_EQ(r.output.find(token), std::string::npos);
    EXPECT_NE(r.output.find(token.substr(0, 7)), std::string::npos);
    r = cli(db, {"token", "create", "--username", "somchai", "--scope", "50"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cannot reach beyond its user's scope"), std::string::npos);
    r = cli(db, {"token", "revoke", "--id", "2"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    r = cli(db, {"token", "revoke", "--id", "99"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "plotmap: no API token with id 99\n");
    r = cli(db, {"user", "disable", "--username", "nobody"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.output, "plotmap: no user named \"nobody\"\n");
}

TEST_F(auth_e2e, editors_cannot_move_a_plot_out_of_their_scope_by_its_geometry) {
    const client staff = sign_in(server->port, "staff6401", password_of("staff6401"));
    const http_reply created = staff.call("POST", "/api/v1/plots", plot_body(*in_point));
    ASSERT_EQ(created.status, 201) << created.body;
    const json plot = json::parse(created.body);
    const std::string url = "/api/v1/plots/" + plot["id"].dump();
    const std::string if_match = "If-Match: \"1\"\r\nContent-Type: application/merge-patch+json\r\n";
    // The pin moved hundreds of km into Chiang Mai while the admin codes stay those of 6401.
    const json far_pin{{"pin", {{"type", "Point"}, {"coordinates", {out_point->first, out_point->second}}}},
                       {"adm3", plot["adm3"]}};
    const http_reply moved = staff.call("PATCH", url, far_pin.dump(), if_match);
    EXPECT_EQ(moved.status, 403) << moved.body;
    EXPECT_NE(json::parse(moved.body)["detail"].get<std::string>().find("would lie in"), std::string::npos) << moved.body;
    // A boundary far away, the pin removed: the same.
    const double x = out_point->first, y = out_point->second;
    const json far_boundary{{"pin", nullptr},
                            {"boundary", {{"type", "Polygon"}, {"coordinates", {{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}}}}};
    EXPECT_EQ(staff.call("PATCH", url, far_boundary.dump(), if_match).status, 403);
    // Creating one there with this district's codes is refused too.
    EXPECT_EQ(staff.call("POST", "/api/v1/plots", plot_body(*out_point, "\"adm3\":\"640101\"")).status, 403);
    // Nothing moved: the plot is where it was, at version 1, and its officer still sees it.
    const json now = json::parse(staff.call("GET", url).body);
    EXPECT_EQ(now["version"], 1);
    EXPECT_EQ(now["pin"], plot["pin"]);
    EXPECT_TRUE(has_all_personal(now));
    // A national admin may move it anywhere (the location then decides its codes).
    const json moved_by_admin = json::parse(admin().call("PATCH", url, json{{"pin", far_pin["pin"]}, {"adm3", nullptr}, {"adm2", nullptr}, {"adm1", nullptr}}.dump(), if_match).body);
    EXPECT_EQ(moved_by_admin["adm1"], "50");
}

namespace {

/// The ids of the plots a search answers.
std::set<std::int64_t> found_ids(const http_reply& r) {
    std::set<std::int64_t> ids;
    const json body = json::parse(r.body);
    for (const auto& p : body.at("plots")) ids.insert(p.at("id").get<std::int64_t>());
    return ids;
}

} // namespace

TEST_F(auth_e2e, a_search_finds_owners_only_where_the_caller_may_see_them_and_villages_by_number) {
    // Two plots of the same owner, one in Mueang Sukhothai (6401), one in Chiang Mai.
    const auto make = [](std::pair<double, double> where, int village) {
        const std::string body = json{{"program", "HLM"},
                                      {"pin", {{"type", "Point"}, {"coordinates", {where.first, where.second}}}},
                                      {"owner_name", "นายค้นหา เจ้าของแปลง"},
                                      {"village_no", village}}
                                     .dump();
        const http_reply r = admin().call("POST", "/api/v1/plots", body);
        if (r.status != 201) throw std::runtime_error(r.body);
        return json::parse(r.body).at("id").get<std::int64_t>();
    };
    const std::int64_t in = make(*in_point, 41);
    const std::int64_t out = make(*out_point, 41);
    const std::string search = "/api/v1/plots?limit=1000&q=%E0%B8%84%E0%B9%89%E0%B8%99%E0%B8%AB%E0%B8%B2"; // "ค้นหา"

    // Anonymous callers never learn whose plot is where: the owner is not searched for them.
    EXPECT_EQ(found_ids(anonymous().call("GET", search)), std::set<std::int64_t>{});
    // A district officer finds the owner's plot in their district, not the one outside it.
    const client staff = sign_in(server->port, "staff6401", password_of("staff6401"));
    EXPECT_EQ(found_ids(staff.call("GET", search)), std::set<std::int64_t>{in});
    // The admin (the whole country) finds both.
    EXPECT_EQ(found_ids(admin().call("GET", search)), (std::set<std::int64_t>{in, out}));

    EXPECT_EQ(found_ids(anonymous().call("GET", "/api/v1/plots?limit=1000&village_no=41")), (std::set<std::int64_t>{in, out}));
    EXPECT_EQ(found_ids(anonymous().call("GET", "/api/v1/plots?limit=1000&village_no=41&adm2=6401")), std::set<std::int64_t>{in});
    const http_reply bad = anonymous().call("GET", "/api/v1/plots?village_no=three");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("village_no"), std::string::npos);
}

TEST_F(auth_e2e, the_field_app_gets_its_gps_settings_with_the_session) {
    const http_reply answer = sign_in_reply(server->port, "staff6401", password_of("staff6401"));
    ASSERT_EQ(answer.status, 201) << answer.body;
    EXPECT_EQ(json::parse(answer.body).at("field"), (json{{"pin_accuracy_m", 7.5}, {"pin_min_fixes", 5}, {"walk_max_accuracy_m", 15.0}}));
    const client staff = sign_in(server->port, "staff6401", password_of("staff6401"));
    EXPECT_EQ(json::parse(staff.call("GET", "/api/v1/session").body).at("field").at("pin_accuracy_m"), 7.5);
}
