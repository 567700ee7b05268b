#pragma once
// Query parameters shared by the app's plot list and the OGC API Features items: numbers,
// bbox (+bbox-crs), limit, the plot filters, and next links for keyset paging.

#include "data/plot_store.hpp"
#include "geo/geometry.hpp"
#include "server/http.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace plotmap::server {

/// @throws bad_request naming the parameter unless `text` is a whole number.
[[nodiscard]] std::int64_t query_int(std::string_view text, const char* name);

/// bbox=minx,miny,maxx,maxy in bbox-crs (default CRS84) as a lon/lat box. With
/// `authority_axes` (OGC API), a latitude-first CRS such as EPSG:4326 takes its bbox as
/// lat,lon,lat,lon. @pre the request has a bbox parameter.
[[nodiscard]] geo::bbox query_bbox(const request& req, bool authority_axes);

/// limit: `fallback` when absent, clamped to `maximum` (never refused for being large).
/// @throws bad_request below 1 or not a number.
[[nodiscard]] int query_limit(const request& req, int fallback, int maximum);

/// The plot filters both APIs share: bbox (+bbox-crs), program, stage, adm1, adm2, adm3,
/// budget_year, and the keyset `after`.
[[nodiscard]] data::plot_query plot_filters(const request& req, bool authority_axes);

/// `path` with the request's query parameters (percent-encoded, `after` replaced, a URL
/// ?token= kept) and after=<after>: the next page of a keyset-paged list. Relative: callers
/// prefix base_url.
[[nodiscard]] std::string next_link(const request& req, std::string_view path, std::int64_t after);

} // namespace plotmap::server
