#include "server/metrics.hpp"

#include <sstream>

namespace plotmap::server {
namespace {

/// Label values escape backslash, quote and newline (exposition format 0.0.4).
std::string label(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string route_label(const std::string& route) { return route.empty() ? "unmatched" : route; }

} // namespace

void metrics::record(const std::string& route, const std::string& method, int status, double seconds) {
    std::lock_guard lock(mutex_);
    ++requests_[{route_label(route), method, status}];
    histogram& h = latency_[route_label(route)];
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (seconds <= buckets[i]) ++h.counts[i];
    }
    ++h.count;
    h.sum += seconds;
}

std::string metrics::render(const data::store_stats& db) const {
    std::ostringstream out;
    out << "# HELP plotmap_http_requests_total HTTP requests answered, by route, method and status.\n"
           "# TYPE plotmap_http_requests_total counter\n";
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : requests_) {
        const auto& [route, method, status] = key;
        out << "plotmap_http_requests_total{route=\"" << label(route) << "\",method=\"" << label(method)
            << "\",status=\"" << status << "\"} " << n << '\n';
    }
    out << "# HELP plotmap_http_request_duration_seconds Time from a complete request to its response, by route.\n"
           "# TYPE plotmap_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            out << "plotmap_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"" << buckets[i]
                << "\"} " << h.counts[i] << '\n';
        }
        out << "plotmap_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"+Inf\"} " << h.count
            << '\n'
            << "plotmap_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} " << h.sum << '\n'
            << "plotmap_http_request_duration_seconds_count{route=\"" << label(route) << "\"} " << h.count << '\n';
    }
    out << "# HELP plotmap_http_connections_open Client connections open now.\n"
           "# TYPE plotmap_http_connections_open gauge\n"
           "plotmap_http_connections_open " << connections_open_.load() << "\n"
           "# HELP plotmap_http_connections_total Client connections accepted since start.\n"
           "# TYPE plotmap_http_connections_total counter\n"
           "plotmap_http_connections_total " << connections_total_.load() << "\n"
           "# HELP plotmap_db_readers Pooled read connections, by state.\n"
           "# TYPE plotmap_db_readers gauge\n"
           "plotmap_db_readers{state=\"in_use\"} " << db.readers_in_use << "\n"
           "plotmap_db_readers{state=\"idle\"} " << (db.readers_total - db.readers_in_use) << "\n"
           "# HELP plotmap_db_writer_in_use Whether the single writer connection is busy now.\n"
           "# TYPE plotmap_db_writer_in_use gauge\n"
           "plotmap_db_writer_in_use " << (db.writer_in_use ? 1 : 0) << "\n"
           "# HELP plotmap_db_reads_total Read leases handed out.\n"
           "# TYPE plotmap_db_reads_total counter\n"
           "plotmap_db_reads_total " << db.reads << "\n"
           "# HELP plotmap_db_reader_waits_total Reads that had to wait for a free connection.\n"
           "# TYPE plotmap_db_reader_waits_total counter\n"
           "plotmap_db_reader_waits_total " << db.reader_waits << "\n"
           "# HELP plotmap_db_writes_total Write transactions run through the writer.\n"
           "# TYPE plotmap_db_writes_total counter\n"
           "plotmap_db_writes_total " << db.writes << "\n";
    return out.str();
}

} // namespace plotmap::server
