#include "data/cql2.hpp"

#include "data/clock.hpp"
#include "data/dialect.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

namespace plotmap::data::cql2 {
namespace {

using nlohmann::json;

// Bounds on what a client may send: the parser recurses, and every value is an SQL parameter.
constexpr int max_depth = 40;
constexpr std::size_t max_nodes = 400;
constexpr std::size_t max_positions = 20000;

// ---- syntax tree -------------------------------------------------------------------------

/// Nested coordinates as WKT and GeoJSON share them: a leaf is one position.
struct coords {
    std::vector<coords> items;
    std::vector<double> position; ///< set on leaves only
    [[nodiscard]] bool leaf() const { return !position.empty(); }
};

struct operand {
    enum class kind { property, text, number, boolean, timestamp, date, geometry, null } k = kind::null;
    std::string text;    ///< property name, string, normalised timestamp or date, or lon/lat WKT
    double number = 0;
    bool integral = false;
    std::string where;
};

struct node {
    enum class kind { and_, or_, not_, compare, like, between, in, is_null, spatial } k = kind::compare;
    std::string op;             ///< "=", "<>", ... for compare; "s_intersects", ... for spatial
    std::vector<node> children; ///< and, or, not
    std::vector<operand> args;  ///< predicates
    std::string where;
};

const std::array<std::string_view, 8> spatial_functions{"s_intersects", "s_disjoint", "s_within", "s_contains",
                                                        "s_equals",     "s_touches",  "s_overlaps", "s_crosses"};

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool is_spatial(const std::string& name) {
    return std::find(spatial_functions.begin(), spatial_functions.end(), name) != spatial_functions.end();
}

// ---- geometry literals -------------------------------------------------------------------

/// Levels of nesting above the positions a geometry type has (MultiPoint accepts 1 or 2).
int nesting_of(const std::string& type) {
    if (type == "point") return 0;
    if (type == "linestring" || type == "multipoint") return 1;
    if (type == "polygon" || type == "multilinestring") return 2;
    if (type == "multipolygon") return 3;
    return -1;
}

void check_shape(const coords& c, int depth, const std::string& where) {
    if (depth == 0) {
        if (!c.leaf() || c.position.size() < 2 || c.position.size() > 3) {
            throw error("a position must have 2 or 3 numbers", where);
        }
        return;
    }
    if (c.leaf() || c.items.empty()) throw error("geometry nesting does not match its type", where);
    for (const coords& item : c.items) check_shape(item, depth - 1, where);
}

void write_wkt(const coords& c, std::string& out) {
    if (c.leaf()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.12g %.12g", c.position[0], c.position[1]);
        out += buf;
        return;
    }
    out.push_back('(');
    for (std::size_t i = 0; i < c.items.size(); ++i) {
        if (i) out.push_back(',');
        write_wkt(c.items[i], out);
    }
    out.push_back(')');
}

class geometry_builder {
public:
    explicit geometry_builder(const geo::crs& crs) : crs_(crs) {}

    /// `type` lower-case; `c` the coordinates as read (for a point: one leaf inside one level).
    std::string wkt(const std::string& type, coords c, const std::string& where) {
        int depth = nesting_of(type);
        if (depth < 0) throw error("unknown geometry type '" + type + "'; use POINT, LINESTRING, POLYGON or their MULTI forms, or BBOX", where);
        if (type == "point") {
            // POINT(x y) reads as one level holding a leaf.
            if (c.items.size() != 1) throw error("a point has one position", where);
            coords only = std::move(c.items.front());
            c = std::move(only);
        } else if (type == "multipoint" && !c.items.empty() && !c.items.front().leaf()) {
            depth = 2; // MULTIPOINT((1 2),(3 4))
        }
        check_shape(c, depth, where);
        transform(c, where);
        if (type == "multipoint" && depth == 2) {
            coords flat;
            for (coords& item : c.items) flat.items.push_back(item.items.front());
            c = std::move(flat);
        }
        std::string out;
        for (char ch : type) out.push_back(static_cast<char>(ch - 'a' + 'A'));
        if (type == "point") {
            out += "(";
            write_wkt(c, out);
            out += ")";
        } else {
            write_wkt(c, out);
        }
        return out;
    }

    std::string bbox(const std::vector<double>& v, const std::string& where) {
        if (v.size() != 4 && v.size() != 6) throw error("a bbox has 4 numbers (or 6 with heights)", where);
        const std::size_t n = v.size() / 2;
        double x0 = v[0], y0 = v[1], x1 = v[n], y1 = v[n + 1];
        if (crs_.lat_first) {
            std::swap(x0, y0);
            std::swap(x1, y1);
        }
        if (x0 > x1 || y0 > y1) throw error("a bbox is minx,miny,maxx,maxy with the minimum first", where);
        coords ring;
        for (const auto& [x, y] : std::array<std::pair<double, double>, 5>{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}) {
            coords pt;
            pt.position = {x, y};
            if (crs_.lat_first) std::swap(pt.position[0], pt.position[1]); // transform() swaps back
            ring.items.push_back(std::move(pt));
        }
        coords poly;
        poly.items.push_back(std::move(ring));
        transform(poly, where);
        std::string out = "POLYGON";
        write_wkt(poly, out);
        return out;
    }

private:
    void transform(coords& c, const std::string& where) {
        if (c.leaf()) {
            if (++positions_ > max_positions) throw error("the filter's geometries have too many positions", where);
            geo::point p{c.position[0], c.position[1]};
            if (crs_.lat_first) p = {p.y, p.x};
            if (!std::isfinite(p.x) || !std::isfinite(p.y)) throw error("coordinates must be finite numbers", where);
            try {
                p = geo::transformer_for(crs_, geo::crs84()).apply(p);
            } catch (const invalid_geometry&) {
                throw error("a position cannot be transformed from " + crs_.id + " (is it in that CRS?)", where);
            }
            if (p.x < -180 || p.x > 180 || p.y < -90 || p.y > 90) {
                throw error("a position is outside longitude -180..180, latitude -90..90 (check filter-crs and axis order)", where);
            }
            c.position = {p.x, p.y};
            return;
        }
        for (coords& item : c.items) transform(item, where);
    }

    const geo::crs& crs_;
    std::size_t positions_ = 0;
};

// ---- text encoding -----------------------------------------------------------------------

struct token {
    enum class kind { end, ident, quoted_ident, string, number, punct } k = kind::end;
    std::string text;
    std::size_t at = 0; ///< byte offset
};

class text_parser {
public:
    text_parser(std::string_view src, geometry_builder& geometries) : src_(src), geometries_(geometries) { advance(); }

    node parse() {
        node n = parse_or(0);
        if (tok_.k != token::kind::end) fail("unexpected '" + geo::utf8_prefix(tok_.text, 30) + "' after a complete filter");
        return n;
    }

private:
    [[noreturn]] void fail(const std::string& message) const { throw error(message, where(tok_.at)); }

    std::string where(std::size_t byte) const {
        // Characters, not bytes: Thai values are three bytes each.
        std::size_t chars = 1;
        for (std::size_t i = 0; i < byte && i < src_.size(); ++i) {
            if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) ++chars;
        }
        return "character " + std::to_string(chars);
    }

    void advance() {
        std::size_t i = pos_;
        while (i < src_.size() && (src_[i] == ' ' || src_[i] == '\t' || src_[i] == '\n' || src_[i] == '\r')) ++i;
        tok_ = token{};
        tok_.at = i;
        if (i >= src_.size()) {
            pos_ = i;
            return;
        }
        const char c = src_[i];
        const auto is_digit = [](char ch) { return ch >= '0' && ch <= '9'; };
        const auto ident_start = [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (static_cast<unsigned char>(ch) >= 0x80);
        };
        if (ident_start(c)) {
            std::size_t j = i;
            while (j < src_.size() && (ident_start(src_[j]) || is_digit(src_[j]) || src_[j] == '.' || src_[j] == ':')) ++j;
            tok_.k = token::kind::ident;
            tok_.text = std::string(src_.substr(i, j - i));
            pos_ = j;
        } else if (c == '\'' || c == '"') {
            std::string value;
            std::size_t j = i + 1;
            for (;;) {
                if (j >= src_.size()) {
                    tok_.at = i;
                    fail(c == '\'' ? "a string is not closed (missing ')" : "a quoted property name is not closed (missing \")");
                }
                if (src_[j] == c) {
                    if (j + 1 < src_.size() && src_[j + 1] == c) {
                        value.push_back(c);
                        j += 2;
                        continue;
                    }
                    break;
                }
                value.push_back(src_[j++]);
            }
            tok_.k = c == '\'' ? token::kind::string : token::kind::quoted_ident;
            tok_.text = std::move(value);
            pos_ = j + 1;
        } else if (is_digit(c) || ((c == '-' || c == '+' || c == '.') && i + 1 < src_.size() && (is_digit(src_[i + 1]) || src_[i + 1] == '.'))) {
            std::size_t j = i + 1;
            while (j < src_.size() && (is_digit(src_[j]) || src_[j] == '.' || src_[j] == 'e' || src_[j] == 'E' ||
                                       ((src_[j] == '-' || src_[j] == '+') && (src_[j - 1] == 'e' || src_[j - 1] == 'E')))) {
                ++j;
            }
            tok_.k = token::kind::number;
            tok_.text = std::string(src_.substr(i, j - i));
            pos_ = j;
        } else {
            static constexpr std::array<std::string_view, 4> two{"<>", "<=", ">=", "!="};
            tok_.k = token::kind::punct;
            for (const std::string_view op : two) {
                if (src_.substr(i, 2) == op) {
                    tok_.text = std::string(op);
                    pos_ = i + 2;
                    return;
                }
            }
            if (std::string_view("(),=<>").find(c) == std::string_view::npos) {
                fail(std::string("unexpected character '") + geo::utf8_prefix(std::string(src_.substr(i, 4)), 1) + "'");
            }
            tok_.text = std::string(1, c);
            pos_ = i + 1;
        }
    }

    bool keyword(std::string_view word) const { return tok_.k == token::kind::ident && lower_ascii(tok_.text) == word; }
    bool punct(std::string_view p) const { return tok_.k == token::kind::punct && tok_.text == p; }

    void expect_punct(std::string_view p, const char* what) {
        if (!punct(p)) fail(std::string("expected ") + what);
        advance();
    }

    void enter(int depth) {
        if (depth > max_depth) fail("the filter is nested too deeply");
        if (++nodes_ > max_nodes) fail("the filter is too long");
    }

    node parse_or(int depth) { return parse_chain(depth, "or", node::kind::or_, &text_parser::parse_and); }
    node parse_and(int depth) { return parse_chain(depth, "and", node::kind::and_, &text_parser::parse_not); }

    /// operand { word operand }: OR over ANDs, AND over NOTs.
    node parse_chain(int depth, std::string_view word, node::kind k, node (text_parser::*operand)(int)) {
        enter(depth);
        node left = (this->*operand)(depth + 1);
        if (!keyword(word)) return left;
        node n;
        n.k = k;
        n.children.push_back(std::move(left));
        while (keyword(word)) {
            advance();
            n.children.push_back((this->*operand)(depth + 1));
        }
        return n;
    }

    node parse_not(int depth) {
        enter(depth);
        if (keyword("not")) {
            node n;
            n.k = node::kind::not_;
            n.where = where(tok_.at);
            advance();
            n.children.push_back(parse_not(depth + 1));
            return n;
        }
        return parse_predicate(depth + 1);
    }

    node parse_predicate(int depth) {
        enter(depth);
        if (punct("(")) {
            advance();
            node inner = parse_or(depth + 1);
            expect_punct(")", "')' to close '('");
            return inner;
        }
        if (tok_.k == token::kind::ident && is_spatial(lower_ascii(tok_.text))) {
            node n;
            n.k = node::kind::spatial;
            n.op = lower_ascii(tok_.text);
            n.where = where(tok_.at);
            advance();
            expect_punct("(", "'(' after the spatial function");
            n.args.push_back(parse_spatial_operand());
            expect_punct(",", "',' between the two geometries");
            n.args.push_back(parse_spatial_operand());
            expect_punct(")", "')' to close the spatial function");
            return n;
        }
        if (tok_.k == token::kind::end) fail("expected a condition such as stage = 'complete'");
        node n;
        n.where = where(tok_.at);
        n.args.push_back(parse_scalar());
        bool negate = false;
        if (keyword("not")) {
            negate = true;
            advance();
            if (!keyword("like") && !keyword("ilike") && !keyword("between") && !keyword("in")) fail("expected LIKE, BETWEEN or IN after NOT");
        }
        if (tok_.k == token::kind::punct && (punct("=") || punct("<>") || punct("!=") || punct("<") || punct("<=") || punct(">") || punct(">="))) {
            n.k = node::kind::compare;
            n.op = tok_.text == "!=" ? "<>" : tok_.text;
            advance();
            n.args.push_back(parse_scalar());
        } else if (keyword("like") || keyword("ilike")) {
            n.k = node::kind::like;
            n.op = lower_ascii(tok_.text);
            advance();
            n.args.push_back(parse_scalar());
        } else if (keyword("between")) {
            n.k = node::kind::between;
            advance();
            n.args.push_back(parse_scalar());
            if (!keyword("and")) fail("expected AND in BETWEEN … AND …");
            advance();
            n.args.push_back(parse_scalar());
        } else if (keyword("in")) {
            n.k = node::kind::in;
            advance();
            expect_punct("(", "'(' to open the IN list");
            n.args.push_back(parse_scalar());
            while (punct(",")) {
                advance();
                if (++nodes_ > max_nodes) fail("the IN list is too long");
                n.args.push_back(parse_scalar());
            }
            expect_punct(")", "')' to close the IN list");
        } else if (keyword("is")) {
            n.k = node::kind::is_null;
            advance();
            if (keyword("not")) {
                negate = true;
                advance();
            }
            if (!keyword("null")) fail("expected NULL after IS");
            advance();
        } else {
            fail("expected a comparison (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL");
        }
        if (!negate) return n;
        node wrapper;
        wrapper.k = node::kind::not_;
        wrapper.where = n.where;
        wrapper.children.push_back(std::move(n));
        return wrapper;
    }

    operand parse_scalar() {
        operand o;
        o.where = where(tok_.at);
        switch (tok_.k) {
        case token::kind::string:
            o.k = operand::kind::text;
            o.text = tok_.text;
            advance();
            return o;
        case token::kind::number: return number_operand();
        case token::kind::quoted_ident:
            o.k = operand::kind::property;
            o.text = tok_.text;
            advance();
            return o;
        case token::kind::ident: {
            const std::string word = lower_ascii(tok_.text);
            if (word == "true" || word == "false") {
                o.k = operand::kind::boolean;
                o.number = word == "true";
                advance();
                return o;
            }
            if (word == "null") {
                o.k = operand::kind::null;
                advance();
                return o;
            }
            if (word == "timestamp" || word == "date") {
                advance();
                expect_punct("(", "'(' after TIMESTAMP or DATE");
                if (tok_.k != token::kind::string) fail("expected a quoted time, e.g. TIMESTAMP('2026-11-01T00:00:00Z')");
                o.text = tok_.text;
                advance();
                expect_punct(")", "')'");
                return temporal(std::move(o), word == "date");
            }
            o.k = operand::kind::property;
            o.text = tok_.text;
            advance();
            return o;
        }
        default: fail("expected a property name or a value");
        }
    }

    operand number_operand() {
        operand o;
        o.where = where(tok_.at);
        const std::string& t = tok_.text;
        char* end = nullptr;
        o.number = std::strtod(t.c_str(), &end);
        if (end != t.c_str() + t.size() || !std::isfinite(o.number)) fail("'" + t + "' is not a number");
        o.integral = t.find_first_of(".eE") == std::string::npos && std::fabs(o.number) < 9e15;
        o.k = operand::kind::number;
        advance();
        return o;
    }

    operand temporal(operand o, bool date) const {
        if (date) {
            if (!is_date(o.text)) throw error("DATE takes a date like '2026-11-01'", o.where);
            o.k = operand::kind::date;
        } else {
            const auto t = utc_timestamp(o.text);
            if (!t) throw error("TIMESTAMP takes an RFC 3339 UTC time like '2026-11-01T08:30:00Z'", o.where);
            o.k = operand::kind::timestamp;
            o.text = *t;
        }
        return o;
    }

    operand parse_spatial_operand() {
        operand o;
        o.where = where(tok_.at);
        if (tok_.k == token::kind::ident) {
            const std::string word = lower_ascii(tok_.text);
            if (word == "bbox" || word == "envelope") {
                advance();
                expect_punct("(", "'(' after BBOX");
                std::vector<double> v;
                for (;;) {
                    if (tok_.k != token::kind::number) fail("BBOX takes numbers: BBOX(minx, miny, maxx, maxy)");
                    v.push_back(number_operand().number);
                    if (!punct(",")) break;
                    advance();
                }
                expect_punct(")", "')' to close BBOX");
                if (word == "envelope" && v.size() == 4) v = {v[0], v[2], v[1], v[3]}; // ENVELOPE(minx, maxx, maxy, miny) of CQL 1
                o.k = operand::kind::geometry;
                o.text = geometries_.bbox(v, o.where);
                return o;
            }
            if (nesting_of(word) >= 0) {
                advance();
                coords c = parse_coords(0);
                o.k = operand::kind::geometry;
                o.text = geometries_.wkt(word, std::move(c), o.where);
                return o;
            }
        }
        return parse_scalar();
    }

    coords parse_coords(int depth) {
        if (depth > 4) fail("geometry nesting is too deep");
        expect_punct("(", "'(' to open coordinates");
        coords c;
        for (;;) {
            if (punct("(")) {
                c.items.push_back(parse_coords(depth + 1));
            } else {
                coords leaf;
                while (tok_.k == token::kind::number) leaf.position.push_back(number_operand().number);
                if (leaf.position.empty()) fail("expected coordinates (numbers separated by spaces)");
                c.items.push_back(std::move(leaf));
            }
            if (!punct(",")) break;
            advance();
        }
        expect_punct(")", "')' to close coordinates");
        return c;
    }

    std::string_view src_;
    geometry_builder& geometries_;
    std::size_t pos_ = 0;
    std::size_t nodes_ = 0;
    token tok_;
};

// ---- JSON encoding -----------------------------------------------------------------------

class json_parser {
public:
    explicit json_parser(geometry_builder& geometries) : geometries_(geometries) {}

    node parse(const json& j, const std::string& at, int depth) {
        if (depth > max_depth) throw error("the filter is nested too deeply", at);
        if (++nodes_ > max_nodes) throw error("the filter is too long", at);
        if (!j.is_object() || !j.contains("op") || !j["op"].is_string()) {
            throw error("expected an object {\"op\": ..., \"args\": [...]}", at.empty() ? "/" : at);
        }
        const std::string op = lower_ascii(j["op"].get<std::string>());
        if (!j.contains("args") || !j["args"].is_array()) throw error("\"" + op + "\" needs an \"args\" array", at);
        const json& args = j["args"];
        const auto arg_at = [&](std::size_t i) { return at + "/args/" + std::to_string(i); };
        const auto need = [&](std::size_t n) {
            if (args.size() != n) throw error("\"" + op + "\" takes " + std::to_string(n) + " arguments", at + "/args");
        };
        node n;
        n.where = at.empty() ? "/" : at;
        if (op == "and" || op == "or") {
            if (args.size() < 2) throw error("\"" + op + "\" takes two or more arguments", at + "/args");
            n.k = op == "and" ? node::kind::and_ : node::kind::or_;
            for (std::size_t i = 0; i < args.size(); ++i) n.children.push_back(parse(args[i], arg_at(i), depth + 1));
        } else if (op == "not") {
            need(1);
            n.k = node::kind::not_;
            n.children.push_back(parse(args[0], arg_at(0), depth + 1));
        } else if (op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
            need(2);
            n.k = node::kind::compare;
            n.op = op;
            n.args = {scalar(args[0], arg_at(0)), scalar(args[1], arg_at(1))};
        } else if (op == "like") {
            need(2);
            n.k = node::kind::like;
            n.args = {scalar(args[0], arg_at(0)), scalar(args[1], arg_at(1))};
        } else if (op == "between") {
            need(3);
            n.k = node::kind::between;
            n.args = {scalar(args[0], arg_at(0)), scalar(args[1], arg_at(1)), scalar(args[2], arg_at(2))};
        } else if (op == "in") {
            need(2);
            if (!args[1].is_array()) throw error("\"in\" takes a property and an array of values", arg_at(1));
            if (args[1].size() > max_nodes) throw error("the IN list is too long", arg_at(1));
            n.k = node::kind::in;
            n.args.push_back(scalar(args[0], arg_at(0)));
            for (std::size_t i = 0; i < args[1].size(); ++i) n.args.push_back(scalar(args[1][i], arg_at(1) + "/" + std::to_string(i)));
        } else if (op == "isnull") {
            need(1);
            n.k = node::kind::is_null;
            n.args.push_back(scalar(args[0], arg_at(0)));
        } else if (is_spatial(op)) {
            need(2);
            n.k = node::kind::spatial;
            n.op = op;
            n.args = {spatial_operand(args[0], arg_at(0)), spatial_operand(args[1], arg_at(1))};
        } else {
            throw error("unknown operator \"" + geo::utf8_prefix(op, 30) +
                            "\"; use and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull or an s_ spatial function",
                        at + "/op");
        }
        return n;
    }

private:
    operand scalar(const json& j, const std::string& at) {
        operand o;
        o.where = at;
        if (j.is_string()) {
            o.k = operand::kind::text;
            o.text = j.get<std::string>();
        } else if (j.is_number()) {
            o.k = operand::kind::number;
            o.number = j.get<double>();
            o.integral = j.is_number_integer() || j.is_number_unsigned();
        } else if (j.is_boolean()) {
            o.k = operand::kind::boolean;
            o.number = j.get<bool>();
        } else if (j.is_null()) {
            o.k = operand::kind::null;
        } else if (j.is_object() && j.contains("property") && j["property"].is_string()) {
            o.k = operand::kind::property;
            o.text = j["property"].get<std::string>();
        } else if (j.is_object() && j.contains("timestamp") && j["timestamp"].is_string()) {
            const auto t = utc_timestamp(j["timestamp"].get<std::string>());
            if (!t) throw error("\"timestamp\" takes an RFC 3339 UTC time like \"2026-11-01T08:30:00Z\"", at);
            o.k = operand::kind::timestamp;
            o.text = *t;
        } else if (j.is_object() && j.contains("date") && j["date"].is_string()) {
            o.text = j["date"].get<std::string>();
            if (!is_date(o.text)) throw error("\"date\" takes a date like \"2026-11-01\"", at);
            o.k = operand::kind::date;
        } else {
            throw error("expected a value or {\"property\": name}", at);
        }
        return o;
    }

    operand spatial_operand(const json& j, const std::string& at) {
        if (j.is_object() && j.contains("bbox")) {
            std::vector<double> v;
            if (!j["bbox"].is_array()) throw error("\"bbox\" takes an array of numbers", at);
            for (const json& x : j["bbox"]) {
                if (!x.is_number()) throw error("\"bbox\" takes an array of numbers", at);
                v.push_back(x.get<double>());
            }
            operand o;
            o.k = operand::kind::geometry;
            o.where = at;
            o.text = geometries_.bbox(v, at);
            return o;
        }
        if (j.is_object() && j.contains("type") && j["type"].is_string() && j.contains("coordinates")) {
            operand o;
            o.k = operand::kind::geometry;
            o.where = at;
            const std::string type = lower_ascii(j["type"].get<std::string>());
            coords c = from_json(j["coordinates"], at + "/coordinates", 0);
            if (type == "point") {
                coords wrapper;
                wrapper.items.push_back(std::move(c));
                c = std::move(wrapper);
            }
            o.text = geometries_.wkt(type, std::move(c), at);
            return o;
        }
        return scalar(j, at);
    }

    coords from_json(const json& j, const std::string& at, int depth) {
        if (depth > 4 || !j.is_array()) throw error("coordinates must be nested arrays of numbers", at);
        coords c;
        if (!j.empty() && j.front().is_number()) {
            for (const json& x : j) {
                if (!x.is_number()) throw error("a position must be an array of numbers", at);
                c.position.push_back(x.get<double>());
            }
            return c;
        }
        for (const json& item : j) c.items.push_back(from_json(item, at, depth + 1));
        return c;
    }

    geometry_builder& geometries_;
    std::size_t nodes_ = 0;
};

// ---- SQL ---------------------------------------------------------------------------------

class compiler {
public:
    explicit compiler(const target& t) : t_(t) {}

    sql_filter run(const node& n) {
        sql_filter out;
        out.sql = emit(n);
        out.params = std::move(params_);
        return out;
    }

private:
    std::string param(sql_value v) {
        params_.push_back(std::move(v));
        return ":cql" + std::to_string(params_.size());
    }

    const queryable& property(const operand& o) const {
        for (const queryable& q : t_.properties) {
            if (q.name == o.text) return q;
        }
        std::string names;
        for (const queryable& q : t_.properties) names += (names.empty() ? "" : ", ") + q.name;
        throw error("unknown property '" + geo::utf8_prefix(o.text, 40) + "'; the queryables are " + names + " and " + t_.geometry.name, o.where);
    }

    static const char* type_name(value_type t) {
        switch (t) {
        case value_type::text: return "text";
        case value_type::integer: return "a whole number";
        case value_type::number: return "a number";
        case value_type::timestamp: return "a time";
        }
        return "";
    }

    /// The SQL for a value compared with `q`: a bound parameter, after a type check. A DATE
    /// against a timestamp compares the property's date part (`column` is adjusted).
    std::string value_for(const queryable& q, const operand& v, std::string& column) {
        switch (v.k) {
        case operand::kind::text:
            if (q.type == value_type::text) return param(v.text);
            if (q.type == value_type::timestamp) {
                if (const auto t = utc_timestamp(v.text)) return param(*t);
                if (is_date(v.text)) {
                    column = "substr(" + q.sql + ", 1, 10)";
                    return param(v.text);
                }
            }
            break;
        case operand::kind::number:
            if (q.type == value_type::integer && v.integral) return param(static_cast<std::int64_t>(v.number));
            if (q.type == value_type::integer || q.type == value_type::number) return param(v.number);
            break;
        case operand::kind::timestamp:
            if (q.type == value_type::timestamp) return param(v.text);
            break;
        case operand::kind::date:
            if (q.type == value_type::timestamp) {
                column = "substr(" + q.sql + ", 1, 10)";
                return param(v.text);
            }
            break;
        case operand::kind::null:
            throw error("compare with NULL using IS NULL or IS NOT NULL", v.where);
        case operand::kind::property:
            throw error("comparing two properties is not supported; compare a property with a value", v.where);
        case operand::kind::geometry:
            throw error("a geometry can only be used in a spatial function such as S_INTERSECTS", v.where);
        case operand::kind::boolean: break;
        }
        throw error("'" + q.name + "' is " + type_name(q.type) + "; the value given does not match", v.where);
    }

    /// Orders a predicate's operands property first; flips a comparison when written value-first.
    static std::string flipped(const std::string& op) {
        if (op == "<") return ">";
        if (op == "<=") return ">=";
        if (op == ">") return "<";
        if (op == ">=") return "<=";
        return op;
    }

    std::string emit(const node& n) {
        switch (n.k) {
        case node::kind::and_:
        case node::kind::or_: {
            std::string out = "(";
            for (std::size_t i = 0; i < n.children.size(); ++i) {
                if (i) out += n.k == node::kind::and_ ? " AND " : " OR ";
                out += emit(n.children[i]);
            }
            return out + ")";
        }
        case node::kind::not_: return "(NOT " + emit(n.children.front()) + ")";
        case node::kind::compare: {
            const operand* prop = &n.args[0];
            const operand* value = &n.args[1];
            std::string op = n.op;
            if (prop->k != operand::kind::property && value->k == operand::kind::property) {
                std::swap(prop, value);
                op = flipped(op);
            }
            if (prop->k != operand::kind::property) throw error("a comparison needs a property on one side", n.where);
            const queryable& q = property(*prop);
            std::string column = q.sql;
            const std::string v = value_for(q, *value, column);
            return "(" + column + " " + op + " " + v + ")";
        }
        case node::kind::like: {
            if (n.args[0].k != operand::kind::property) throw error("LIKE needs a property on its left", n.args[0].where);
            const queryable& q = property(n.args[0]);
            if (q.type != value_type::text) throw error("LIKE works on text; '" + q.name + "' is " + type_name(q.type), n.args[0].where);
            if (n.args[1].k != operand::kind::text) throw error("LIKE takes a quoted pattern such as 'HLM-%'", n.args[1].where);
            const dialect& d = dialect_of(t_.backend);
            const std::string pattern = d.like_pattern(n.args[1].text);
            if (n.op == "ilike") return "(" + d.like_exactly("lower(" + q.sql + ")", "lower(" + param(pattern) + ")") + ")";
            return "(" + d.like_exactly(q.sql, param(pattern)) + ")";
        }
        case node::kind::between: {
            if (n.args[0].k != operand::kind::property) throw error("BETWEEN needs a property on its left", n.args[0].where);
            const queryable& q = property(n.args[0]);
            if (q.type == value_type::text) throw error("BETWEEN works on numbers and times; '" + q.name + "' is text", n.args[0].where);
            std::string column = q.sql;
            const std::string low = value_for(q, n.args[1], column);
            const std::string high = value_for(q, n.args[2], column);
            return "(" + column + " BETWEEN " + low + " AND " + high + ")";
        }
        case node::kind::in: {
            if (n.args[0].k != operand::kind::property) throw error("IN needs a property on its left", n.args[0].where);
            const queryable& q = property(n.args[0]);
            std::string column = q.sql;
            std::string list;
            for (std::size_t i = 1; i < n.args.size(); ++i) list += (i > 1 ? ", " : "") + value_for(q, n.args[i], column);
            return "(" + column + " IN (" + list + "))";
        }
        case node::kind::is_null: {
            if (n.args[0].k != operand::kind::property) throw error("IS NULL needs a property", n.args[0].where);
            if (n.args[0].text == t_.geometry.name) return "(" + t_.geometry.sql + " IS NULL)";
            return "(" + property(n.args[0]).sql + " IS NULL)";
        }
        case node::kind::spatial: {
            const operand* prop = &n.args[0];
            const operand* geom = &n.args[1];
            std::string fn = n.op;
            if (prop->k == operand::kind::geometry && geom->k == operand::kind::property) {
                std::swap(prop, geom);
                if (fn == "s_within") fn = "s_contains";
                else if (fn == "s_contains") fn = "s_within";
            }
            if (prop->k != operand::kind::property || prop->text != t_.geometry.name) {
                throw error("a spatial function compares the property '" + t_.geometry.name + "' with a geometry", prop->where);
            }
            if (geom->k != operand::kind::geometry) {
                throw error("expected a geometry: POINT, LINESTRING, POLYGON, their MULTI forms, or BBOX(minx, miny, maxx, maxy)", geom->where);
            }
            const std::string g = "ST_GeomFromText(" + param(geom->text) + ", 4326)";
            static const std::array<std::pair<std::string_view, std::string_view>, 8> functions{{{"s_intersects", "ST_Intersects"},
                                                                                               {"s_disjoint", "ST_Disjoint"},
                                                                                               {"s_within", "ST_Within"},
                                                                                               {"s_contains", "ST_Contains"},
                                                                                               {"s_equals", "ST_Equals"},
                                                                                               {"s_touches", "ST_Touches"},
                                                                                               {"s_overlaps", "ST_Overlaps"},
                                                                                               {"s_crosses", "ST_Crosses"}}};
            std::string sql_fn;
            for (const auto& [name, sql] : functions) {
                if (name == fn) sql_fn = sql;
            }
            const dialect& d = dialect_of(t_.backend);
            const std::string test = d.holds(sql_fn + "(" + t_.geometry.sql + ", " + g + ")");
            if (fn == "s_disjoint") return "(" + t_.geometry.sql + " IS NOT NULL AND " + test + ")";
            // Every other relation needs the boxes to meet: the spatial index narrows first.
            const box_sql box{"MbrMinX(" + g + ")", "MbrMinY(" + g + ")", "MbrMaxX(" + g + ")", "MbrMaxY(" + g + ")"};
            return "(" + d.box_meets(t_.geometry.alias, t_.geometry.index_table, t_.geometry.index_column, box) + " AND " + test + ")";
        }
        }
        return "TRUE";
    }

    const target& t_;
    std::vector<sql_value> params_;
};

} // namespace

sql_filter compile(std::string_view filter, language lang, const target& t, const geo::crs& filter_crs) {
    if (!geo::is_valid_utf8(filter)) throw error("the filter is not valid UTF-8", "character 1");
    geometry_builder geometries(filter_crs);
    node root;
    if (lang == language::text) {
        if (filter.find_first_not_of(" \t\r\n") == std::string_view::npos) throw error("the filter is empty", "character 1");
        root = text_parser(filter, geometries).parse();
    } else {
        json j;
        try {
            j = json::parse(filter);
        } catch (const json::parse_error& e) {
            throw error("the filter is not JSON: " + std::string(e.what()), "byte " + std::to_string(e.byte));
        }
        root = json_parser(geometries).parse(j, "", 0);
    }
    return compiler(t).run(root);
}

const std::vector<std::string>& conformance_classes() {
    static const std::vector<std::string> classes{
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    };
    return classes;
}

} // namespace plotmap::data::cql2
