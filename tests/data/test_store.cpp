#include "data/schema.hpp"
#include "data/store.hpp"
#include "fixture_db.hpp"
#include "geo/error.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

using namespace plotmap;
using namespace plotmap::data;

TEST(store, refuses_a_missing_file_with_the_command_to_fix_it) {
    test::temp_dir dir;
    const std::string path = (dir / "none.sqlite").string();
    try {
        store s({path});
        FAIL();
    } catch (const store_error& e) {
        EXPECT_EQ(std::string(e.what()), "database " + path + " does not exist: create it with `plotmap init --db " + path + "`");
    }
}

TEST(store, readers_see_committed_writes) {
    test::temp_dir dir;
    store s({test::fresh_database(dir).string(), 2});
    s.write([](connection& c) {
        transaction tx(c);
        c.exec("INSERT INTO plots (uid, code, program, created_at, updated_at) VALUES ('u1', 'c1', 'HLM', 't', 't')");
        tx.commit();
    });
    EXPECT_EQ(s.read([](connection& c) { return c.scalar_int("SELECT count(*) FROM plots"); }), 1);
    const store_stats st = s.stats();
    EXPECT_EQ(st.writes, 1u);
    EXPECT_EQ(st.reads, 1u);
    EXPECT_EQ(st.readers_in_use, 0);
}

TEST(store, readers_are_read_only) {
    test::temp_dir dir;
    store s({test::fresh_database(dir).string(), 1});
    EXPECT_THROW(s.read([](connection& c) { c.exec("DELETE FROM adm1"); }), store_error);
}

TEST(store, readers_run_concurrently_and_an_exhausted_pool_answers_busy) {
    test::temp_dir dir;
    store_options options{test::fresh_database(dir).string(), 2};
    options.acquire_timeout = std::chrono::milliseconds(100);
    store s(options);
    std::latch both_in(2);
    std::latch release(1);
    std::vector<std::thread> holders;
    for (int i = 0; i < 2; ++i) {
        holders.emplace_back([&] {
            s.read([&](connection&) {
                both_in.count_down();
                release.wait();
            });
        });
    }
    both_in.wait(); // two reads in flight at once: the pool is concurrent
    EXPECT_EQ(s.stats().readers_in_use, 2);
    EXPECT_THROW(s.read([](connection&) {}), busy);
    release.count_down();
    for (auto& t : holders) t.join();
    EXPECT_EQ(s.read([](connection& c) { return c.scalar_int("SELECT 7"); }), 7);
    EXPECT_GE(s.stats().reader_waits, 1u);
}

TEST(store, writes_are_serialised_through_one_writer) {
    test::temp_dir dir;
    store s({test::fresh_database(dir).string(), 2});
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&s, t] {
            for (int i = 0; i < 25; ++i) {
                s.write([&](connection& c) {
                    transaction tx(c);
                    const std::string id = std::to_string(t) + "-" + std::to_string(i);
                    c.prepare("INSERT INTO plots (uid, code, program, created_at, updated_at) VALUES (?, ?, 'HLM', 't', 't')")
                        .bind(1, "u" + id)
                        .bind(2, "c" + id)
                        .run();
                    tx.commit();
                });
            }
        });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(s.read([](connection& c) { return c.scalar_int("SELECT count(*) FROM plots"); }), 100);
}
