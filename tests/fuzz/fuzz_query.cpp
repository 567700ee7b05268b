// libFuzzer target: request targets and their parameters as the routes read them: the
// target's percent-decoding, bbox (+bbox-crs, both axis orders), limit, the plot filters,
// CRS names, z/x/y tile addresses, rai-ngan-wa areas and the UTF-8 helpers every message
// goes through.

#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "server/query.hpp"
#include "tiles/tile_address.hpp"

#include <cstdlib>

using namespace plotmap;

namespace {

template <typename F>
void quietly(F&& f) {
    try {
        f();
    } catch (const plotmap::error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);

    // The UTF-8 helpers' promises.
    if (!geo::is_valid_utf8(geo::valid_utf8(in))) std::abort();
    const std::string cut = geo::utf8_prefix(in, size / 2);
    if (!geo::is_valid_utf8(cut) || cut.size() > size / 2 + 3) std::abort(); // cut, then "…"
    if (geo::is_valid_utf8(in) && geo::valid_utf8(in) != in) std::abort();

    server::request req;
    req.method = "GET";
    req.target = "/collections/plots/items?" + std::string(in);
    quietly([&] {
        server::parse_target(req);
        quietly([&] { (void)server::query_limit(req, 10, 1000); });
        quietly([&] { (void)server::plot_filters(req, false); });
        quietly([&] { (void)server::plot_filters(req, true); });
        if (req.query_value("bbox")) {
            quietly([&] { (void)server::query_bbox(req, true); });
        }
        for (const auto& parameter : req.query) {
            const std::string& value = parameter.second;
            quietly([&] { (void)geo::find_crs(value); });
            quietly([&] { (void)geo::parse_rai_ngan_wa(value); });
            quietly([&] { (void)server::query_int(value, "n"); });
        }
    });
    // z/x/y from three slash-separated parts.
    const auto a = in.find('/');
    const auto b = a == std::string_view::npos ? a : in.find('/', a + 1);
    if (b != std::string_view::npos) {
        quietly([&] { (void)tiles::parse_tile_address(in.substr(0, a), in.substr(a + 1, b - a - 1), in.substr(b + 1)); });
    }
    return 0;
}
