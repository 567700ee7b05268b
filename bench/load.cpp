// Sustained mixed load (issue: no request crashes or starves the server): tiles, OGC API
// items, plot searches and writes together for a bounded time against a large database,
// then an overload burst that must be shed with 503 + Retry-After. Not a test: it prints a
// table (requests/s, p50/p99 per route, 5xx, lost writes, server RSS at start and end).
// Run it with bench/run-load-bench.sh. Loopback only; every loop is bounded in time.
//
// Usage: bench_load --port P --pid PID --db FILE --token T [--seconds S] [--clients C]

#include "data/database.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"
#include "http_client.hpp"
#include "process.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using plotmap::test::http_connection;
using plotmap::test::http_reply;

struct sample {
    std::vector<plotmap::geo::point> pins;
    std::vector<std::string> districts;
};

sample sample_data(const std::string& db) {
    plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
    sample s;
    auto st = conn.prepare("SELECT AsBinary(pin) FROM plots WHERE pin IS NOT NULL ORDER BY random() LIMIT 5000");
    while (st.step()) s.pins.push_back(plotmap::geo::point_from_wkb(st.blob(0)));
    auto d = conn.prepare("SELECT DISTINCT adm2 FROM plots WHERE adm2 IS NOT NULL LIMIT 500");
    while (d.step()) s.districts.emplace_back(d.text(0));
    return s;
}

/// One route's figures.
struct route_stats {
    std::vector<double> ms;
    long ok = 0;
    long shed = 0;        ///< 503 with Retry-After
    long server_errors = 0; ///< any other 5xx
    long other = 0;       ///< 4xx and failed connections
};

double mib(long kib) { return static_cast<double>(kib) / 1024.0; }

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

class load {
public:
    load(unsigned short port, std::string token, sample s) : port_(port), token_(std::move(token)), sample_(std::move(s)) {}

    /// Runs `clients` connections for `seconds`, the mix of routes each time.
    double run(int clients, int seconds, bool overload) {
        const auto start = clock_type::now();
        const auto until = start + std::chrono::seconds(seconds);
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c) {
            threads.emplace_back([this, c, until, overload] { client(c, until, overload); });
        }
        for (auto& t : threads) t.join();
        return std::chrono::duration<double>(clock_type::now() - start).count();
    }

    /// GETs every acknowledged create; @returns how many are missing.
    long lost_writes() {
        long lost = 0;
        for (const long id : created_) {
            const http_reply r = plotmap::test::http_request(port_, "GET", "/api/v1/plots/" + std::to_string(id), {}, auth());
            if (r.status != 200) ++lost;
        }
        return lost;
    }

    void print(double seconds) {
        std::printf("%-14s %9s %9s %8s %8s %7s %7s %7s\n", "route", "requests", "req/s", "p50 ms", "p99 ms", "503", "5xx", "other");
        long total = 0;
        for (auto& [name, s] : stats_) {
            const long n = s.ok + s.shed + s.server_errors + s.other;
            total += n;
            std::printf("%-14s %9ld %9.0f %8.2f %8.2f %7ld %7ld %7ld\n", name.c_str(), n, static_cast<double>(n) / seconds,
                        percentile(s.ms, 0.5), percentile(s.ms, 0.99), s.shed, s.server_errors, s.other);
        }
        std::printf("%-14s %9ld %9.0f\n", "all", total, static_cast<double>(total) / seconds);
    }

    [[nodiscard]] long server_errors() const {
        long n = 0;
        for (const auto& [name, s] : stats_) n += s.server_errors;
        return n;
    }
    [[nodiscard]] long created() const { return static_cast<long>(created_.size()); }

    void reset() { stats_.clear(); }

private:
    [[nodiscard]] std::string auth() const { return "Authorization: Bearer " + token_ + "\r\n"; }

    void client(int id, clock_type::time_point until, bool overload) {
        std::mt19937 rng(static_cast<unsigned>(id) * 7919u + 1);
        std::map<std::string, route_stats> mine;
        std::vector<long> made;
        std::unique_ptr<http_connection> conn;
        int serial = 0;
        while (clock_type::now() < until) {
            const auto& pin = sample_.pins[rng() % sample_.pins.size()];
            std::string route, method = "GET", target, body, headers;
            const auto pick = overload ? 10u : static_cast<unsigned>(rng() % 20); // overload: OGC items only
            if (pick < 10) {
                route = "tiles";
                const int z = 8 + static_cast<int>(rng() % 9);
                const auto t = plotmap::geo::tile_containing(pin, z);
                target = "/tiles/plots/" + std::to_string(z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".mvt";
            } else if (pick < 14) {
                route = "ogc items";
                char bbox[128];
                const double d = overload ? 0.05 : 0.01;
                std::snprintf(bbox, sizeof bbox, "%.5f,%.5f,%.5f,%.5f", pin.x - d, pin.y - d, pin.x + d, pin.y + d);
                target = std::string("/collections/plots/items?limit=100&bbox=") + bbox;
            } else if (pick < 18) {
                route = "plot search";
                target = "/api/v1/plots?limit=50&adm2=" + sample_.districts[rng() % sample_.districts.size()] +
                         (rng() % 2 ? "&stage=digging" : "&program=HLM");
            } else {
                route = "writes";
                char uid[40];
                std::snprintf(uid, sizeof uid, "10ad0000-0000-4000-8000-%04d%08d", id, ++serial);
                char buf[256];
                std::snprintf(buf, sizeof buf,
                              R"({"uid":"%s","program":"HLM","name":"load","pin":{"type":"Point","coordinates":[%.7f,%.7f]}})", uid,
                              pin.x + 0.0003, pin.y + 0.0003);
                method = "POST";
                target = "/api/v1/plots";
                body = buf;
                headers = "Content-Type: application/json\r\n" + auth();
            }
            std::string req = method + " " + target + " HTTP/1.1\r\nHost: load\r\n" + headers;
            if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
            req += "\r\n" + body;
            const auto t0 = clock_type::now();
            http_reply reply;
            try {
                if (!conn) conn = std::make_unique<http_connection>(port_, std::chrono::seconds(30));
                if (conn->send_raw(req)) reply = conn->read_reply();
            } catch (const std::exception&) {
                reply.status = 0;
            }
            const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
            route_stats& s = mine[route];
            s.ms.push_back(ms);
            if (reply.status >= 200 && reply.status < 400) {
                ++s.ok;
                if (reply.status == 201) {
                    const auto at = reply.body.find("\"id\":");
                    if (at != std::string::npos) made.push_back(std::stol(reply.body.substr(at + 5)));
                }
            } else if (reply.status == 503 && reply.headers.count("retry-after")) {
                ++s.shed;
            } else if (reply.status >= 500) {
                ++s.server_errors;
            } else {
                ++s.other;
            }
            const auto close = reply.headers.find("connection");
            if (reply.status == 0 || (close != reply.headers.end() && close->second == "close")) conn.reset();
        }
        const std::lock_guard lock(mutex_);
        for (auto& [name, s] : mine) {
            route_stats& all = stats_[name];
            all.ms.insert(all.ms.end(), s.ms.begin(), s.ms.end());
            all.ok += s.ok;
            all.shed += s.shed;
            all.server_errors += s.server_errors;
            all.other += s.other;
        }
        created_.insert(created_.end(), made.begin(), made.end());
    }

    unsigned short port_;
    std::string token_;
    sample sample_;
    std::mutex mutex_;
    std::map<std::string, route_stats> stats_;
    std::vector<long> created_;
};

} // namespace

int main(int argc, char** argv) {
    unsigned short port = 0;
    int pid = 0;
    std::string db;
    std::string token;
    int seconds = 180;
    int clients = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--port") port = static_cast<unsigned short>(std::stoi(value));
        else if (flag == "--pid") pid = std::stoi(value);
        else if (flag == "--db") db = value;
        else if (flag == "--token") token = value;
        else if (flag == "--seconds") seconds = std::stoi(value);
        else if (flag == "--clients") clients = std::stoi(value);
        else {
            std::cerr << "unknown flag " << flag << '\n';
            return 2;
        }
    }
    if (port == 0 || pid == 0 || db.empty() || token.empty()) {
        std::cerr << "usage: bench_load --port P --pid PID --db FILE --token T [--seconds S] [--clients C]\n";
        return 2;
    }
    long long plots = 0;
    {
        plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
        plots = conn.scalar_int("SELECT count(*) FROM plots");
    }
    load l(port, token, sample_data(db));
    const long rss_start = plotmap::test::resident_kib(pid);
    const long heap_start = plotmap::test::resident_kib(pid, true);
    std::printf("mixed load: %d clients for %d s against %lld plots (tiles 50%%, OGC items 20%%, searches 20%%, creates 10%%)\n",
                clients, seconds, plots);
    const double took = l.run(clients, seconds, false);
    const long rss_end = plotmap::test::resident_kib(pid);
    const long heap_end = plotmap::test::resident_kib(pid, true);
    l.print(took);
    const long lost = l.lost_writes();
    std::printf("acknowledged creates %ld, lost %ld; 5xx other than shedding %ld\n", l.created(), lost, l.server_errors());
    // RSS counts the database pages each reader has memory-mapped (file-backed, shared with the
    // page cache, dropped under pressure); the anonymous part is what could leak.
    std::printf("server RSS: %.1f MiB at start, %.1f MiB at the end; of it anonymous (heap): %.1f MiB at start, %.1f MiB at the end\n",
                mib(rss_start), mib(rss_end), mib(heap_start), mib(heap_end));

    l.reset();
    const int burst_clients = 256;
    const int burst_seconds = std::max(10, seconds / 10);
    std::printf("\noverload: %d clients for %d s, wide OGC items pages (uncached, each a database read)\n", burst_clients,
                burst_seconds);
    const double burst = l.run(burst_clients, burst_seconds, true);
    l.print(burst);
    std::printf("5xx other than shedding: %ld; server RSS after: %.1f MiB, anonymous %.1f MiB\n", l.server_errors(),
                mib(plotmap::test::resident_kib(pid)), mib(plotmap::test::resident_kib(pid, true)));
    return 0;
}
