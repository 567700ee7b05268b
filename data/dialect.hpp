#pragma once
// The SQL each backend spells its own way (data/sqlite/dialect.cpp, data/postgis/dialect.cpp).
// The repositories' SQL is otherwise shared: standard SQL both engines run alike, plus the
// few SpatiaLite function names that PostgreSQL's schema defines over PostGIS
// (data/postgis/schema.cpp).

#include "data/driver.hpp"

#include <string>
#include <string_view>

namespace plotmap::data {

class connection;

/// A box as four SQL expressions (parameters or arithmetic on them), lon/lat.
struct box_sql {
    std::string min_x;
    std::string min_y;
    std::string max_x;
    std::string max_y;
};

class dialect {
public:
    virtual ~dialect() = default;

    /// A condition: the bounding box of `table`.`column` in the row whose key is `row_id`
    /// (e.g. "p.id", or "p.boundary" on a backend that indexes the column itself) meets `box`.
    /// `alias` is how the query names the table ("p"). Uses the column's spatial index.
    [[nodiscard]] virtual std::string box_meets(std::string_view alias, std::string_view table, std::string_view column,
                                                const box_sql& box) const = 0;
    /// Like box_meets, for a row whose either column meets the box.
    [[nodiscard]] virtual std::string box_meets_either(std::string_view alias, std::string_view table, std::string_view column_a,
                                                       std::string_view column_b, const box_sql& box) const = 0;
    /// A spatial predicate's call (ST_Intersects(a, b)) as a condition: SpatiaLite answers 1,
    /// 0, or -1 when it cannot tell; PostGIS a boolean.
    [[nodiscard]] virtual std::string holds(std::string_view predicate) const = 0;
    /// `text` matches a LIKE `pattern` with backslash escapes, ignoring the case of ASCII letters.
    [[nodiscard]] virtual std::string like_ignoring_case(std::string_view text, std::string_view pattern) const = 0;
    /// `text` matches `pattern`, case and all; the pattern's value is made by like_pattern().
    [[nodiscard]] virtual std::string like_exactly(std::string_view text, std::string_view pattern) const = 0;
    /// A LIKE pattern (% any, _ one, backslash escapes) as like_exactly() takes it.
    [[nodiscard]] virtual std::string like_pattern(std::string_view like) const = 0;
    /// The month ("2026-11") in Thailand (UTC+7) of an ISO 8601 UTC time in text.
    [[nodiscard]] virtual std::string month_in_thailand(std::string_view utc_text) const = 0;
    /// A query with one parameter, a table's name, giving its columns in order: name, and
    /// "integer", "real", "text", "blob" or "geometry".
    [[nodiscard]] virtual std::string table_columns_sql() const = 0;
    /// The distance in metres on the WGS 84 ellipsoid between two lon/lat geometries.
    [[nodiscard]] virtual std::string geodesic_distance(std::string_view a, std::string_view b) const = 0;
};

[[nodiscard]] const dialect& dialect_of(backend b);
[[nodiscard]] const dialect& dialect_of(connection& c);

/// A hot query's SQL, built once per backend from its dialect:
///     static const sql_per_backend sql([](const dialect& d) { return "..." + d.box_meets(...); });
///     cached_query st(conn, sql(conn));
class sql_per_backend {
public:
    explicit sql_per_backend(std::string (*make)(const dialect&))
        : sqlite_(make(dialect_of(backend::sqlite))), postgresql_(make(dialect_of(backend::postgresql))) {}
    [[nodiscard]] const std::string& operator()(backend b) const noexcept { return b == backend::postgresql ? postgresql_ : sqlite_; }
    [[nodiscard]] const std::string& operator()(connection& c) const { return (*this)(kind_of(c)); }

private:
    [[nodiscard]] static backend kind_of(connection& c);
    std::string sqlite_;
    std::string postgresql_;
};

} // namespace plotmap::data
