// libFuzzer target: JSON request bodies and merge patches for plots. The input is parsed as
// the plot routes parse it (media type, depth limit, syntax errors with positions), merged
// into a stored plot as a PATCH would be, and read into a plot draft in every input CRS.

#include "data/plot_registry.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/json_body.hpp"
#include "server/plot_json.hpp"

#include <nlohmann/json.hpp>

#include <array>

using namespace plotmap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    server::request req;
    req.method = "POST";
    req.target = "/api/v1/plots";
    req.headers.emplace_back("content-type", "application/json");
    req.body.assign(reinterpret_cast<const char*>(data), size);
    static constexpr std::array<std::string_view, 2> types{"application/json", "application/merge-patch+json"};
    nlohmann::json body;
    try {
        body = server::parse_json_object(req, types);
    } catch (const plotmap::error&) {
        return 0;
    }
    try {
        data::plot_draft draft;
        server::apply_plot_members(draft, body, server::input_crs(req, body));
    } catch (const plotmap::error&) {
    }
    nlohmann::json stored{{"program", "HLM"}, {"name", "แปลง"}, {"pin", {{"type", "Point"}, {"coordinates", {99.8, 17.0}}}}};
    stored.merge_patch(body);
    for (const char* crs : {"EPSG:4326", "EPSG:32647", "EPSG:24048"}) {
        try {
            data::plot_draft draft;
            server::apply_plot_members(draft, stored, geo::find_crs(crs));
        } catch (const plotmap::error&) {
        }
    }
    return 0;
}
