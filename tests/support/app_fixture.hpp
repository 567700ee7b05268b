#pragma once
// The whole application over a real demo database, without a socket: what the server-level
// tests drive through app::handle.

#include "app_stack.hpp"
#include "fixture_db.hpp"

#include <gtest/gtest.h>

namespace plotmap::test {

class app_fixture : public ::testing::Test {
protected:
    explicit app_fixture(long long demo_plots, config::settings s = {})
        : path(demo_plots > 0 ? demo_database(dir, demo_plots) : fresh_database(dir)), stack(path, std::move(s)) {}

    /// A request through the application as the fixture's admin (API token), with the given headers.
    server::response call(const std::string& method, const std::string& target, const std::string& body = {},
                          server::header_list headers = {}) {
        headers.emplace_back("authorization", "Bearer " + admin_credentials().token);
        return anonymous_call(method, target, body, std::move(headers));
    }

    /// A request without credentials (or with those in `headers`).
    server::response anonymous_call(const std::string& method, const std::string& target, const std::string& body = {},
                                    server::header_list headers = {}) {
        server::request req;
        req.method = method;
        req.target = target;
        req.body = body;
        req.headers = std::move(headers);
        req.request_id = "t";
        req.remote = "127.0.0.1";
        return application->handle(req);
    }

    temp_dir dir;
    std::filesystem::path path;
    app_stack stack;
    config::settings& settings = stack.settings;
    server::metrics& stats = stack.stats;
    std::unique_ptr<data::store>& db = stack.store;
    std::unique_ptr<data::plot_registry>& plots = stack.plots;
    std::unique_ptr<data::photo_store>& photos = stack.photos;
    std::unique_ptr<plotmap::tiles::tile_service>& tiles = stack.tiles;
    std::unique_ptr<server::app>& application = stack.application;
};

} // namespace plotmap::test
