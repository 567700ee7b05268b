#include "data/store.hpp"

#include "data/postgis/listener.hpp"
#include "data/schema.hpp"
#include "geo/error.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace plotmap::data {

store::store(store_options options) : options_(std::move(options)) {
    if (missing_database_file(options_.path)) {
        throw store_error("database " + options_.path + " does not exist: create it with `plotmap init --db " +
                          options_.path + "`");
    }
    writer_ = std::make_unique<connection>(options_.path, connection::mode::read_write, options_.busy_timeout_ms);
    require_current_schema(*writer_);
    const int n = std::max(1, options_.readers);
    for (int i = 0; i < n; ++i) {
        idle_.push_back(std::make_unique<connection>(options_.path, connection::mode::read_only, options_.busy_timeout_ms));
    }
    stats_.readers_total = n;
}

plot_watch::plot_watch() = default;
plot_watch::plot_watch(std::unique_ptr<postgis::listener> l) : listener_(std::move(l)) {}
plot_watch::plot_watch(plot_watch&&) noexcept = default;
plot_watch& plot_watch::operator=(plot_watch&&) noexcept = default;
plot_watch::~plot_watch() = default;
bool plot_watch::listening() const noexcept { return listener_ && listener_->listening(); }

namespace {

/// "minx miny maxx maxy;minx miny maxx maxy" (data/postgis/schema.cpp) as boxes.
std::vector<geo::bbox> boxes_in(std::string_view payload) {
    std::vector<geo::bbox> out;
    while (!payload.empty()) {
        const std::size_t end = payload.find(';');
        const std::string one(payload.substr(0, end));
        geo::bbox b;
        if (std::sscanf(one.c_str(), "%lf %lf %lf %lf", &b.min_x, &b.min_y, &b.max_x, &b.max_y) == 4) out.push_back(b);
        if (end == std::string_view::npos) break;
        payload.remove_prefix(end + 1);
    }
    return out;
}

} // namespace

plot_watch store::watch_plot_changes(std::function<void(const geo::bbox&)> changed) const {
    if (kind() != backend::postgresql) return {};
    auto l = std::make_unique<postgis::listener>(
        options_.path, "plotmap_plots",
        [changed](std::string_view payload) {
            for (const geo::bbox& b : boxes_in(payload)) changed(b);
        },
        [changed] { changed(geo::bbox{-180, -90, 180, 90}); });
    // Serving starts once other servers' writes are heard, so that no tile cached from then on
    // misses one; a database that does not answer in time is listened to as soon as it does.
    if (!l->wait_listening(std::chrono::seconds(10))) {
        std::fprintf(stderr, "plotmap: warning: not yet hearing other servers' writes (LISTEN on %s); tiles are refreshed once it is\n",
                     display_location(options_.path).c_str());
    }
    return plot_watch(std::move(l));
}

store_stats store::stats() const {
    std::lock_guard lock(pool_mutex_);
    return stats_;
}

store::lease::lease(store& s) : owner(s) {
    std::unique_lock lock(s.pool_mutex_);
    if (s.idle_.empty()) {
        ++s.stats_.reader_waits;
        if (!s.pool_cv_.wait_for(lock, s.options_.acquire_timeout, [&] { return !s.idle_.empty(); })) {
            throw busy("all database readers are busy, try again shortly");
        }
    }
    conn = std::move(s.idle_.back());
    s.idle_.pop_back();
    ++s.stats_.readers_in_use;
    ++s.stats_.reads;
}

store::lease::~lease() {
    {
        std::lock_guard lock(owner.pool_mutex_);
        owner.idle_.push_back(std::move(conn));
        --owner.stats_.readers_in_use;
    }
    owner.pool_cv_.notify_one();
}

store::writer_mark::writer_mark(store& s) : owner(s) {
    std::lock_guard lock(s.pool_mutex_);
    s.stats_.writer_in_use = true;
    ++s.stats_.writes;
}

store::writer_mark::~writer_mark() {
    std::lock_guard lock(owner.pool_mutex_);
    owner.stats_.writer_in_use = false;
}

} // namespace plotmap::data
