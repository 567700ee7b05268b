#pragma once
// The app API's JSON form of a plot (see docs/api.md): plain members, geometry as GeoJSON
// in the request's CRS (x = longitude/easting always), areas in m² and rai-ngan-wa.

#include "data/plot_registry.hpp"
#include "geo/crs.hpp"
#include "server/http.hpp"

#include <nlohmann/json.hpp>

namespace plotmap::server {

/// The CRS of geometry in a request: the body's "crs" member or the Content-Crs header
/// (both may be given if they agree); CRS84 when neither is.
/// @throws bad_request for an unsupported CRS or a disagreement.
[[nodiscard]] const geo::crs& input_crs(const request& req, const nlohmann::json& body);

/// The CRS asked for with ?crs= (CRS84 when absent). @throws bad_request if unsupported.
[[nodiscard]] const geo::crs& output_crs(const request& req);

/// Applies the members present in `body` to `draft` with merge-patch semantics (RFC 7396):
/// a member replaces the field, null clears it, absent members leave it. Geometry is
/// transformed from `crs` to lon/lat and the operation recorded. Read-only members (id,
/// version, areas, timestamps, names) are ignored so a GET body can be sent back.
/// @throws bad_request naming an unknown member or a member of the wrong type,
///         invalid_geometry for malformed GeoJSON.
void apply_plot_members(data::plot_draft& draft, const nlohmann::json& body, const geo::crs& crs);

/// Whether an output includes data::personal_fields.
enum class view { full, public_fields };

/// A plot as JSON, geometry in `crs`; without the personal fields for view::public_fields.
[[nodiscard]] nlohmann::json plot_to_json(const data::plot& p, const geo::crs& crs, view v);

/// A write's answer: the plot plus warnings, overlaps, the admin suggestion and the
/// transformation used for the input.
[[nodiscard]] nlohmann::json write_result_to_json(const data::write_result& r, const data::plot_draft& draft,
                                                  const geo::crs& crs, view v);

/// A history version as JSON; for view::public_fields, changes to personal fields and who
/// made the change are left out.
[[nodiscard]] nlohmann::json history_to_json(const data::history_entry& e, view v);

} // namespace plotmap::server
