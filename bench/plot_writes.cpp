// Write benchmark: plot creates per second through the real HTTP API, with boundaries,
// against a database that already holds many plots. One client, then several at once.
// Not a test: it prints figures and asserts nothing. Run it with bench/run-write-bench.sh.
//
// Usage: bench_plot_writes --port P --db FILE --token T [--creates N] [--clients C]
// Plots are placed 100 m north-east of existing pins, so admin lookup, code numbering and
// overlap checks do real work.

#include "data/database.hpp"
#include "geo/geodesic.hpp"
#include "geo/wkb.hpp"
#include "http_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<plotmap::geo::point> sample_pins(const std::string& db, int n) {
    plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
    auto st = conn.prepare("SELECT AsBinary(pin) FROM plots WHERE pin IS NOT NULL ORDER BY random() LIMIT ?");
    st.bind(1, n);
    std::vector<plotmap::geo::point> out;
    while (st.step()) out.push_back(plotmap::geo::point_from_wkb(st.blob(0)));
    return out;
}

std::string body_for(plotmap::geo::point near, int i, int run) {
    const plotmap::geo::point sw = plotmap::geo::geodesic_destination(near, 45.0, 100.0);
    const plotmap::geo::point se = plotmap::geo::geodesic_destination(sw, 90.0, 60.0);
    const plotmap::geo::point ne = plotmap::geo::geodesic_destination(se, 0.0, 50.0);
    const plotmap::geo::point nw = plotmap::geo::geodesic_destination(sw, 0.0, 50.0);
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  R"({"uid":"b0000000-0000-4000-8000-%04x%08x","program":"HLM","name":"bench %d","owner_name":"ทดสอบ",)"
                  R"("declared_area_rai":"1-3-50","stage":"digging","budget_year":2025,"boundary":{"type":"Polygon",)"
                  R"("coordinates":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f]]]}})",
                  static_cast<unsigned>(run & 0xFFFF), static_cast<unsigned>(i), i, sw.x, sw.y, se.x, se.y, ne.x, ne.y, nw.x, nw.y, sw.x, sw.y);
    return buf;
}

struct result {
    int ok = 0;
    int failed = 0;
    double seconds = 0;
    std::vector<double> latencies_ms;
};

result run(unsigned short port, const std::string& token, const std::vector<plotmap::geo::point>& pins, int creates, int clients,
           int run_id) {
    result r;
    std::mutex m;
    std::atomic<int> next{0};
    const auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            plotmap::test::http_connection conn(port);
            std::vector<double> mine;
            int ok = 0;
            int failed = 0;
            for (int i = next++; i < creates; i = next++) {
                const std::string body = body_for(pins[static_cast<std::size_t>(i) % pins.size()], i, run_id);
                const auto t0 = clock_type::now();
                conn.send_raw("POST /api/v1/plots HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nAuthorization: Bearer " + token +
                              "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
                const auto reply = conn.read_reply();
                mine.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
                if (reply.status == 201) {
                    ++ok;
                } else {
                    ++failed;
                    if (failed < 3) std::cerr << "status " << reply.status << ": " << reply.body << '\n';
                }
            }
            const std::lock_guard lock(m);
            r.ok += ok;
            r.failed += failed;
            r.latencies_ms.insert(r.latencies_ms.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : threads) t.join();
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
    return r;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

} // namespace

int main(int argc, char** argv) {
    unsigned short port = 0;
    std::string db;
    std::string token;
    int creates = 2000;
    int clients = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--port") port = static_cast<unsigned short>(std::stoi(value));
        else if (flag == "--db") db = value;
        else if (flag == "--token") token = value;
        else if (flag == "--creates") creates = std::stoi(value);
        else if (flag == "--clients") clients = std::stoi(value);
        else {
            std::cerr << "unknown flag " << flag << '\n';
            return 2;
        }
    }
    if (port == 0 || db.empty() || token.empty()) {
        std::cerr << "usage: bench_plot_writes --port P --db FILE --token T [--creates N] [--clients C]\n";
        return 2;
    }
    long long existing = 0;
    {
        plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
        existing = conn.scalar_int("SELECT count(*) FROM plots");
    }
    const auto pins = sample_pins(db, 5000);
    const int run_id = static_cast<int>(std::chrono::system_clock::now().time_since_epoch().count() % 9000) + 1000;
    std::printf("plot creates with boundaries over HTTP, database holding %lld plots\n", existing);
    std::printf("%-12s %8s %8s %10s %9s %9s %9s\n", "clients", "creates", "failed", "creates/s", "p50 ms", "p95 ms", "max ms");
    int round = 0;
    for (const int c : {1, clients}) {
        const result r = run(port, token, pins, creates, c, run_id * 10 + round++);
        std::printf("%-12d %8d %8d %10.0f %9.2f %9.2f %9.2f\n", c, r.ok, r.failed, r.ok / r.seconds,
                    percentile(r.latencies_ms, 0.5), percentile(r.latencies_ms, 0.95),
                    r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back());
    }
    return 0;
}
