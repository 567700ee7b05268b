// PMTiles v3 (tiles/pmtiles.hpp): tile ids on the Hilbert curves, directories and headers both
// ways, and an archive whose equal tiles are stored once. The archives are also read by the
// `pmtiles` npm package in the end-to-end tests.
#include "geo/error.hpp"
#include "temp_dir.hpp"
#include "tiles/pmtiles.hpp"
#include "tiles/tile_cache.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace plotmap;
using namespace plotmap::tiles::pmtiles;


namespace {

std::string gunzip(std::string_view in) { return tiles::gunzip(in, std::size_t{1} << 30); }

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST(pmtiles, tile_ids_follow_the_hilbert_curve_zoom_after_zoom) {
    EXPECT_EQ(tile_id_of({0, 0, 0}), 0u);
    EXPECT_EQ(tile_id_of({1, 0, 0}), 1u);
    EXPECT_EQ(tile_id_of({1, 0, 1}), 2u);
    EXPECT_EQ(tile_id_of({1, 1, 1}), 3u);
    EXPECT_EQ(tile_id_of({1, 1, 0}), 4u);
    EXPECT_EQ(tile_id_of({2, 0, 0}), 5u);
    EXPECT_EQ(tile_id_of({3, 5, 2}), 76u); // as the pmtiles npm package numbers it
    for (int z = 0; z <= 7; ++z) {
        std::set<std::uint64_t> ids;
        const std::uint32_t n = 1u << z;
        for (std::uint32_t x = 0; x < n; ++x) {
            for (std::uint32_t y = 0; y < n; ++y) {
                const std::uint64_t id = tile_id_of({z, x, y});
                ids.insert(id);
                ASSERT_EQ(tile_of(id), (geo::tile_id{z, x, y})) << id;
            }
        }
        ASSERT_EQ(ids.size(), std::size_t{n} * n);
        // Consecutive ids are neighbouring tiles: the curve never jumps.
        for (std::uint64_t id = *ids.begin(); id + 1 <= *ids.rbegin(); ++id) {
            const geo::tile_id a = tile_of(id);
            const geo::tile_id b = tile_of(id + 1);
            ASSERT_EQ(std::abs(static_cast<int>(a.x) - static_cast<int>(b.x)) + std::abs(static_cast<int>(a.y) - static_cast<int>(b.y)), 1);
        }
    }
    EXPECT_EQ(tile_of(tile_id_of({26, 67108863, 12345})), (geo::tile_id{26, 67108863, 12345}));
    EXPECT_THROW((void)tile_of(~std::uint64_t{0}), bad_request);
}

TEST(pmtiles, directories_and_headers_read_back_as_written) {
    const std::vector<entry> entries{{0, 0, 100, 1}, {5, 100, 20, 3}, {9, 0, 100, 1}, {1000000, 120, 7, 1}};
    EXPECT_EQ(decode_directory(encode_directory(entries)), entries);
    EXPECT_THROW((void)decode_directory(std::string(1, '\x05')), bad_request);
    EXPECT_THROW((void)decode_directory(""), bad_request);

    header h;
    h.root_offset = 127;
    h.root_length = 321;
    h.data_length = 1ull << 40;
    h.min_zoom = 3;
    h.max_zoom = 14;
    h.min_lon = 97.3437;
    h.min_lat = 5.6134;
    h.max_lon = 105.6370;
    h.max_lat = 20.4648;
    h.center_zoom = 6;
    h.center_lon = 100.5;
    h.center_lat = 13.75;
    const std::string bytes = encode_header(h);
    ASSERT_EQ(bytes.size(), header_size);
    const header back = decode_header(bytes);
    EXPECT_EQ(back.root_length, 321u);
    EXPECT_EQ(back.data_length, 1ull << 40);
    EXPECT_EQ(back.max_zoom, 14);
    EXPECT_DOUBLE_EQ(back.min_lon, 97.3437);
    EXPECT_DOUBLE_EQ(back.max_lat, 20.4648);
    EXPECT_DOUBLE_EQ(back.center_lat, 13.75);
    EXPECT_THROW((void)decode_header("PMTiles"), bad_request);
}

TEST(pmtiles, equal_tiles_are_stored_once_and_runs_are_one_entry) {
    const test::temp_dir dir;
    const auto path = dir / "a.pmtiles";
    writer w(path, header{}, R"({"vector_layers":[{"id":"plots","fields":{}}]})");
    w.add(tile_id_of({0, 0, 0}), "world");
    for (std::uint64_t id = 1; id <= 4; ++id) w.add(id, "sea"); // a run of four
    w.add(5, "land");
    w.add(6, "sea"); // stored already
    EXPECT_THROW(w.add(6, "again"), bad_request);
    const header h = w.finish();
    EXPECT_FALSE(std::filesystem::exists(dir / "a.pmtiles.data.tmp"));
    EXPECT_EQ(h.addressed_tiles, 7u);
    EXPECT_EQ(h.tile_entries, 4u);
    EXPECT_EQ(h.tile_contents, 3u);

    const std::string file = read_all(path);
    const header read = decode_header(file);
    EXPECT_TRUE(read.clustered);
    EXPECT_EQ(read.data_length, std::string("worldsealand").size());
    const std::vector<entry> root = decode_directory(gunzip(std::string_view(file).substr(read.root_offset, read.root_length)));
    ASSERT_EQ(root.size(), 4u);
    EXPECT_EQ(root[1], (entry{1, 5, 3, 4}));
    EXPECT_EQ(root[3], (entry{6, 5, 3, 1}));
    EXPECT_EQ(file.substr(read.data_offset + root[2].offset, root[2].length), "land");
    EXPECT_EQ(gunzip(std::string_view(file).substr(read.metadata_offset, read.metadata_length)),
              R"({"vector_layers":[{"id":"plots","fields":{}}]})");
}

TEST(pmtiles, a_large_archive_has_leaf_directories_and_a_root_within_the_first_read) {
    const test::temp_dir dir;
    const auto path = dir / "big.pmtiles";
    writer w(path, header{}, "{}");
    // No two tiles alike, irregular gaps and lengths (regular ones gzip into a small root).
    std::uint64_t random = 2566;
    const auto next = [&random] { return (random = random * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
    std::map<std::uint64_t, std::string> written;
    std::uint64_t id = 0;
    for (int i = 0; i < 200000; ++i) {
        id += 1 + next() % 97;
        std::string bytes = "tile " + std::to_string(id) + std::string(next() % 50, 'x');
        w.add(id, bytes);
        written.emplace(id, std::move(bytes));
    }
    const header h = w.finish();
    EXPECT_GT(h.leaves_length, 0u);
    EXPECT_LE(header_size + h.root_length, first_read_size);
    const std::string file = read_all(path);
    const std::vector<entry> root = decode_directory(gunzip(std::string_view(file).substr(h.root_offset, h.root_length)));
    std::uint64_t tiles = 0;
    for (const entry& pointer : root) {
        ASSERT_EQ(pointer.run_length, 0u);
        const auto leaf = decode_directory(gunzip(std::string_view(file).substr(h.leaves_offset + pointer.offset, pointer.length)));
        EXPECT_EQ(leaf.front().tile_id, pointer.tile_id);
        for (const entry& e : leaf) {
            ASSERT_EQ(file.substr(h.data_offset + e.offset, e.length), written.at(e.tile_id));
            ++tiles;
        }
    }
    EXPECT_EQ(tiles, 200000u);
}

namespace {

/// Every tile of an archive by id, runs expanded, through the reader.
std::map<std::uint64_t, std::string> tiles_in(const std::filesystem::path& path) {
    const reader r(path);
    std::map<std::uint64_t, std::string> out;
    for (const entry& e : r.entries()) {
        for (std::uint64_t id = e.tile_id; id < e.tile_id + e.run_length; ++id) out[id] = r.bytes_of(e);
    }
    return out;
}

} // namespace

TEST(pmtiles, a_patch_replaces_splits_runs_removes_and_appends_and_reads_back_as_a_whole_rewrite_would) {
    const test::temp_dir dir;
    const auto path = dir / "a.pmtiles";
    std::map<std::uint64_t, std::string> expected;
    {
        writer w(path, header{}, R"({"a":1})");
        for (std::uint64_t id = 0; id < 2000; ++id) {
            if (id % 7 == 3) continue;                                       // gaps
            const std::string bytes = id >= 100 && id < 400 ? "sea" : "tile " + std::to_string(id * 37); // a long run, and distinct tiles
            w.add(id, bytes);
            expected[id] = bytes;
        }
        (void)w.finish();
    }
    const std::vector<std::pair<std::uint64_t, std::string>> changes{
        {3, "new in a gap"}, {150, "land in the sea"}, {151, ""}, {152, "tile 37"}, {500, ""}, {1999, "last"}, {5000, "past the end"}};
    for (const auto& [id, bytes] : changes) {
        if (bytes.empty()) {
            expected.erase(id);
        } else {
            expected[id] = bytes;
        }
    }
    const reader before(path);
    const auto h = patch(before, path, changes, R"({"a":2})");
    ASSERT_TRUE(h.has_value());
    EXPECT_FALSE(h->clustered);
    EXPECT_EQ(h->addressed_tiles, expected.size());
    EXPECT_EQ(tiles_in(path), expected);
    const reader after(path);
    EXPECT_EQ(after.metadata(), R"({"a":2})");
    EXPECT_EQ(after.bytes_of(std::uint64_t{120}), "sea") << "the run on either side of the change stays one content";
    EXPECT_EQ(after.bytes_of(std::uint64_t{151}), "");
    EXPECT_FALSE(std::filesystem::exists(dir / "a.pmtiles.tmp"));

    // Replacing a third of the tiles would leave too many dead bytes: nothing is written.
    std::vector<std::pair<std::uint64_t, std::string>> many;
    for (std::uint64_t id = 400; id < 1400; ++id) {
        if (id % 7 != 3) many.emplace_back(id, "other " + std::to_string(id));
    }
    const std::string file = read_all(path);
    EXPECT_FALSE(patch(after, path, many, "{}").has_value());
    EXPECT_EQ(read_all(path), file);
}
