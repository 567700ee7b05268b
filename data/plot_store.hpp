#pragma once
// SQL for the plots table and its history: rows in and out, spatial look-ups. No rules
// here (those are plot_registry's); every function takes the connection to run on.

#include "data/cql2.hpp"
#include "data/plot.hpp"
#include "data/database.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

class connection;

/// Filters for listing plots. Unset members do not filter.
struct plot_query {
    std::optional<geo::bbox> bbox;        ///< lon/lat; the plots whose `shape` intersects it
    /// Which geometry bbox tests: the boundary or pin (any), only plots with a boundary
    /// (boundary), or the location point, pin or a point inside the boundary (location).
    enum class shape_filter { any, boundary, location } shape = shape_filter::any;
    std::optional<std::string> updated_from;   ///< updated_at >= this (ISO 8601 UTC)
    std::optional<std::string> updated_before; ///< updated_at < this
    std::optional<std::string> program;
    std::optional<std::string> stage;
    std::optional<std::string> adm1;
    std::optional<std::string> adm2;
    std::optional<std::string> adm3;
    std::optional<std::int64_t> budget_year;
    std::optional<std::string> review_state;
    std::optional<std::string> text;      ///< substring of code or name (and owner, see text_owner_scope)
    /// When set, `text` also matches the owner's name of plots whose admin code starts with
    /// it ("" for every plot): the caller's scope, for callers who may see owners there, so a
    /// search never tells anyone else whose plot is where.
    std::optional<std::string> text_owner_scope;
    std::optional<std::int64_t> village_no;
    std::optional<cql2::sql_filter> filter; ///< a compiled CQL2 filter over alias p (see plot_filter_target)
    enum class deleted_filter { exclude, include, only } deleted = deleted_filter::exclude;
    std::int64_t after_id = 0;            ///< keyset paging: ids above this
    bool admin_names = true;              ///< fill adm1_name..adm3_name (bulk readers may look them up once instead)
    int limit = 100;
};

struct plot_page {
    std::vector<plot> plots;       ///< ordered by id
    std::int64_t number_matched = 0; ///< all plots matching the filters (ignoring paging)
    bool more = false;             ///< another page follows
};

/// What CQL2 filters on plots may name: the public fields, and `geometry` as the boundary
/// (`boundary`) or the location point (`location`).
[[nodiscard]] cql2::target plot_filter_target(bool boundary, backend b);

/// Calls `f` for every plot matching the filters of `q` (its limit is ignored; `after_id`
/// applies), in id order, from one statement: one consistent snapshot however long it takes.
/// `f` may move from the plot it is given.
void for_each_plot(connection& conn, const plot_query& q, const std::function<void(plot&)>& f);

/// How many plots match the filters of `q`. On a read-only connection the answer is kept
/// until another connection commits (PRAGMA data_version), so paging through a large
/// collection counts once, not per page.
[[nodiscard]] std::int64_t count_plots(connection& conn, const plot_query& q);
/// Every live plot, from the totals the triggers keep (no scan).
[[nodiscard]] std::int64_t count_live_plots(connection& conn);

/// Thai names of every province, district and subdistrict, looked up by code without
/// hashing (codes are 2, 4 or 6 digits): for readers that name a million plots.
class admin_name_table {
public:
    explicit admin_name_table(connection& conn);
    /// The name for a code, or nullptr.
    [[nodiscard]] const std::string* find(std::string_view code) const noexcept;

private:
    std::vector<std::string> by_level_[3]; ///< indexed by the numeric code
};

/// @returns the plot (deleted or not), with admin names.
[[nodiscard]] std::optional<plot> find_plot(connection& conn, std::int64_t id);
[[nodiscard]] std::optional<plot> find_plot_by_uid(connection& conn, std::string_view uid);
/// Sets p's adm1_name..adm3_name from its codes, as find_plot gives them.
void fill_admin_names(connection& conn, plot& p);
/// The id of the plot holding `code`, if any.
[[nodiscard]] std::optional<std::int64_t> find_plot_id_by_code(connection& conn, std::string_view code);

[[nodiscard]] plot_page list_plots(connection& conn, const plot_query& q);

/// Inserts the row (id assigned by SQLite unless p.id is set). @returns the id.
std::int64_t insert_plot_row(connection& conn, const plot& p);
/// Overwrites every stored column of row p.id.
void update_plot_row(connection& conn, const plot& p);

void append_history(connection& conn, std::int64_t plot_id, const history_entry& entry);
[[nodiscard]] std::vector<history_entry> read_history(connection& conn, std::int64_t plot_id);

/// The subdistrict containing the point (point-in-polygon on the shipped boundaries). A
/// point on a shared border, or where the simplified boundaries overlap, gets the lowest
/// subdistrict code among those touching it, so the answer is always the same.
[[nodiscard]] std::optional<admin_match> locate_admin(connection& conn, geo::point lonlat);
/// The subdistrict nearest to a point outside every subdistrict, and its geodesic distance
/// in metres (searched within about 3 degrees). nullopt if none is that near.
[[nodiscard]] std::optional<std::pair<admin_match, double>> nearest_admin(connection& conn, geo::point lonlat);
/// Codes and names of a subdistrict by its code. nullopt if there is no such subdistrict.
[[nodiscard]] std::optional<admin_match> admin_by_adm3(connection& conn, std::string_view adm3);
/// True if the code exists at that level (1, 2 or 3).
[[nodiscard]] bool admin_code_exists(connection& conn, int level, std::string_view code);

/// Live plots whose boundary's bounding box meets `box`, except `exclude_id`.
struct boundary_candidate {
    std::int64_t id;
    std::string code;
    geo::multi_polygon boundary;
};
[[nodiscard]] std::vector<boundary_candidate> boundaries_near(connection& conn, const geo::bbox& box, std::int64_t exclude_id);

/// Another live plot a boundary overlaps, and by how much (geodesic m²).
struct overlap {
    std::int64_t id;
    std::string code;
    double area_m2;
};
/// The live plots (but `exclude_id`) that `boundary` overlaps by more than `min_m2`.
[[nodiscard]] std::vector<overlap> overlapping_plots(connection& conn, const geo::multi_polygon& boundary, std::int64_t exclude_id,
                                                     double min_m2);

/// The next free 4-digit sequence for codes "<adm3>-NNNN".
[[nodiscard]] int next_code_sequence(connection& conn, std::string_view adm3);

/// A large batch of plot writes (an import) with its index upkeep left to the end, inside the
/// batch's open transaction: the secondary indexes of the plots and their change tables
/// (deferred_indexes), and the spatial indexes of pins and locations where a backend keeps
/// them with triggers (SpatiaLite's R*Trees), filled for the new plots in one pass. What the batch looks up as it goes keeps its index: uid, code, id, the boundaries'
/// R*Tree (overlaps), the subdistricts. A rollback undoes all of it with the rows.
class deferred_plot_indexes {
public:
    explicit deferred_plot_indexes(connection& conn);
    deferred_plot_indexes(const deferred_plot_indexes&) = delete;
    deferred_plot_indexes& operator=(const deferred_plot_indexes&) = delete;

    /// Indexes the batch's plots and takes up the usual upkeep again (before the commit).
    void restore();

private:
    deferred_indexes indexes_;
    std::vector<std::function<void()>> spatial_;
};

} // namespace plotmap::data
