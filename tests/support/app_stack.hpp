#pragma once
// The whole application over a database file, without a socket: store, registry, tile
// service, gatekeeper and app wired as `plotmap serve` wires them. What the server tests
// (app_fixture.hpp) and the HTTP fuzz target drive through app::handle.

#include "fixture_db.hpp"
#include "server/app.hpp"

#include <filesystem>
#include <memory>

namespace plotmap::test {

struct app_stack {
    app_stack(const std::filesystem::path& db, config::settings s) : settings(std::move(s)) {
        store = std::make_unique<data::store>(data::store_options{db.string(), 2});
        plots = std::make_unique<data::plot_registry>(*store, server::registry_rules_from(settings));
        if (settings.photos.dir.empty()) settings.photos.dir = photo_folder(db.string()); // as running_server's
        photos = std::make_unique<data::photo_store>(*store, server::photo_settings_from(settings));
        tiles = std::make_unique<tiles::tile_service>(*store, settings.tiles, settings.plots.stages);
        gate = std::make_unique<server::gatekeeper>(*store, settings);
        application = std::make_unique<server::app>(server::context{*store, *plots, *photos, *tiles, stats, settings, *gate});
    }

    config::settings settings;
    server::metrics stats;
    std::unique_ptr<data::store> store;
    std::unique_ptr<data::plot_registry> plots;
    std::unique_ptr<data::photo_store> photos;
    std::unique_ptr<tiles::tile_service> tiles;
    std::unique_ptr<server::gatekeeper> gate;
    std::unique_ptr<server::app> application;
};

} // namespace plotmap::test
