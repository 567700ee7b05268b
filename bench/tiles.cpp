// Tile benchmark (vector tiles issue): the same tiles from plotmap over HTTP (cache off) and
// from PostGIS ST_AsMVT over 2 connections, side by side, per zoom. Not a test: it prints
// figures. Run it through bench/run-tile-bench.sh, which sets both servers up.
//
// Usage: bench_tiles --db FILE --port P --pg CONNINFO [--per-zoom N] [--rounds R] [--dump DIR]
//   --dump DIR  also writes every plotmap tile to DIR/z/x/y.mvt and DIR/urls.txt (for the
//               cached run with wrk against nginx serving the same bytes).

#include "data/database.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"
#include "http_client.hpp"
#include "postgis_tiles.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct sample {
    double ms;
    std::size_t bytes;
};

struct run_result {
    std::vector<sample> samples;
    double seconds = 0;
    int failures = 0;
};

std::vector<plotmap::geo::tile_id> tiles_for(const std::string& db, int z, int per_zoom) {
    plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
    auto st = conn.prepare("SELECT AsBinary(location) FROM plots WHERE deleted_at IS NULL AND id % 997 = 1 ORDER BY id");
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::vector<plotmap::geo::tile_id> out;
    while (st.step() && static_cast<int>(out.size()) < per_zoom) {
        const auto t = plotmap::geo::tile_containing(plotmap::geo::point_from_wkb(st.blob(0)), z);
        if (seen.insert({t.x, t.y}).second) out.push_back(t);
    }
    return out;
}

template <typename Fetch>
run_result run(const std::vector<plotmap::geo::tile_id>& tiles, int rounds, int threads, Fetch make_fetcher) {
    run_result r;
    std::mutex m;
    std::atomic<std::size_t> next{0};
    const std::size_t total = tiles.size() * static_cast<std::size_t>(rounds);
    const auto start = clock_type::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            auto fetch = make_fetcher();
            std::vector<sample> mine;
            int failed = 0;
            for (std::size_t i = next++; i < total; i = next++) {
                const auto& tile = tiles[i % tiles.size()];
                const auto t0 = clock_type::now();
                const long long bytes = fetch(tile);
                const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
                if (bytes < 0) {
                    ++failed;
                } else {
                    mine.push_back({ms, static_cast<std::size_t>(bytes)});
                }
            }
            const std::lock_guard lock(m);
            r.samples.insert(r.samples.end(), mine.begin(), mine.end());
            r.failures += failed;
        });
    }
    for (auto& t : pool) t.join();
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(r.samples.begin(), r.samples.end(), [](const sample& a, const sample& b) { return a.ms < b.ms; });
    return r;
}

double pct(const run_result& r, double p) {
    if (r.samples.empty()) return 0;
    return r.samples[std::min(r.samples.size() - 1, static_cast<std::size_t>(p * static_cast<double>(r.samples.size())))].ms;
}

double avg_kb(const run_result& r) {
    if (r.samples.empty()) return 0;
    double sum = 0;
    for (const auto& s : r.samples) sum += static_cast<double>(s.bytes);
    return sum / static_cast<double>(r.samples.size()) / 1024.0;
}

double max_kb(const run_result& r) {
    std::size_t m = 0;
    for (const auto& s : r.samples) m = std::max(m, s.bytes);
    return static_cast<double>(m) / 1024.0;
}

} // namespace

int main(int argc, char** argv) {
    std::string db;
    std::string pg;
    std::string dump;
    unsigned short port = 0;
    int per_zoom = 40;
    int rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string f = argv[i];
        const std::string v = argv[i + 1];
        if (f == "--db") db = v;
        else if (f == "--pg") pg = v;
        else if (f == "--port") port = static_cast<unsigned short>(std::stoi(v));
        else if (f == "--per-zoom") per_zoom = std::stoi(v);
        else if (f == "--rounds") rounds = std::stoi(v);
        else if (f == "--dump") dump = v;
        else {
            std::cerr << "unknown flag " << f << '\n';
            return 2;
        }
    }
    if (db.empty() || pg.empty() || port == 0) {
        std::cerr << "usage: bench_tiles --db FILE --port P --pg CONNINFO [--per-zoom N] [--rounds R] [--dump DIR]\n";
        return 2;
    }
    std::ofstream urls;
    if (!dump.empty()) {
        std::filesystem::create_directories(dump);
        urls.open(std::filesystem::path(dump) / "urls.txt");
    }
    std::printf("uncached tiles: plotmap over HTTP (keep-alive, 2 clients) vs PostGIS ST_AsMVT (2 connections)\n");
    std::printf("%-4s %5s | %-30s | %-30s | %7s\n", "zoom", "tiles", "plotmap: p50 p95 ms, tiles/s, KB", "PostGIS: p50 p95 ms, tiles/s, KB",
                "speedup");
    double slowest = 0;
    for (int z = 6; z <= 16; ++z) {
        const auto tiles = tiles_for(db, z, z < 9 ? per_zoom / 4 : per_zoom);
        if (tiles.empty()) continue;
        const auto plotmap_fetcher = [&] {
            return [conn = std::make_shared<plotmap::test::http_connection>(port, std::chrono::seconds(60)), &dump,
                    &urls](const plotmap::geo::tile_id& t) -> long long {
                const std::string path = "/tiles/plots/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
                                         std::to_string(t.y) + ".mvt";
                conn->send_raw("GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n");
                const auto reply = conn->read_reply();
                if (reply.status != 200 && reply.status != 204) return -1;
                if (!dump.empty() && reply.status == 200) {
                    const auto file = std::filesystem::path(dump) / std::to_string(t.z) / std::to_string(t.x) /
                                      (std::to_string(t.y) + ".mvt");
                    static std::mutex dump_mutex;
                    const std::lock_guard lock(dump_mutex);
                    if (!std::filesystem::exists(file)) {
                        std::filesystem::create_directories(file.parent_path());
                        std::ofstream(file, std::ios::binary) << reply.body;
                        urls << path << '\n';
                    }
                }
                return static_cast<long long>(reply.body.size());
            };
        };
        const auto postgis_fetcher = [&] {
            std::shared_ptr<PGconn> c(PQconnectdb(pg.c_str()), PQfinish);
            if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
            return [c](const plotmap::geo::tile_id& t) -> long long {
                const std::string zs = std::to_string(t.z), xs = std::to_string(t.x), ys = std::to_string(t.y);
                const char* params[] = {zs.c_str(), xs.c_str(), ys.c_str()};
                PGresult* res = PQexecParams(c.get(), plotmap::bench::postgis_tile_sql, 3, nullptr, params, nullptr, nullptr, 1);
                long long bytes = -1;
                if (PQresultStatus(res) == PGRES_TUPLES_OK) {
                    bytes = PQgetlength(res, 0, 0);
                } else {
                    std::cerr << PQresultErrorMessage(res);
                }
                PQclear(res);
                return bytes;
            };
        };
        // One untimed pass each first, so both read from a warm page cache: steady state,
        // not first-touch disk reads, is what is compared.
        (void)run(tiles, 1, 2, plotmap_fetcher);
        (void)run(tiles, 1, 2, postgis_fetcher);
        const run_result ours = run(tiles, rounds, 2, plotmap_fetcher);
        const run_result theirs = run(tiles, rounds, 2, postgis_fetcher);
        const double ours_rate = static_cast<double>(ours.samples.size()) / ours.seconds;
        const double their_rate = static_cast<double>(theirs.samples.size()) / theirs.seconds;
        slowest = std::max(slowest, ours.samples.empty() ? 0.0 : ours.samples.back().ms);
        std::printf("%-4d %5zu | %6.1f %6.1f %7.0f %8.1f | %6.1f %6.1f %7.0f %8.1f | %6.2fx%s\n", z, tiles.size(), pct(ours, 0.5),
                    pct(ours, 0.95), ours_rate, avg_kb(ours), pct(theirs, 0.5), pct(theirs, 0.95), their_rate, avg_kb(theirs),
                    ours_rate / their_rate, ours.failures + theirs.failures ? "  (failures!)" : "");
        std::printf("                largest tile: plotmap %.1f KB, PostGIS %.1f KB\n", max_kb(ours), max_kb(theirs));
    }
    std::printf("slowest plotmap tile: %.1f ms\n", slowest);
    return 0;
}
