// No acknowledged write is ever lost: kill -9 at random moments under concurrent creates,
// edits, deletes and imports; SIGTERM with writes in flight; backups taken while writes go
// on, verified and restored.

#include "data/backup.hpp"
#include "fixture_db.hpp"
#include "http_client.hpp"
#include "process.hpp"
#include "running_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

using namespace plotmap;
using nlohmann::json;
using test::http_reply;
using test::http_request;
using namespace std::chrono_literals;

namespace {

/// No access log, no request rate limit: the writers are many and fast.
std::vector<std::string> quiet_env() { return {"PLOTMAP_SERVER_ACCESS_LOG=false", "PLOTMAP_SERVER_REQUESTS_PER_S=0"}; }


/// What the server acknowledged about one plot: its version, and whether it is deleted.
struct acknowledged {
    std::int64_t version = 0;
    bool deleted = false;
};

/// Writers that create, edit, delete and import plots until told to stop or until the server
/// stops answering; every 2xx answer is recorded as acknowledged.
class writers {
public:
    writers(unsigned short port, int threads, unsigned seed) : port_(port) {
        for (int t = 0; t < threads; ++t) {
            threads_.emplace_back([this, t, seed] { run(t, seed + static_cast<unsigned>(t)); });
        }
    }
    ~writers() { stop(); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

    [[nodiscard]] std::map<std::int64_t, acknowledged> plots() const {
        const std::lock_guard lock(mutex_);
        return acked_;
    }
    [[nodiscard]] std::vector<std::string> imported_codes() const {
        const std::lock_guard lock(mutex_);
        return codes_;
    }
    [[nodiscard]] int acknowledged_writes() const { return writes_.load(); }

private:
    static std::string pin_body(const std::string& uid, double lon, double lat) {
        return json{{"uid", uid}, {"program", "HLM"}, {"name", "เขียน " + uid.substr(24)},
                    {"pin", {{"type", "Point"}, {"coordinates", {lon, lat}}}}}
            .dump();
    }

    void record(std::int64_t id, acknowledged a) {
        const std::lock_guard lock(mutex_);
        acked_[id] = a;
        ++writes_;
    }

    void run(int thread, unsigned seed) {
        std::mt19937 rng(seed);
        std::vector<std::pair<std::int64_t, std::int64_t>> mine; // id, version
        int serial = 0;
        while (!stop_) {
            const int op = static_cast<int>(rng() % 10);
            const double lon = 99.80 + 0.0001 * static_cast<double>(rng() % 400);
            const double lat = 17.00 + 0.0001 * static_cast<double>(rng() % 400);
            http_reply r;
            try {
                if (op < 5 || mine.empty()) {
                    char uid[40];
                    std::snprintf(uid, sizeof uid, "d0000000-0000-4000-8000-%04d%08d", thread, ++serial);
                    r = http_request(port_, "POST", "/api/v1/plots", pin_body(uid, lon, lat), "Content-Type: application/json\r\n" + test::admin_authorization());
                    if (r.status == 201) {
                        const json p = json::parse(r.body);
                        mine.emplace_back(p["id"].get<std::int64_t>(), 1);
                        record(p["id"], {1, false});
                    }
                } else if (op < 8) {
                    auto& [id, version] = mine[rng() % mine.size()];
                    r = http_request(port_, "PATCH", "/api/v1/plots/" + std::to_string(id),
                                     json{{"pin", {{"type", "Point"}, {"coordinates", {lon, lat}}}}, {"stage", "digging"}}.dump(),
                                     "Content-Type: application/merge-patch+json\r\nIf-Match: \"" + std::to_string(version) + "\"\r\n" + test::admin_authorization());
                    if (r.status == 200) {
                        version = json::parse(r.body)["version"].get<std::int64_t>();
                        record(id, {version, false});
                    }
                } else if (op < 9) {
                    const std::size_t k = rng() % mine.size();
                    const auto [id, version] = mine[k];
                    r = http_request(port_, "DELETE", "/api/v1/plots/" + std::to_string(id), {},
                                     "If-Match: \"" + std::to_string(version) + "\"\r\n" + test::admin_authorization());
                    if (r.status == 200 || r.status == 204) {
                        mine.erase(mine.begin() + static_cast<std::ptrdiff_t>(k));
                        record(id, {version + 1, true});
                    }
                } else {
                    // A small all-or-nothing import with codes of its own.
                    std::string csv = "code,name,lat,lon,program\n";
                    std::vector<std::string> codes;
                    for (int i = 0; i < 5; ++i) {
                        codes.push_back("IMP-" + std::to_string(thread) + "-" + std::to_string(++serial));
                        csv += codes.back() + ",นำเข้า," + std::to_string(lat + 0.0002 * i) + "," + std::to_string(lon) + ",CLM\n";
                    }
                    r = http_request(port_, "POST", "/api/v1/imports?format=csv&dry_run=false", csv, "Content-Type: text/csv\r\n" + test::admin_authorization());
                    if (r.status == 200 && json::parse(r.body)["applied"] == true) {
                        const std::lock_guard lock(mutex_);
                        codes_.insert(codes_.end(), codes.begin(), codes.end());
                        ++writes_;
                    }
                }
            } catch (const std::exception&) {
                r.status = 0; // refused connection: the server is down
            }
            if (r.status == 0 || r.status == 503) std::this_thread::sleep_for(20ms);
            if (r.status == 0) return; // the server is gone: this writer's trial is over
        }
    }

    unsigned short port_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::map<std::int64_t, acknowledged> acked_;
    std::vector<std::string> codes_;
    std::atomic<int> writes_{0};
};

/// Every acknowledged write is there: versions at least as new, deletions deleted, imported
/// codes present.
void expect_all_acknowledged(unsigned short port, const writers& w) {
    for (const auto& [id, a] : w.plots()) {
        const http_reply r = http_request(port, "GET", "/api/v1/plots/" + std::to_string(id) + "?deleted=include", {}, test::admin_authorization());
        ASSERT_EQ(r.status, 200) << "plot " << id << " is gone";
        const json p = json::parse(r.body);
        EXPECT_GE(p["version"].get<std::int64_t>(), a.version) << "plot " << id;
        if (a.deleted) {
            EXPECT_FALSE(p["deleted_at"].is_null()) << "plot " << id << " was deleted";
        }
    }
    for (const std::string& code : w.imported_codes()) {
        const http_reply listed = http_request(port, "GET", "/api/v1/plots?limit=1000&q=" + code, {}, test::admin_authorization());
        ASSERT_EQ(listed.status, 200) << listed.body;
        const json found = json::parse(listed.body);
        int exact = 0;
        for (const json& p : found.at("plots")) exact += p.at("code") == code ? 1 : 0;
        EXPECT_EQ(exact, 1) << code << ": " << listed.body.substr(0, 2000);
    }
}

} // namespace

TEST(durability, acknowledged_writes_survive_kill_9_at_random_moments) {
    test::temp_dir dir;
    const std::string db = test::fresh_database(dir).string();
    const unsigned seed = std::random_device{}();
    std::mt19937 rng(seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    int total = 0;
    for (int round = 0; round < 3; ++round) {
        auto server = std::make_unique<test::running_server>(db, quiet_env());
        writers w(server->port, 4, seed + static_cast<unsigned>(round) * 100);
        std::this_thread::sleep_for(std::chrono::milliseconds(400 + rng() % 1200));
        server->process.send_signal(SIGKILL);
        ASSERT_EQ(server->process.wait(10s), 128 + SIGKILL);
        w.stop();
        total += w.acknowledged_writes();
        // The file as the killed process left it: whole, spatial indexes matching their tables,
        // and at least the plots whose creation was acknowledged this round (a kill that came
        // before the first write on a loaded machine leaves none, which is not a failure).
        const auto acknowledged_plots = static_cast<std::int64_t>(w.plots().size());
        if (test::fixture_backend() == data::backend::sqlite) {
            const data::backup_summary checked = data::verify_backup(db);
            EXPECT_GE(static_cast<std::int64_t>(checked.plots), acknowledged_plots);
        } else {
            EXPECT_GE(static_cast<std::int64_t>(test::sql_count(db, "SELECT count(*) FROM plots")), acknowledged_plots);
        }
        server = std::make_unique<test::running_server>(db, quiet_env());
        expect_all_acknowledged(server->port, w);
    }
    EXPECT_GT(total, 30) << "too few writes were acknowledged to test anything";
    std::cout << "[ durability ] " << total << " acknowledged writes over 3 kills, seed " << seed << std::endl;
}

TEST(durability, sigterm_finishes_writes_in_flight_and_loses_none) {
    test::temp_dir dir;
    const std::string db = test::fresh_database(dir).string();
    auto server = std::make_unique<test::running_server>(db, quiet_env());
    writers w(server->port, 4, 7);
    std::this_thread::sleep_for(800ms);
    server->process.send_signal(SIGTERM);
    EXPECT_EQ(server->process.wait(15s), 0) << server->process.output();
    EXPECT_NE(server->process.output().find("plotmap: stopped"), std::string::npos);
    w.stop();
    EXPECT_GT(w.acknowledged_writes(), 5);
    if (test::fixture_backend() == data::backend::sqlite) (void)data::verify_backup(db);
    server = std::make_unique<test::running_server>(db, quiet_env());
    expect_all_acknowledged(server->port, w);
}

TEST(durability, backups_taken_under_write_load_are_consistent_and_restore) {
    PLOTMAP_SQLITE_ONLY("a backup is a copy of the SQLite file");
    test::temp_dir dir;
    const std::string db = test::demo_database(dir, 300).string();
    auto server = std::make_unique<test::running_server>(db, quiet_env());
    const unsigned short port = server->port;
    writers w(port, 3, 11);
    std::this_thread::sleep_for(300ms);

    // The CLI, while the server writes.
    const std::string cli_copy = (dir.path() / "cli-backup.sqlite").string();
    const auto created_before = static_cast<std::int64_t>(w.plots().size() + w.imported_codes().size());
    const test::command_result cli = test::run_command({PLOTMAP_BINARY, "backup", "--db", db, cli_copy});
    ASSERT_EQ(cli.exit_code, 0) << cli.output;
    EXPECT_NE(cli.output.find("integrity and spatial indexes checked"), std::string::npos) << cli.output;
    const data::backup_summary from_cli = data::verify_backup(cli_copy);
    // Everything acknowledged before the copy began is in it; at most what was acknowledged
    // by its end, plus what was in flight then (3 writers, at most 5 plots each), more.
    EXPECT_GE(from_cli.plots, 300 + created_before);
    EXPECT_LE(from_cli.plots, 300 + static_cast<std::int64_t>(w.plots().size() + w.imported_codes().size()) + 15);
    // Taking it again to the same name is refused, and the first copy is untouched.
    const test::command_result again = test::run_command({PLOTMAP_BINARY, "backup", "--db", db, cli_copy});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.output.find("exists already"), std::string::npos) << again.output;

    // Over HTTP: admins only.
    EXPECT_EQ(http_request(port, "GET", "/api/v1/backup").status, 401);
    const http_reply got = http_request(port, "GET", "/api/v1/backup", {}, test::admin_authorization());
    ASSERT_EQ(got.status, 200) << got.body.substr(0, 300);
    EXPECT_EQ(got.headers.at("content-type"), "application/vnd.sqlite3");
    EXPECT_NE(got.headers.at("content-disposition").find("attachment; filename=\"plotmap-"), std::string::npos);
    const std::filesystem::path http_copy = dir.path() / "http-backup.sqlite";
    {
        std::ofstream out(http_copy, std::ios::binary);
        out << got.body;
    }
    const data::backup_summary from_http = data::verify_backup(http_copy);
    EXPECT_GE(from_http.plots, from_cli.plots); // taken later, while plots were only added
    EXPECT_EQ(std::to_string(from_http.plots), got.headers.at("x-plotmap-plots"));
    w.stop();

    // Restore the CLI copy into a new file and serve it: the plots it held, no more.
    server.reset();
    const std::string restored = (dir.path() / "restored.sqlite").string();
    const test::command_result r = test::run_command({PLOTMAP_BINARY, "restore", "--db", restored, cli_copy});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    test::running_server again_served(restored, quiet_env());
    const json list = json::parse(http_request(again_served.port, "GET", "/api/v1/plots?limit=1&deleted=include", {}, test::admin_authorization()).body);
    EXPECT_EQ(list["number_matched"].get<std::int64_t>(), from_cli.plots);
    // A damaged backup is refused before anything changes.
    const std::filesystem::path broken = dir.path() / "broken.sqlite";
    {
        std::ofstream out(broken, std::ios::binary);
        out << got.body.substr(0, got.body.size() / 2);
    }
    const test::command_result refused = test::run_command({PLOTMAP_BINARY, "restore", "--db", restored, broken.string()});
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_EQ(json::parse(http_request(again_served.port, "GET", "/api/v1/plots?limit=1&deleted=include", {}, test::admin_authorization()).body)["number_matched"],
              from_cli.plots);
}
