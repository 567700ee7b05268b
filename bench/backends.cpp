// Storage backends benchmark (scale-out issue): the same plots served by plotmap on an
// SpatiaLite file, by plotmap on PostgreSQL + PostGIS (one server, then two on the same
// database), and PostGIS alone, side by side in one run. Not a test: it prints figures and
// ratios. Run it through bench/run-backend-bench.sh, which sets every server up.
//
//   tiles      uncached plot tiles, zooms 13-16 (plotmap's tile cache off): tiles/s;
//              PostGIS alone: ST_AsMVT of the same tiles
//   items      OGC API item pages, /collections/plots/items?bbox=...&limit=100: pages/s;
//              PostGIS alone: the same page as GeoJSON built in SQL (json_agg of ST_AsGeoJSON)
//   writes     POST /api/v1/plots (a pin, a new uid each), acknowledged creates/s;
//              PostGIS alone: one INSERT per transaction into its plots table
//
// Usage: bench_backends --db FILE --pg CONNINFO --target 'LABEL|PORT[,PORT...]|TOKEN|PID[,PID...]' ...
//                       [--clients C] [--seconds S]
//   --db      the SQLite file the samples (tile ids, pins) are drawn from
//   --pg      the PostGIS database with the bench tables (bench/run-tile-bench.sh makes them)
//   --target  a plotmap deployment: requests go round-robin over its ports; its servers' pids
//             for the CPU split printed with each figure (plotmap, postgres, this client)

#include "data/database.hpp"
#include "geo/tile_math.hpp"
#include "geo/wkb.hpp"
#include "http_client.hpp"
#include "postgis_tiles.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using clock_type = std::chrono::steady_clock;
using plotmap::geo::point;
using plotmap::geo::tile_id;

struct target {
    std::string label;
    std::vector<unsigned short> ports;
    std::string token;
    std::vector<int> pids; ///< its servers, for their CPU time
};

/// CPU time (user + system, in clock ticks) of a process, 0 if it is gone.
long long cpu_ticks(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    long long total = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14 || i == 15) total += std::stoll(f); // utime, stime
    }
    return total;
}

/// CPU ticks of each PostgreSQL server process (backends, WAL writer, checkpointer) by pid.
std::map<std::string, long long> postgres_ticks() {
    std::map<std::string, long long> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename().string();
        if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) == 0) continue;
        std::ifstream comm(e.path() / "comm");
        std::string c;
        if (std::getline(comm, c) && c == "postgres") out[name] = cpu_ticks(name);
    }
    return out;
}

/// Where the machine's CPU went while a figure was taken.
struct cpu_split {
    long long plotmap = 0;
    std::map<std::string, long long> postgres;
    long long client = 0;
    static cpu_split now(const std::vector<int>& pids) {
        cpu_split c;
        for (const int p : pids) c.plotmap += cpu_ticks(std::to_string(p));
        c.postgres = postgres_ticks();
        c.client = cpu_ticks("self");
        return c;
    }
    /// PostgreSQL's ticks since `before`: processes that began since count whole, those that
    /// ended in between (a closed connection's backend) are not counted.
    [[nodiscard]] long long postgres_since(const cpu_split& before) const {
        long long total = 0;
        for (const auto& [pid, ticks] : postgres) {
            const auto it = before.postgres.find(pid);
            total += ticks - (it == before.postgres.end() ? 0 : it->second);
        }
        return total;
    }
};

/// What one client does once: @returns true when the answer was the one expected.
using request = std::function<bool(std::mt19937&, int serial)>;

struct figures {
    double per_s = 0;
    double p50 = 0;
    double p95 = 0;
    long failed = 0;
    double plotmap_cpu = 0; ///< % of one core
    double postgres_cpu = 0;
    double client_cpu = 0;
};

/// `clients` threads, each making its own request function, for `seconds` (bounded).
figures drive(int clients, double seconds, const std::function<request(int)>& make, const std::vector<int>& pids) {
    const cpu_split before = cpu_split::now(pids);
    std::mutex m;
    std::vector<double> all;
    long ok = 0;
    long failed = 0;
    const auto start = clock_type::now();
    const auto until = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> pool;
    for (int c = 0; c < clients; ++c) {
        pool.emplace_back([&, c] {
            request r = make(c);
            std::mt19937 rng(static_cast<unsigned>(1234 + c));
            std::vector<double> mine;
            long my_failed = 0;
            for (int serial = 0; clock_type::now() < until; ++serial) {
                const auto t0 = clock_type::now();
                const bool good = r(rng, serial);
                const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
                if (good) {
                    mine.push_back(ms);
                } else {
                    ++my_failed;
                }
            }
            const std::lock_guard lock(m);
            all.insert(all.end(), mine.begin(), mine.end());
            ok += static_cast<long>(mine.size());
            failed += my_failed;
        });
    }
    for (auto& t : pool) t.join();
    const double took = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(all.begin(), all.end());
    figures f;
    f.per_s = static_cast<double>(ok) / took;
    if (!all.empty()) {
        f.p50 = all[all.size() / 2];
        f.p95 = all[std::min(all.size() - 1, all.size() * 95 / 100)];
    }
    f.failed = failed;
    const cpu_split after = cpu_split::now(pids);
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK)) * took / 100.0;
    f.plotmap_cpu = static_cast<double>(after.plotmap - before.plotmap) / ticks;
    f.postgres_cpu = static_cast<double>(after.postgres_since(before)) / ticks;
    f.client_cpu = static_cast<double>(after.client - before.client) / ticks;
    return f;
}

/// One keep-alive connection per port of the target, used round-robin.
class plotmap_client {
public:
    explicit plotmap_client(const target& t, int first) : t_(t), next_(static_cast<std::size_t>(first)) {
        for (const unsigned short p : t.ports) conns_.push_back(std::make_unique<plotmap::test::http_connection>(p, std::chrono::seconds(60)));
    }
    /// @returns the status, 0 when the connection failed (it is made again next time).
    int send(const std::string& method, const std::string& path, const std::string& body = {}) {
        const std::size_t i = next_++ % conns_.size();
        std::string req = method + " " + path + " HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer " + t_.token + "\r\n";
        if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
        req += "\r\n" + body;
        try {
            if (!conns_[i]) conns_[i] = std::make_unique<plotmap::test::http_connection>(t_.ports[i], std::chrono::seconds(60));
            if (conns_[i]->send_raw(req)) return conns_[i]->read_reply().status;
        } catch (const std::exception&) {
            // counted as failed below
        }
        conns_[i].reset();
        return 0;
    }

private:
    const target& t_;
    std::size_t next_;
    std::vector<std::unique_ptr<plotmap::test::http_connection>> conns_;
};

std::shared_ptr<PGconn> pg_connect(const std::string& conninfo) {
    std::shared_ptr<PGconn> c(PQconnectdb(conninfo.c_str()), PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c.get()));
    return c;
}

/// Runs a query with text parameters on PostGIS. @returns whether it succeeded.
bool pg_run(PGconn* c, const char* sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* res = PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 1);
    const ExecStatusType s = PQresultStatus(res);
    const bool ok = s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
    if (!ok) std::cerr << PQresultErrorMessage(res);
    PQclear(res);
    return ok;
}

// An OGC item page in SQL alone: the first 100 plots meeting the box (found through the
// indexed EPSG:3857 column), as a FeatureCollection in WGS 84.
constexpr const char* items_sql = R"sql(
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(ST_AsGeoJSON(q.*)::json), '[]'))::text
FROM (SELECT id, code, program, stage, area_m2, adm1, adm2, adm3, budget_year, boundary FROM plots
      WHERE geom3857 && ST_Transform(ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326), 3857)
        AND boundary && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)
      ORDER BY id LIMIT 100) q
)sql";

constexpr const char* write_sql = R"sql(
INSERT INTO bench_writes (uid, program, name, pin) VALUES ($1, 'HLM', 'bench', ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326))
)sql";

std::string bbox_around(const point& p) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.5f,%.5f,%.5f,%.5f", p.x - 0.01, p.y - 0.01, p.x + 0.01, p.y + 0.01);
    return buf;
}

/// A uid of its own for each (client, request) of a run.
std::string uid_for(int client, int serial) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "be0c0000-0000-4000-8000-%04d%08d", client % 10000, serial % 100000000);
    return buf;
}

void row(const std::string& label, const figures& f, double reference, const char* unit) {
    std::printf("  %-30s %7.0f %-8s p50 %6.1f ms p95 %6.1f ms %5.2fx | CPU %% of a core: plotmap %3.0f postgres %3.0f client %3.0f%s\n",
                label.c_str(), f.per_s, unit, f.p50, f.p95, reference > 0 ? f.per_s / reference : 1.0, f.plotmap_cpu, f.postgres_cpu,
                f.client_cpu, f.failed != 0 ? ("  (" + std::to_string(f.failed) + " failed!)").c_str() : "");
}

} // namespace

int main(int argc, char** argv) {
    std::string db;
    std::string pg;
    std::vector<target> targets;
    int clients = 8;
    double seconds = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string f = argv[i];
        const std::string v = argv[i + 1];
        if (f == "--db") {
            db = v;
        } else if (f == "--pg") {
            pg = v;
        } else if (f == "--clients") {
            clients = std::stoi(v);
        } else if (f == "--seconds") {
            seconds = std::stod(v);
        } else if (f == "--target") {
            std::vector<std::string> parts;
            std::stringstream in(v);
            for (std::string part; std::getline(in, part, '|');) parts.push_back(part);
            if (parts.size() != 4) {
                std::cerr << "--target takes 'LABEL|PORT[,PORT...]|TOKEN|PID[,PID...]'\n";
                return 2;
            }
            target t{parts[0], {}, parts[2], {}};
            std::stringstream ports(parts[1]);
            for (std::string p; std::getline(ports, p, ',');) t.ports.push_back(static_cast<unsigned short>(std::stoi(p)));
            std::stringstream pids(parts[3]);
            for (std::string p; std::getline(pids, p, ',');) t.pids.push_back(std::stoi(p));
            targets.push_back(std::move(t));
        } else {
            std::cerr << "unknown flag " << f << '\n';
            return 2;
        }
    }
    if (db.empty() || pg.empty() || targets.empty()) {
        std::cerr << "usage: bench_backends --db FILE --pg CONNINFO --target 'LABEL|PORT[,PORT...]|TOKEN|PID[,PID...]' ... [--clients C] [--seconds S]\n";
        return 2;
    }

    // Samples: 5,000 live plots' pins, and the distinct tiles at zooms 13-16 holding them.
    std::vector<point> pins;
    {
        plotmap::data::connection conn(db, plotmap::data::connection::mode::read_only);
        auto st = conn.prepare("SELECT AsBinary(location) FROM plots WHERE deleted_at IS NULL AND id % 197 = 1 ORDER BY id LIMIT 5000");
        while (st.step()) pins.push_back(plotmap::geo::point_from_wkb(st.blob(0)));
    }
    std::vector<tile_id> tiles;
    std::set<std::tuple<int, std::uint32_t, std::uint32_t>> seen;
    for (int z = 13; z <= 16; ++z) {
        for (std::size_t i = 0; i < pins.size() && i < 400; ++i) {
            const tile_id t = plotmap::geo::tile_containing(pins[i], z);
            if (seen.insert({z, t.x, t.y}).second) tiles.push_back(t);
        }
    }
    std::shuffle(tiles.begin(), tiles.end(), std::mt19937(7));
    std::printf("%zu tiles at zooms 13-16, %zu pins; %d clients, %.0f s a figure; ratios against the first row; each after a warm-up\n\n", tiles.size(), pins.size(),
                clients, seconds);

    const auto each_target = [&](const char* title, const char* unit, const std::function<request(const target&, int)>& plotmap_request,
                                 const std::function<request(PGconn*, int)>& postgis_request) {
        std::printf("%s\n", title);
        double reference = 0;
        // Each figure after an untimed warm-up of its own (a fifth of the time, 2-5 s): pages
        // read from memory, steady state, for every peer alike.
        const double warm = std::clamp(seconds / 5, 2.0, 5.0);
        for (const target& t : targets) {
            (void)drive(clients, warm, [&](int c) { return plotmap_request(t, c); }, t.pids);
            const figures f = drive(clients, seconds, [&](int c) { return plotmap_request(t, c); }, t.pids);
            if (reference == 0) reference = f.per_s;
            row(t.label, f, reference, unit);
        }
        const auto make_postgis = [&](int client) {
            auto c = pg_connect(pg);
            request inner = postgis_request(c.get(), client);
            return request([c, inner](std::mt19937& rng, int serial) { return inner(rng, serial); });
        };
        (void)drive(clients, warm, make_postgis, {});
        const figures f = drive(clients, seconds, make_postgis, {});
        row("PostGIS alone (SQL, no HTTP)", f, reference, unit);
        std::printf("\n");
    };

    each_target(
        "tiles, uncached, zooms 13-16", "tiles/s",
        [&](const target& t, int c) {
            auto client = std::make_shared<plotmap_client>(t, c);
            return request([client, &tiles, c](std::mt19937&, int serial) {
                const tile_id& tile = tiles[(static_cast<std::size_t>(c) * 7919 + static_cast<std::size_t>(serial)) % tiles.size()];
                const int s = client->send("GET", "/tiles/plots/" + std::to_string(tile.z) + "/" + std::to_string(tile.x) + "/" +
                                                      std::to_string(tile.y) + ".mvt");
                return s == 200 || s == 204;
            });
        },
        [&](PGconn* c, int) {
            return request([c, &tiles](std::mt19937& rng, int) {
                const tile_id& tile = tiles[rng() % tiles.size()];
                return pg_run(c, plotmap::bench::postgis_tile_sql, {std::to_string(tile.z), std::to_string(tile.x), std::to_string(tile.y)});
            });
        });

    each_target(
        "OGC API item pages, 100 plots in a box of 0.02 degrees", "pages/s",
        [&](const target& t, int c) {
            auto client = std::make_shared<plotmap_client>(t, c);
            return request([client, &pins](std::mt19937& rng, int) {
                return client->send("GET", "/collections/plots/items?limit=100&bbox=" + bbox_around(pins[rng() % pins.size()])) == 200;
            });
        },
        [&](PGconn* c, int) {
            return request([c, &pins](std::mt19937& rng, int) {
                const point& p = pins[rng() % pins.size()];
                return pg_run(c, items_sql, {std::to_string(p.x - 0.01), std::to_string(p.y - 0.01), std::to_string(p.x + 0.01),
                                             std::to_string(p.y + 0.01)});
            });
        });

    std::atomic<int> made{0}; // clients made so far (in their own threads): each writes uids of its own
    each_target(
        "writes: a new plot (pin), acknowledged", "writes/s",
        [&](const target& t, int c) {
            auto client = std::make_shared<plotmap_client>(t, c);
            const int mine = ++made;
            return request([client, &pins, mine](std::mt19937& rng, int serial) {
                const point& p = pins[rng() % pins.size()];
                char body[256];
                std::snprintf(body, sizeof body, R"({"uid":"%s","program":"HLM","name":"bench","pin":{"type":"Point","coordinates":[%.7f,%.7f]}})",
                              uid_for(mine, serial).c_str(), p.x + 0.0003, p.y + 0.0003);
                return client->send("POST", "/api/v1/plots", body) == 201;
            });
        },
        [&](PGconn* c, int) {
            const int mine = ++made;
            return request([c, &pins, mine](std::mt19937& rng, int serial) {
                const point& p = pins[rng() % pins.size()];
                return pg_run(c, write_sql, {uid_for(mine, serial), std::to_string(p.x), std::to_string(p.y)});
            });
        });
    return 0;
}
