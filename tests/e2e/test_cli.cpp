// The real plotmap binary as a person runs it: messages, exit codes, init, demo, kill -9.

#include "data/database.hpp"
#include "data/schema.hpp"
#include "fixture_db.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace plotmap;
using test::run_command;

namespace {

const std::string plotmap_bin = PLOTMAP_BINARY;

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

} // namespace

TEST(cli, version_and_help) {
    const auto v = run_command({plotmap_bin, "--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.output, "plotmap " PLOTMAP_TEST_VERSION "\n");
    const auto h = run_command({plotmap_bin, "help"});
    EXPECT_EQ(h.exit_code, 0);
    for (const char* cmd : {"init", "demo", "serve"}) EXPECT_NE(h.output.find(std::string("  ") + cmd), std::string::npos);
    const auto hs = run_command({plotmap_bin, "help", "serve"});
    EXPECT_EQ(hs.exit_code, 0);
    EXPECT_EQ(first_line(hs.output), "Usage: plotmap serve --db FILE [--listen HOST:PORT] [--config FILE]");
    EXPECT_EQ(run_command({plotmap_bin}).exit_code, 2);
    // Every command and subcommand takes --help (and -h) and exits 0 with that command's text.
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"user", "--help"}, {"user", "add", "--help"}, {"token", "create", "-h"}, {"serve", "--help"}, {"init", "--help"},
             {"demo", "--help"}, {"export", "--help"}, {"import", "--help"}, {"backup", "--help"}, {"restore", "-h"}}) {
        std::vector<std::string> argv{plotmap_bin};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = run_command(argv);
        EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1];
        EXPECT_EQ(first_line(r.output).rfind("Usage: plotmap " + args[0], 0), 0u) << r.output;
    }
}

TEST(cli, every_hint_names_the_program_as_it_was_started) {
    test::temp_dir dir;
    const std::string db = (dir / "new.sqlite").string();
    const auto created = run_command({plotmap_bin, "init", "--db", db});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    test::child_process serve({plotmap_bin, "serve", "--db", db, "--listen", "127.0.0.1:0"});
    const auto hint = serve.wait_for_line("| " + plotmap_bin + " user add --db " + db, std::chrono::seconds(30));
    ASSERT_TRUE(hint.has_value()) << serve.output();
    // Run the printed command as a shell would.
    const std::string line = hint->substr(hint->find_first_not_of(' '));
    const auto added = run_command({"/bin/sh", "-c", line});
    EXPECT_EQ(added.exit_code, 0) << line << ": " << added.output;
    EXPECT_NE(added.output.find("added admin admin"), std::string::npos) << added.output;
}

TEST(cli, usage_mistakes_get_one_actionable_line_and_exit_2) {
    const auto unknown = run_command({plotmap_bin, "frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_EQ(unknown.output, "plotmap frobnicate: unknown command 'frobnicate' (see `" + plotmap_bin + " help`)\n");
    const auto flag = run_command({plotmap_bin, "serve", "--port", "80"});
    EXPECT_EQ(flag.exit_code, 2);
    EXPECT_EQ(flag.output, "plotmap serve: unknown flag --port (see `" + plotmap_bin + " help serve`)\n");
    const auto value = run_command({plotmap_bin, "init", "--db"});
    EXPECT_EQ(value.output, "plotmap init: flag --db needs a value (see `" + plotmap_bin + " help init`)\n");
    const auto count = run_command({plotmap_bin, "demo", "--plots", "many"});
    EXPECT_EQ(count.exit_code, 2);
    EXPECT_EQ(count.output, "plotmap demo: flag --plots needs a non-negative whole number, got 'many' (see `" + plotmap_bin + " help demo`)\n");
    const auto listen = run_command({plotmap_bin, "serve", "--listen", "8080"});
    EXPECT_EQ(listen.exit_code, 2);
    EXPECT_EQ(listen.output, "plotmap: configuration error: --listen: expected HOST:PORT (e.g. 0.0.0.0:8080), got \"8080\"\n");
}

TEST(cli, configuration_errors_name_the_key) {
    test::temp_dir dir;
    const auto r = run_command({plotmap_bin, "serve", "--db", (dir / "x.sqlite").string()}, std::chrono::seconds(30),
                               {"PLOTMAP_SERVER_IO_THREADS=zero"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.output, "plotmap: configuration error: environment variable PLOTMAP_SERVER_IO_THREADS (key "
                        "'server.io_threads'): expected an integer, got \"zero\"\n");
    const auto missing = run_command({plotmap_bin, "serve", "--config", (dir / "none.toml").string()});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.output, "plotmap: configuration error: config file " + (dir / "none.toml").string() + " does not exist\n");
}

TEST(cli, serve_and_demo_without_a_database_say_how_to_create_one) {
    test::temp_dir dir;
    const std::string db = (dir / "none.sqlite").string();
    const auto serve = run_command({plotmap_bin, "serve", "--db", db, "--listen", "127.0.0.1:0"});
    EXPECT_EQ(serve.exit_code, 1);
    EXPECT_EQ(serve.output, "plotmap: database " + db + " does not exist: create it with `" + plotmap_bin + " init --db " + db + "`\n");
    const auto demo = run_command({plotmap_bin, "demo", "--db", db});
    EXPECT_EQ(demo.exit_code, 1);
    EXPECT_EQ(demo.output, "plotmap: database " + db + " does not exist: run `" + plotmap_bin + " init --db " + db + "` first\n");
    EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(cli, init_twice_is_harmless_and_the_spatialite_shell_reads_the_file) {
    test::temp_dir dir;
    const std::string db = (dir / "p.sqlite").string();
    const auto first = run_command({plotmap_bin, "init", "--db", db});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    const std::string version = std::to_string(data::latest_schema_version());
    EXPECT_EQ(first.output, "plotmap: created " + db + " (schema version " + version + ", " + version +
                                " migration(s) applied); admin areas: 77 provinces, 928 districts, 7425 subdistricts\n");
    const auto second = run_command({plotmap_bin, "init", "--db", db});
    EXPECT_EQ(second.exit_code, 0);
    EXPECT_EQ(second.output,
              "plotmap: opened " + db + " (schema version " + version + "); admin areas: 77 provinces, 928 districts, 7425 subdistricts\n");
    const auto demo = run_command({plotmap_bin, "demo", "--db", db, "--plots", "50"});
    ASSERT_EQ(demo.exit_code, 0) << demo.output;
    EXPECT_NE(demo.output.find("plotmap: added 50 demo plots to " + db + " (50 plots in all)"), std::string::npos);

    const auto shell = run_command({"/usr/bin/spatialite", "-batch", db,
                                    "SELECT count(*) FROM adm1; SELECT count(*) FROM adm2; SELECT count(*) FROM adm3; "
                                    "SELECT count(*) FROM plots WHERE ST_IsValid(boundary) AND ST_Within(pin, boundary);"});
    ASSERT_EQ(shell.exit_code, 0) << shell.output;
    EXPECT_NE(shell.output.find("77\n928\n7425\n50\n"), std::string::npos) << shell.output;
}

TEST(cli, committed_demo_batches_survive_kill_9) {
    test::temp_dir dir;
    const std::string db = test::fresh_database(dir).string();
    // Batches of 10,000 commit one by one; the progress line is printed after each commit.
    test::child_process demo({plotmap_bin, "demo", "--db", db, "--plots", "1000000"});
    const auto line = demo.wait_for_line("demo: 10000/1000000", std::chrono::minutes(2));
    ASSERT_TRUE(line.has_value()) << demo.output();
    demo.send_signal(SIGKILL);
    ASSERT_EQ(demo.wait(std::chrono::seconds(10)), 128 + SIGKILL);

    data::connection conn(db, data::connection::mode::read_write);
    if (conn.kind() == data::backend::sqlite) { // the file as the killed process left it
        data::statement check = conn.prepare("PRAGMA integrity_check");
        ASSERT_TRUE(check.step());
        EXPECT_EQ(check.text(0), "ok");
    }
    const long long plots = conn.scalar_int("SELECT count(*) FROM plots");
    EXPECT_GE(plots, 10000);
    EXPECT_EQ(plots % 10000, 0) << "a batch was half-applied";
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plot_history WHERE action = 'create'"), plots);
    // The demo's plots waiting for review have their submission in the history too.
    EXPECT_EQ(conn.scalar_int("SELECT count(*) FROM plot_history WHERE action = 'update'"),
              conn.scalar_int("SELECT count(*) FROM plots WHERE review_state = 'submitted'"));
}
