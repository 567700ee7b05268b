#include "data/plot_store.hpp"

#include "data/database.hpp"
#include "data/dialect.hpp"
#include "data/plot_fields.hpp"
#include "geo/geodesic.hpp"
#include "geo/overlay.hpp"
#include "geo/wkb.hpp"

#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <variant>

namespace plotmap::data {
namespace {

bool is_point(const plot_member& m) { return std::holds_alternative<std::optional<geo::point> plot::*>(m); }
bool is_area(const plot_member& m) { return std::holds_alternative<std::optional<geo::multi_polygon> plot::*>(m); }

/// The SQL that stores a field's value bound at ?n: geometry from WKB in lon/lat.
std::string stored_value(const plot_field& f, std::size_t n) {
    const std::string at = "?" + std::to_string(n);
    if (is_point(f.member)) return "GeomFromWKB(" + at + ", 4326)";
    if (is_area(f.member)) return "CastToMultiPolygon(GeomFromWKB(" + at + ", 4326))";
    return at;
}

/// The columns read after the stored fields: the admin names (NULL when not joined), the
/// live photos' count and the links to the latest photo and the latest public one.
constexpr const char* read_extras = R"sql(,
       (SELECT count(*) FROM photos ph WHERE ph.plot_id = p.id AND ph.deleted_at IS NULL),
       (SELECT '/api/v1/photos/' || ph.id || '/' || ph.sha256 FROM photos ph WHERE ph.plot_id = p.id AND ph.deleted_at IS NULL
        ORDER BY coalesce(ph.taken_at, ph.uploaded_at) DESC, ph.id DESC LIMIT 1),
       (SELECT '/api/v1/photos/' || ph.id || '/' || ph.sha256 FROM photos ph WHERE ph.plot_id = p.id AND ph.deleted_at IS NULL
        AND ph.public = 1 ORDER BY coalesce(ph.taken_at, ph.uploaded_at) DESC, ph.id DESC LIMIT 1)
FROM plots p
)sql";

/// SELECT of a whole plot: its id, every stored field (data/plot_fields.hpp), then read_extras;
/// with the admin names joined or not.
std::string select_sql(bool names) {
    std::string sql = "SELECT p.id";
    for (const plot_field& f : plot_fields()) {
        sql += is_point(f.member) || is_area(f.member) ? std::string(", AsBinary(p.") + f.name + ")" : std::string(", p.") + f.name;
    }
    sql += names ? ", a1.name_th, a2.name_th, a3.name_th" : ", NULL, NULL, NULL";
    sql += read_extras;
    if (names) sql += "LEFT JOIN adm1 a1 ON a1.code = p.adm1\nLEFT JOIN adm2 a2 ON a2.code = p.adm2\nLEFT JOIN adm3 a3 ON a3.code = p.adm3\n";
    return sql;
}

const std::string& select_plot() {
    static const std::string sql = select_sql(true);
    return sql;
}
const std::string& select_plot_bare() {
    static const std::string sql = select_sql(false);
    return sql;
}

std::optional<double> opt_real(const statement& st, int c) {
    return st.is_null(c) ? std::nullopt : std::optional<double>(st.real(c));
}
std::optional<std::int64_t> opt_int(const statement& st, int c) {
    return st.is_null(c) ? std::nullopt : std::optional<std::int64_t>(st.int64(c));
}

plot read_plot(const statement& st) {
    plot p;
    p.id = st.int64(0);
    int c = 1;
    for (const plot_field& f : plot_fields()) {
        std::visit(member_visitor{[&](std::string plot::*m) { p.*m = st.text(c); },
                              [&](std::optional<std::string> plot::*m) { p.*m = st.optional_text(c); },
                              [&](std::int64_t plot::*m) { p.*m = st.int64(c); },
                              [&](std::optional<std::int64_t> plot::*m) { p.*m = opt_int(st, c); },
                              [&](std::optional<double> plot::*m) { p.*m = opt_real(st, c); },
                              [&](std::optional<geo::point> plot::*m) {
                                  if (!st.is_null(c)) p.*m = geo::point_from_wkb(st.blob(c));
                              },
                              [&](std::optional<geo::multi_polygon> plot::*m) {
                                  if (!st.is_null(c)) p.*m = geo::multi_polygon_from_wkb(st.blob(c));
                              }},
                   f.member);
        ++c;
    }
    p.adm1_name = st.optional_text(c);
    p.adm2_name = st.optional_text(c + 1);
    p.adm3_name = st.optional_text(c + 2);
    p.photo_count = st.int64(c + 3);
    p.latest_photo = st.optional_text(c + 4);
    p.latest_public_photo = st.optional_text(c + 5);
    return p;
}

/// Binds every stored field at ?1..?N, in the order of plot_fields().
void bind_columns(statement& st, const plot& p) {
    int n = 1;
    for (const plot_field& f : plot_fields()) {
        std::visit(member_visitor{[&](std::optional<geo::point> plot::*m) {
                                  if (p.*m) {
                                      st.bind_blob(n, geo::to_wkb(*(p.*m)));
                                  } else {
                                      st.bind(n, nullptr);
                                  }
                              },
                              [&](std::optional<geo::multi_polygon> plot::*m) {
                                  if (p.*m) {
                                      st.bind_blob(n, geo::to_wkb(*(p.*m)));
                                  } else {
                                      st.bind(n, nullptr);
                                  }
                              },
                              [&](auto m) -> void { st.bind(n, p.*m); }},
                   f.member);
        ++n;
    }
}

std::string like_pattern(std::string_view text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "%";
}

std::string filter_sql(const plot_query& q, const dialect& d) {
    std::string sql = " WHERE TRUE";
    switch (q.deleted) {
    case plot_query::deleted_filter::exclude: sql += " AND p.deleted_at IS NULL"; break;
    case plot_query::deleted_filter::only: sql += " AND p.deleted_at IS NOT NULL"; break;
    case plot_query::deleted_filter::include: break;
    }
    if (q.program) sql += " AND p.program = :program";
    if (q.stage) sql += " AND p.stage = :stage";
    if (q.adm1) sql += " AND p.adm1 = :adm1";
    if (q.adm2) sql += " AND p.adm2 = :adm2";
    if (q.adm3) sql += " AND p.adm3 = :adm3";
    if (q.budget_year) sql += " AND p.budget_year = :budget_year";
    if (q.review_state) sql += " AND p.review_state = :review_state";
    if (q.text) {
        sql += " AND (" + d.like_ignoring_case("p.code", ":text") + " OR " + d.like_ignoring_case("p.name", ":text");
        if (q.text_owner_scope) {
            sql += " OR (" + d.like_ignoring_case("p.owner_name", ":text") +
                   " AND substr(coalesce(p.adm3, p.adm2, p.adm1, ''), 1, length(:owner_scope)) = :owner_scope)";
        }
        sql += ")";
    }
    if (q.village_no) sql += " AND p.village_no = :village_no";
    if (q.updated_from) sql += " AND p.updated_at >= :updated_from";
    if (q.updated_before) sql += " AND p.updated_at < :updated_before";
    if (q.shape == plot_query::shape_filter::boundary) sql += " AND p.boundary IS NOT NULL";
    if (q.filter) sql += " AND " + q.filter->sql;
    if (q.bbox) {
        // The R*Tree narrows to candidates; the exact test keeps a plot whose box touches
        // the bbox but whose shape does not out of the answer.
        const box_sql named{":minx", ":miny", ":maxx", ":maxy"};
        const char* box = "BuildMbr(:minx, :miny, :maxx, :maxy, 4326)";
        switch (q.shape) {
        case plot_query::shape_filter::any:
            sql += " AND " + d.box_meets_either("p", "plots", "boundary", "pin", named) + " AND " +
                   d.holds("ST_Intersects(coalesce(p.boundary, p.pin), " + std::string(box) + ")");
            break;
        case plot_query::shape_filter::boundary:
            sql += " AND " + d.box_meets("p", "plots", "boundary", named) + " AND " + d.holds("ST_Intersects(p.boundary, " + std::string(box) + ")");
            break;
        case plot_query::shape_filter::location:
            sql += " AND " + d.box_meets("p", "plots", "location", named) + " AND " + d.holds("ST_Intersects(p.location, " + std::string(box) + ")");
            break;
        }
    }
    return sql;
}

/// WHERE clause (without paging) for the filters that are set, with named parameters.
void bind_filters(statement& st, const plot_query& q) {
    const auto bind_named = [&](const char* name, const auto& value) {
        const int index = st.parameter_index(name);
        if (index > 0) st.bind(index, value);
    };
    if (q.program) bind_named(":program", *q.program);
    if (q.stage) bind_named(":stage", *q.stage);
    if (q.adm1) bind_named(":adm1", *q.adm1);
    if (q.adm2) bind_named(":adm2", *q.adm2);
    if (q.adm3) bind_named(":adm3", *q.adm3);
    if (q.budget_year) bind_named(":budget_year", *q.budget_year);
    if (q.review_state) bind_named(":review_state", *q.review_state);
    if (q.text) bind_named(":text", like_pattern(*q.text));
    if (q.text && q.text_owner_scope) bind_named(":owner_scope", *q.text_owner_scope);
    if (q.village_no) bind_named(":village_no", *q.village_no);
    if (q.updated_from) bind_named(":updated_from", *q.updated_from);
    if (q.updated_before) bind_named(":updated_before", *q.updated_before);
    if (q.filter) bind_filter(st, *q.filter);
    if (q.bbox) {
        bind_named(":minx", q.bbox->min_x);
        bind_named(":miny", q.bbox->min_y);
        bind_named(":maxx", q.bbox->max_x);
        bind_named(":maxy", q.bbox->max_y);
    }
}

std::optional<admin_match> read_admin(statement& st) {
    if (!st.step()) return std::nullopt;
    return admin_match{std::string(st.text(0)), std::string(st.text(1)), std::string(st.text(2)),
                       std::string(st.text(3)), std::string(st.text(4)), std::string(st.text(5))};
}

constexpr const char* select_admin = R"sql(
SELECT a3.adm1, a3.adm2, a3.code, a1.name_th, a2.name_th, a3.name_th
FROM adm3 a3 JOIN adm2 a2 ON a2.code = a3.adm2 JOIN adm1 a1 ON a1.code = a3.adm1
)sql";

} // namespace

cql2::target plot_filter_target(bool boundary, backend b) {
    using cql2::value_type;
    cql2::target t;
    t.backend = b;
    t.properties = {{"id", "p.id", value_type::integer}};
    for (const plot_field& f : plot_fields()) {
        if (f.filter == filterable::no) continue;
        const value_type type = f.filter == filterable::as_time ? value_type::timestamp
                                : std::visit(member_visitor{[](std::string plot::*) { return value_type::text; },
                                                        [](std::optional<std::string> plot::*) { return value_type::text; },
                                                        [](std::int64_t plot::*) { return value_type::integer; },
                                                        [](std::optional<std::int64_t> plot::*) { return value_type::integer; },
                                                        [](std::optional<double> plot::*) { return value_type::number; },
                                                        [](auto) -> value_type { throw store_error("a geometry is not a queryable value"); }},
                                             f.member);
        t.properties.push_back({f.name, std::string("p.") + f.name, type});
    }
    t.properties.push_back({"photo_count", "(SELECT count(*) FROM photos ph WHERE ph.plot_id = p.id AND ph.deleted_at IS NULL)",
                            value_type::integer});
    t.geometry = boundary ? cql2::spatial_column{"geometry", "p.boundary", "plots", "boundary", "p"}
                          : cql2::spatial_column{"geometry", "p.location", "plots", "location", "p"};
    return t;
}

std::optional<std::pair<admin_match, double>> nearest_admin(connection& conn, geo::point lonlat) {
    // Widening circles on the R*Tree, then exact distances on the ellipsoid.
    const dialect& d = dialect_of(conn);
    const std::string sql = "SELECT a3.adm1, a3.adm2, a3.code, a1.name_th, a2.name_th, a3.name_th, " +
                            d.geodesic_distance("a3.geom", "MakePoint(?1, ?2, 4326)") +
                            " AS d FROM adm3 a3 JOIN adm2 a2 ON a2.code = a3.adm2 JOIN adm1 a1 ON a1.code = a3.adm1 WHERE " +
                            d.box_meets("a3", "adm3", "geom", {"?1 - ?3", "?2 - ?3", "?1 + ?3", "?2 + ?3"}) + " ORDER BY d LIMIT 1";
    for (const double radius : {0.1, 0.5, 1.5, 3.0}) {
        statement st = conn.prepare(sql);
        st.bind(1, lonlat.x).bind(2, lonlat.y).bind(3, radius);
        if (!st.step() || st.is_null(6)) continue;
        return std::pair{admin_match{std::string(st.text(0)), std::string(st.text(1)), std::string(st.text(2)), std::string(st.text(3)),
                                     std::string(st.text(4)), std::string(st.text(5))},
                         st.real(6)};
    }
    return std::nullopt;
}

std::optional<plot> find_plot(connection& conn, std::int64_t id) {
    static const std::string sql = select_plot() + " WHERE p.id = ?"; // built once: a lookup per import row
    cached_query st(conn, sql);
    st->bind(1, id);
    if (!st->step()) return std::nullopt;
    return read_plot(*st);
}

std::optional<plot> find_plot_by_uid(connection& conn, std::string_view uid) {
    static const std::string sql = select_plot() + " WHERE p.uid = ?";
    cached_query st(conn, sql);
    st->bind(1, uid);
    if (!st->step()) return std::nullopt;
    return read_plot(*st);
}

void fill_admin_names(connection& conn, plot& p) {
    cached_query st(conn, "SELECT (SELECT name_th FROM adm1 WHERE code = ?1), (SELECT name_th FROM adm2 WHERE code = ?2), "
                          "(SELECT name_th FROM adm3 WHERE code = ?3)");
    st->bind(1, p.adm1).bind(2, p.adm2).bind(3, p.adm3);
    st->step();
    p.adm1_name = st->optional_text(0);
    p.adm2_name = st->optional_text(1);
    p.adm3_name = st->optional_text(2);
}

std::optional<std::int64_t> find_plot_id_by_code(connection& conn, std::string_view code) {
    cached_query st(conn, "SELECT id FROM plots WHERE code = ?");
    st->bind(1, code);
    if (!st->step()) return std::nullopt;
    return st->int64(0);
}

std::int64_t count_plots(connection& conn, const plot_query& q) {
    const std::string sql = "SELECT count(*) FROM plots p" + filter_sql(q, dialect_of(conn));
    statement count = conn.prepare(sql);
    bind_filters(count, q);
    // The key is the SQL with its bound values, e.g. "...:adm1...|64".
    std::string key = sql;
    for (const auto& v : {q.program, q.stage, q.adm1, q.adm2, q.adm3, q.review_state, q.text, q.updated_from, q.updated_before}) {
        key += "\x1f" + v.value_or("");
    }
    key += "\x1f" + (q.budget_year ? std::to_string(*q.budget_year) : std::string());
    key += "\x1f" + (q.text_owner_scope ? "o" + *q.text_owner_scope : std::string());
    key += "\x1f" + (q.village_no ? std::to_string(*q.village_no) : std::string());
    if (q.filter) {
        for (const cql2::sql_value& v : q.filter->params) {
            key += "\x1f";
            std::visit([&](const auto& x) {
                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
                    key += "s" + x;
                } else {
                    char num[40];
                    std::snprintf(num, sizeof num, "n%.17g", static_cast<double>(x));
                    key += num;
                }
            }, v);
        }
    }
    if (q.bbox) {
        char box[128];
        std::snprintf(box, sizeof box, "|%.17g,%.17g,%.17g,%.17g", q.bbox->min_x, q.bbox->min_y, q.bbox->max_x, q.bbox->max_y);
        key += box;
    }
    if (const auto hit = conn.remembered_count(key)) return *hit;
    const std::int64_t n = count.step() ? count.int64(0) : 0;
    conn.remember_count(key, n);
    return n;
}

namespace {

/// 0, 1, 2 for 2-, 4- and 6-digit codes and their numeric value; nullopt for anything else.
std::optional<std::pair<int, std::size_t>> code_slot(std::string_view code) noexcept {
    if (code.size() != 2 && code.size() != 4 && code.size() != 6) return std::nullopt;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), n);
    if (ec != std::errc{} || end != code.data() + code.size()) return std::nullopt;
    return std::pair{static_cast<int>(code.size() / 2 - 1), n};
}

} // namespace

admin_name_table::admin_name_table(connection& conn) {
    by_level_[0].resize(100);
    by_level_[1].resize(10000);
    by_level_[2].resize(1000000);
    statement st = conn.prepare("SELECT code, name_th FROM adm1 UNION ALL SELECT code, name_th FROM adm2 "
                                "UNION ALL SELECT code, name_th FROM adm3");
    while (st.step()) {
        if (const auto slot = code_slot(st.text(0))) by_level_[slot->first][slot->second] = st.text(1);
    }
}

const std::string* admin_name_table::find(std::string_view code) const noexcept {
    const auto slot = code_slot(code);
    if (!slot) return nullptr;
    const std::string& name = by_level_[slot->first][slot->second];
    return name.empty() ? nullptr : &name;
}

void for_each_plot(connection& conn, const plot_query& q, const std::function<void(plot&)>& f) {
    statement st = conn.prepare((q.admin_names ? select_plot() : select_plot_bare()) + filter_sql(q, dialect_of(conn)) +
                                " AND p.id > :after ORDER BY p.id");
    bind_filters(st, q);
    st.bind(st.parameter_index(":after"), q.after_id);
    while (st.step()) {
        plot p = read_plot(st);
        f(p);
    }
}

plot_page list_plots(connection& conn, const plot_query& q) {
    const std::string where = filter_sql(q, dialect_of(conn));
    plot_page page;
    page.number_matched = count_plots(conn, q);
    statement st = conn.prepare(select_plot() + where + " AND p.id > :after ORDER BY p.id LIMIT :limit");
    bind_filters(st, q);
    st.bind(st.parameter_index(":after"), q.after_id);
    st.bind(st.parameter_index(":limit"), std::int64_t{q.limit} + 1);
    page.more = read_page(st, q.limit, page.plots, read_plot);
    return page;
}

std::int64_t count_live_plots(connection& conn) { return conn.scalar_int("SELECT coalesce(sum(plots), 0) FROM plot_totals"); }

std::int64_t insert_plot_row(connection& conn, const plot& p) {
    static const std::string sql = [] {
        std::string columns;
        std::string values;
        std::size_t n = 0;
        for (const plot_field& f : plot_fields()) {
            columns += std::string(n == 0 ? "" : ", ") + f.name;
            values += (n == 0 ? "" : ", ") + stored_value(f, n + 1);
            ++n;
        }
        return "INSERT INTO plots (" + columns + ") VALUES (" + values + ") RETURNING id";
    }();
    statement& st = conn.cached(sql);
    bind_columns(st, p);
    return st.run_returning_id();
}

void update_plot_row(connection& conn, const plot& p) {
    static const std::string sql = [] {
        std::string set;
        std::size_t n = 0;
        for (const plot_field& f : plot_fields()) {
            set += (n == 0 ? "" : ", ") + std::string(f.name) + " = " + stored_value(f, n + 1);
            ++n;
        }
        return "UPDATE plots SET " + set + " WHERE id = ?" + std::to_string(n + 1);
    }();
    statement& st = conn.cached(sql);
    bind_columns(st, p);
    st.bind(static_cast<int>(plot_fields().size()) + 1, p.id);
    st.run();
}

void append_history(connection& conn, std::int64_t plot_id, const history_entry& e) {
    conn.cached("INSERT INTO plot_history (plot_id, version, action, changed_at, changed_by, changes, details) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, plot_id)
        .bind(2, e.version)
        .bind(3, e.action)
        .bind(4, e.changed_at)
        .bind(5, e.changed_by)
        .bind(6, e.changes_json)
        .bind(7, e.details_json)
        .run();
}

std::vector<history_entry> read_history(connection& conn, std::int64_t plot_id) {
    statement st = conn.prepare(
        "SELECT version, action, changed_at, changed_by, changes, details FROM plot_history WHERE plot_id = ? "
        "ORDER BY version");
    st.bind(1, plot_id);
    std::vector<history_entry> out;
    while (st.step()) {
        out.push_back({st.int64(0), std::string(st.text(1)), std::string(st.text(2)), st.optional_text(3),
                       std::string(st.text(4)), st.optional_text(5)});
    }
    return out;
}

namespace {

/// A subdistrict's code and outline, as point-in-polygon tests need them.
struct admin_shape {
    std::string code;
    geo::multi_polygon outline;
};

/// The subdistrict `code` of `conn`'s database, parsed once per process. Admin areas change
/// only when `plotmap init` loads new ones, and a changed outline has a changed box, which is
/// part of the key.
std::shared_ptr<const admin_shape> subdistrict_shape(connection& conn, std::string_view code, const std::array<double, 4>& box) {
    static std::mutex mutex;
    static std::map<std::tuple<std::string, std::string, std::array<double, 4>>, std::shared_ptr<const admin_shape>, std::less<>> shapes;
    auto key = std::make_tuple(conn.path(), std::string(code), box);
    {
        const std::lock_guard lock(mutex);
        if (const auto it = shapes.find(key); it != shapes.end()) return it->second;
    }
    statement st = conn.prepare("SELECT code, AsBinary(geom) FROM adm3 WHERE code = ?");
    st.bind(1, code);
    if (!st.step() || st.is_null(1)) return nullptr;
    auto shape = std::make_shared<const admin_shape>(admin_shape{std::string(st.text(0)), geo::multi_polygon_from_wkb(st.blob(1))});
    const std::lock_guard lock(mutex);
    return shapes.emplace(std::move(key), std::move(shape)).first->second;
}


} // namespace

std::optional<admin_match> locate_admin(connection& conn, geo::point lonlat) {
    // Candidates from the spatial index, then the point in each candidate's outline (kept
    // parsed: parsing it from SpatiaLite's blob for every plot was most of an import's admin
    // lookup).
    // Subdistricts whose boxes hold the point (?1, ?2), with their boxes.
    static const sql_per_backend candidates_sql([](const dialect& d) {
        return "SELECT a.code, MbrMinX(a.geom), MbrMaxX(a.geom), MbrMinY(a.geom), MbrMaxY(a.geom) FROM adm3 a WHERE " +
               d.box_meets("a", "adm3", "geom", {"?1", "?2", "?1", "?2"});
    });
    std::optional<std::string> found;
    {
        cached_query candidates(conn, candidates_sql(conn));
        candidates->bind(1, lonlat.x).bind(2, lonlat.y);
        while (candidates->step()) {
            const std::array<double, 4> box{candidates->real(1), candidates->real(2), candidates->real(3), candidates->real(4)};
            const auto shape = subdistrict_shape(conn, candidates->text(0), box);
            if (shape && (!found || shape->code < *found) && geo::covers(shape->outline, lonlat)) found = shape->code;
        }
    }
    if (!found) return std::nullopt;
    return admin_by_adm3(conn, *found);
}

std::optional<admin_match> admin_by_adm3(connection& conn, std::string_view adm3) {
    static const std::string sql = std::string(select_admin) + " WHERE a3.code = ?";
    cached_query st(conn, sql);
    st->bind(1, adm3);
    return read_admin(*st);
}

bool admin_code_exists(connection& conn, int level, std::string_view code) {
    cached_query st(conn, "SELECT 1 FROM adm" + std::to_string(level) + " WHERE code = ?");
    st->bind(1, code);
    return st->step();
}

std::vector<boundary_candidate> boundaries_near(connection& conn, const geo::bbox& box, std::int64_t exclude_id) {
    static const sql_per_backend sql([](const dialect& d) {
        return "SELECT p.id, p.code, AsBinary(p.boundary) FROM plots p WHERE " + d.box_meets("p", "plots", "boundary", {"?1", "?2", "?3", "?4"}) +
               " AND p.deleted_at IS NULL AND p.boundary IS NOT NULL AND p.id <> ?5 ORDER BY p.id";
    });
    cached_query st(conn, sql(conn));
    st->bind(1, box.min_x).bind(2, box.min_y).bind(3, box.max_x).bind(4, box.max_y).bind(5, exclude_id);
    std::vector<boundary_candidate> out;
    while (st->step()) out.push_back({st->int64(0), std::string(st->text(1)), geo::multi_polygon_from_wkb(st->blob(2))});
    return out;
}

std::vector<overlap> overlapping_plots(connection& conn, const geo::multi_polygon& boundary, std::int64_t exclude_id,
                                       double min_m2) {
    std::vector<overlap> out;
    for (const boundary_candidate& other : boundaries_near(conn, geo::envelope(boundary), exclude_id)) {
        const double shared = geo::geodesic_area_m2(geo::intersection(boundary, other.boundary));
        if (shared > min_m2) out.push_back({other.id, other.code, shared});
    }
    return out;
}

int next_code_sequence(connection& conn, std::string_view adm3) {
    // Codes starting "<adm3>-" are the range ["<adm3>-", "<adm3>.") of the unique code index
    // ('.' follows '-'), which an import keeps while it defers the other indexes.
    cached_query st(conn, "SELECT coalesce(max(CAST(substr(code, length(?1) + 2) AS INTEGER)), 0) + 1 FROM plots "
                          "WHERE code >= ?1 || '-' AND code < ?1 || '.' AND adm3 = ?1");
    st->bind(1, adm3);
    st->step();
    return static_cast<int>(st->int64(0));
}

namespace {
/// The geometry columns whose R*Trees no batch lookup reads (bbox queries of lists and tiles do).
constexpr std::array<std::string_view, 2> unread_in_batches{"pin", "location"};
} // namespace

deferred_plot_indexes::deferred_plot_indexes(connection& conn) : indexes_(conn, {"plots", "stage_changes", "review_changes"}) {
    for (const std::string_view column : unread_in_batches) {
        if (auto fill = conn.impl().defer_spatial_index("plots", column)) spatial_.push_back(std::move(fill));
    }
}

void deferred_plot_indexes::restore() {
    indexes_.restore();
    for (const auto& fill : spatial_) fill();
    spatial_.clear();
}

} // namespace plotmap::data
