#include "data/sqlite/rtree.hpp"

#include "geo/error.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <span>

namespace plotmap::data::sqlite {
namespace {

constexpr std::size_t cell_bytes = 8 + 4 * 4; // id, then min_x, max_x, min_y, max_y

struct statement_finalizer {
    void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

std::string quoted(const std::string& name) {
    std::string out = "\"";
    for (const char ch : name) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

class writer {
public:
    writer(sqlite3* db, const std::string& table) : db_(db), table_(table) {}

    statement_ptr prepare(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        check(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), sql);
        return statement_ptr(st);
    }

    void check(int rc, const std::string& what) const {
        if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
            throw error("R*Tree " + table_ + ": " + what + ": " + sqlite3_errmsg(db_));
        }
    }

    void run(sqlite3_stmt* st, const std::string& what) {
        check(sqlite3_step(st), what);
        sqlite3_reset(st);
    }

private:
    sqlite3* db_;
    std::string table_;
};

void put_u16(unsigned char* at, std::uint16_t v) {
    at[0] = static_cast<unsigned char>(v >> 8);
    at[1] = static_cast<unsigned char>(v);
}

void put_u64(unsigned char* at, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        at[i] = static_cast<unsigned char>(v);
        v >>= 8;
    }
}

void put_f32(unsigned char* at, float f) {
    std::uint32_t v = std::bit_cast<std::uint32_t>(f);
    for (int i = 3; i >= 0; --i) {
        at[i] = static_cast<unsigned char>(v);
        v >>= 8;
    }
}

double centre_x(const rtree_box& b) { return (static_cast<double>(b.min_x) + static_cast<double>(b.max_x)) / 2; }
double centre_y(const rtree_box& b) { return (static_cast<double>(b.min_y) + static_cast<double>(b.max_y)) / 2; }

/// Sort-Tile-Recursive order: vertical slices by centre x, each slice by centre y, so that
/// each run of `capacity` boxes is a compact tile.
void str_order(std::vector<rtree_box>& boxes, std::size_t capacity) {
    const auto by_x = [](const rtree_box& a, const rtree_box& b) { return centre_x(a) < centre_x(b); };
    const auto by_y = [](const rtree_box& a, const rtree_box& b) { return centre_y(a) < centre_y(b); };
    std::sort(boxes.begin(), boxes.end(), by_x);
    const std::size_t nodes = (boxes.size() + capacity - 1) / capacity;
    const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(nodes))));
    const std::size_t per_slice = slices * capacity;
    for (std::size_t start = 0; start < boxes.size(); start += per_slice) {
        const auto first = boxes.begin() + static_cast<std::ptrdiff_t>(start);
        const auto last = boxes.begin() + static_cast<std::ptrdiff_t>(std::min(boxes.size(), start + per_slice));
        std::sort(first, last, by_y);
    }
}

rtree_box union_of(std::span<const rtree_box> cells, std::int64_t id) {
    rtree_box u{id, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
    for (const rtree_box& c : cells) {
        u.min_x = std::min(u.min_x, c.min_x);
        u.max_x = std::max(u.max_x, c.max_x);
        u.min_y = std::min(u.min_y, c.min_y);
        u.max_y = std::max(u.max_y, c.max_y);
    }
    return u;
}

} // namespace

rtree_box rtree_box_of(std::int64_t id, double min_x, double min_y, double max_x, double max_y) {
    const auto down = [](double d) {
        float f = static_cast<float>(d);
        return static_cast<double>(f) > d ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
    };
    const auto up = [](double d) {
        float f = static_cast<float>(d);
        return static_cast<double>(f) < d ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
    };
    return {id, down(min_x), up(max_x), down(min_y), up(max_y)};
}

void bulk_load_rtree(sqlite3* db, const std::string& table, std::vector<rtree_box> boxes) {
    writer w(db, table);
    std::size_t node_bytes = 0;
    {
        // The root exists from the table's creation and has the size every node must have.
        auto st = w.prepare("SELECT length(data), (SELECT count(*) FROM " + quoted(table + "_rowid") + ") FROM " +
                            quoted(table + "_node") + " WHERE nodeno = 1");
        if (sqlite3_step(st.get()) != SQLITE_ROW) throw error("R*Tree " + table + " has no root node");
        node_bytes = static_cast<std::size_t>(sqlite3_column_int64(st.get(), 0));
        if (sqlite3_column_int64(st.get(), 1) != 0) throw error("R*Tree " + table + " is not empty");
    }
    if (node_bytes < 4 + 2 * cell_bytes) throw error("R*Tree " + table + " has nodes of " + std::to_string(node_bytes) + " bytes");
    const std::size_t capacity = (node_bytes - 4) / cell_bytes;
    if (boxes.empty()) return;

    auto put_node = w.prepare("INSERT OR REPLACE INTO " + quoted(table + "_node") + " (nodeno, data) VALUES (?, ?)");
    auto put_rowid = w.prepare("INSERT INTO " + quoted(table + "_rowid") + " (rowid, nodeno) VALUES (?, ?)");
    auto put_parent = w.prepare("INSERT INTO " + quoted(table + "_parent") + " (nodeno, parentnode) VALUES (?, ?)");
    std::vector<unsigned char> node(node_bytes);
    std::int64_t next_node = 2; // 1 is the root
    const auto write_node = [&](std::int64_t nodeno, std::span<const rtree_box> cells, int depth, bool root) {
        std::fill(node.begin(), node.end(), 0);
        if (root) put_u16(node.data(), static_cast<std::uint16_t>(depth));
        put_u16(node.data() + 2, static_cast<std::uint16_t>(cells.size()));
        unsigned char* at = node.data() + 4;
        for (const rtree_box& c : cells) {
            put_u64(at, static_cast<std::uint64_t>(c.id));
            put_f32(at + 8, c.min_x);
            put_f32(at + 12, c.max_x);
            put_f32(at + 16, c.min_y);
            put_f32(at + 20, c.max_y);
            at += cell_bytes;
        }
        sqlite3_bind_int64(put_node.get(), 1, nodeno);
        sqlite3_bind_blob(put_node.get(), 2, node.data(), static_cast<int>(node.size()), SQLITE_STATIC);
        w.run(put_node.get(), "node");
        // Where each cell's row (a leaf) or child node (above the leaves) lives.
        sqlite3_stmt* map = depth == 0 ? put_rowid.get() : put_parent.get();
        for (const rtree_box& c : cells) {
            sqlite3_bind_int64(map, 1, c.id);
            sqlite3_bind_int64(map, 2, nodeno);
            w.run(map, depth == 0 ? "rowid" : "parent");
        }
    };

    std::vector<rtree_box> level = std::move(boxes);
    for (int depth = 0;; ++depth) {
        if (level.size() <= capacity) {
            write_node(1, level, depth, true);
            return;
        }
        if (depth >= 40) throw error("R*Tree " + table + ": too deep"); // cannot happen: each level is 1/capacity of the last
        str_order(level, capacity);
        std::vector<rtree_box> above;
        above.reserve(level.size() / capacity + 1);
        for (std::size_t start = 0; start < level.size(); start += capacity) {
            const std::span<const rtree_box> cells(level.data() + start, std::min(capacity, level.size() - start));
            const std::int64_t nodeno = next_node++;
            write_node(nodeno, cells, depth, false);
            above.push_back(union_of(cells, nodeno));
        }
        level = std::move(above);
    }
}

} // namespace plotmap::data::sqlite
