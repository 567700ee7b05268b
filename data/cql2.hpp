#pragma once
// CQL2 filters (OGC API Features Part 3; OGC 21-065) in text and JSON encodings, compiled to
// an SQLite + SpatiaLite WHERE clause over one collection's queryables. Supported: =, <>,
// <, <=, >, >=, AND, OR, NOT, LIKE (case-sensitive, % and _; ILIKE of the draft ignores ASCII
// case), BETWEEN, IN, IS [NOT] NULL,
// TIMESTAMP() and DATE() literals, and the spatial functions S_INTERSECTS, S_DISJOINT,
// S_WITHIN, S_CONTAINS, S_EQUALS, S_TOUCHES, S_OVERLAPS, S_CROSSES on WKT/GeoJSON geometries
// and BBOX, given in the filter CRS. Every value is bound, never spliced into the SQL.

#include "data/driver.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace plotmap::data::cql2 {

/// A filter the parser or compiler refused. `where` locates it: "character 17" for text, a
/// JSON pointer such as "/args/1" for JSON.
class error : public bad_request {
public:
    error(const std::string& message, std::string where)
        : bad_request("filter: " + message + " (at " + where + ")"), where_(std::move(where)) {}
    [[nodiscard]] const std::string& where() const noexcept { return where_; }

private:
    std::string where_;
};

enum class value_type { text, integer, number, timestamp };

/// A property a filter may name, and the SQL expression that reads it.
struct queryable {
    std::string name;
    std::string sql;   ///< e.g. "p.stage"
    value_type type;
};

/// The geometry a collection's filters test: its column and its SpatiaLite index.
struct spatial_column {
    std::string name = "geometry"; ///< the property name filters use
    std::string sql;               ///< e.g. "p.boundary"
    std::string index_table;       ///< SpatialIndex f_table_name, e.g. "plots"
    std::string index_column;      ///< SpatialIndex f_geometry_column, e.g. "boundary"
    std::string alias;             ///< how the query names that table, e.g. "p"
};

struct target {
    std::vector<queryable> properties;
    spatial_column geometry;
    data::backend backend = data::backend::sqlite; ///< whose SQL to write (data/dialect.hpp)
};

/// A bound value of a compiled filter.
using sql_value = std::variant<std::int64_t, double, std::string>;

/// A WHERE fragment (no leading AND) with named parameters :cql1, :cql2... and their values.
struct sql_filter {
    std::string sql;
    std::vector<sql_value> params;
};

enum class language { text, json };

/// Parses and compiles a filter. Geometries in it are in `filter_crs` (its authority axis
/// order: EPSG:4326 is lat,lon) and are transformed to lon/lat.
/// @throws error for a malformed filter, an unknown property or operator, or a value of the
///         wrong type; the message names what and where.
[[nodiscard]] sql_filter compile(std::string_view filter, language lang, const target& t, const geo::crs& filter_crs);

/// The conformance classes this module implements (CQL2 and Features Part 3).
[[nodiscard]] const std::vector<std::string>& conformance_classes();

} // namespace plotmap::data::cql2
