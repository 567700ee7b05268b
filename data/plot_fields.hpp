#pragma once
// The plot's stored fields, described once: the store's select list, reader, insert and
// update and the queryables of filters (data/plot_store.cpp), the history's vocabulary
// (stored_fields) and the personal-data rule (personal_fields; the API's JSON and every export
// leave those out of public outputs) all come from this table. A new column of `plots` is one row here, one member of
// data::plot and one migration per backend.

#include "data/plot.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace plotmap::data {

/// Where a stored field lives in data::plot, and so how it is read, bound and written as JSON.
using plot_member = std::variant<std::string plot::*, std::optional<std::string> plot::*, std::int64_t plot::*,
                                 std::optional<std::int64_t> plot::*, std::optional<double> plot::*,
                                 std::optional<geo::point> plot::*, std::optional<geo::multi_polygon> plot::*>;

/// Whether filters (CQL2, the OGC API's queryables) may name a field, and as what.
enum class filterable {
    no,
    as_value, ///< text, integer or number, after its member's type
    as_time,  ///< an RFC 3339 time (stored as ISO 8601 text)
};

/// Lambdas, one per kind of member, as one visitor: std::visit(member_visitor{...}, member).
template <class... F> struct member_visitor : F... {
    using F::operator()...;
};
template <class... F> member_visitor(F...) -> member_visitor<F...>;

/// One column of the `plots` table.
struct plot_field {
    const char* name;     ///< the column, and the member in the API's JSON and the history
    plot_member member;
    bool personal;        ///< only for callers whose scope holds the plot (docs/security.md)
    bool in_history;      ///< its changes are recorded in the history's "changes"
    filterable filter;    ///< never for personal fields: a filter would reveal them
};

/// Every column of `plots` but its id, in the order the store writes them.
[[nodiscard]] const std::vector<plot_field>& plot_fields();

/// The names of the personal fields: the owner, the title deed, free notes, which staff
/// edited the plot, and (read with it) the link to its latest photo. Public outputs (anonymous reads, tiles, public exports) leave them out.
[[nodiscard]] const std::vector<std::string>& personal_fields();
/// Whether the field called `name` is personal.
[[nodiscard]] bool is_personal_field(std::string_view name);

/// The fields the history records (no id, version or timestamps but deleted_at) as JSON,
/// geometry as lon/lat GeoJSON: the vocabulary of the history's "changes" and the base of
/// the API's plot form.
[[nodiscard]] nlohmann::json stored_fields(const plot& p);

} // namespace plotmap::data
