#pragma once
// The database as the server uses it: one writer connection that every write goes
// through, and a pool of reader connections (WAL lets them read while the writer writes).
// Blocking: call from worker threads, never from an io thread.

#include "data/database.hpp"
#include "geo/geometry.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace plotmap::data {

namespace postgis {
class listener;
}

struct store_options {
    std::string path;                              ///< the SpatiaLite file; must exist
    int readers = 4;                               ///< reader connections in the pool
    int busy_timeout_ms = 5000;                    ///< SQLite busy timeout per connection
    std::chrono::milliseconds acquire_timeout{2000}; ///< wait for a free reader before `busy`
};

/// A watch on plot writes (store::watch_plot_changes); stops when destroyed.
class plot_watch {
public:
    plot_watch();
    explicit plot_watch(std::unique_ptr<postgis::listener> l);
    plot_watch(plot_watch&&) noexcept;
    plot_watch& operator=(plot_watch&&) noexcept;
    ~plot_watch();
    /// Whether notifications are arriving now (always false on SQLite).
    [[nodiscard]] bool listening() const noexcept;

private:
    std::unique_ptr<postgis::listener> listener_;
};

/// Counters for /metrics.
struct store_stats {
    int readers_total = 0;
    int readers_in_use = 0;
    bool writer_in_use = false;
    unsigned long long reads = 0;
    unsigned long long writes = 0;
    unsigned long long reader_waits = 0; ///< times a read had to wait for a free connection
};

class store {
public:
    /// Opens the writer and the reader pool.
    /// @throws store_error if the file is missing or its schema is not current.
    explicit store(store_options options);
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    /// Calls `changed` with the lon/lat box of every plot write that any process commits to
    /// the database from now on, and with the whole world when some may have been missed,
    /// until the watch returned goes. On PostgreSQL, where several servers share one
    /// database, by LISTEN/NOTIFY on a connection of its own (`changed` runs on its thread).
    /// On SQLite nothing is called: one server writes the file and refreshes what it derived.
    /// Returns once it listens (at most 10 s, else it warns and listens when it can).
    [[nodiscard]] plot_watch watch_plot_changes(std::function<void(const geo::bbox&)> changed) const;

    /// Runs f(connection&) on the writer connection, one write at a time.
    template <typename F>
    decltype(auto) write(F&& f) {
        std::lock_guard lock(writer_mutex_);
        const writer_mark mark(*this);
        return std::forward<F>(f)(*writer_);
    }

    /// Runs f(connection&) on a pooled reader connection.
    /// @throws busy if no reader frees up within acquire_timeout.
    template <typename F>
    decltype(auto) read(F&& f) {
        const lease l(*this);
        return std::forward<F>(f)(*l.conn);
    }

    [[nodiscard]] store_stats stats() const;
    [[nodiscard]] const store_options& options() const noexcept { return options_; }
    /// The backend the database is on (a postgresql:// path, or an SQLite file).
    [[nodiscard]] backend kind() const noexcept { return is_postgresql_url(options_.path) ? backend::postgresql : backend::sqlite; }

private:
    struct lease {
        explicit lease(store& s);
        ~lease();
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        store& owner;
        std::unique_ptr<connection> conn;
    };
    struct writer_mark {
        explicit writer_mark(store& s);
        ~writer_mark();
        writer_mark(const writer_mark&) = delete;
        writer_mark& operator=(const writer_mark&) = delete;
        store& owner;
    };

    store_options options_;
    std::mutex writer_mutex_;
    std::unique_ptr<connection> writer_;

    mutable std::mutex pool_mutex_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<connection>> idle_;
    store_stats stats_;
};

} // namespace plotmap::data
