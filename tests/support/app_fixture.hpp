#pragma once
// The whole application over a real demo database, without a socket: what the server-level
// tests drive through app::handle.

#include "fixture_db.hpp"
#include "server/app.hpp"

#include <gtest/gtest.h>

namespace plotmap::test {

class app_fixture : public ::testing::Test {
protected:
    explicit app_fixture(long long demo_plots, config::settings s = {}) : settings(std::move(s)) {
        path = demo_plots > 0 ? demo_database(dir, demo_plots) : fresh_database(dir);
        db = std::make_unique<data::store>(data::store_options{path.string(), 2});
        plots = std::make_unique<data::plot_registry>(*db, server::registry_rules_from(settings));
        tiles = std::make_unique<server::tile_service>(*db, settings.tiles, settings.plots.stages);
        gate = std::make_unique<server::gatekeeper>(*db, settings);
        application = std::make_unique<server::app>(server::context{*db, *plots, *tiles, stats, settings, *gate});
    }

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
    config::settings settings;
    server::metrics stats;
    std::unique_ptr<data::store> db;
    std::unique_ptr<data::plot_registry> plots;
    std::unique_ptr<server::tile_service> tiles;
    std::unique_ptr<server::gatekeeper> gate;
    std::unique_ptr<server::app> application;
};

} // namespace plotmap::test
