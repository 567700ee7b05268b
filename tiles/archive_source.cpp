#include "tiles/archive_source.hpp"

#include "geo/error.hpp"
#include "geo/text.hpp"
#include "tiles/mbtiles.hpp"
#include "tiles/pmtiles.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace plotmap::tiles {

archive_format archive_format_of(const std::filesystem::path& file) {
    const std::string ext = geo::ascii_lower(file.extension().string());
    if (ext == ".pmtiles") return archive_format::pmtiles;
    if (ext == ".mbtiles") return archive_format::mbtiles;
    throw bad_request("the archive's name must end in .pmtiles or .mbtiles, got \"" + geo::utf8_prefix(file.filename().string(), 60) + "\"");
}

file_identity identity_of(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) throw error("cannot read " + file.string() + ": " + std::strerror(errno));
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

struct archive_source::opened {
    file_identity identity;
    std::unique_ptr<pmtiles::reader> pmtiles;
    sqlite3* mbtiles = nullptr;
    sqlite3_stmt* lookup = nullptr;
    nlohmann::json facts;

    ~opened() {
        sqlite3_finalize(lookup);
        sqlite3_close(mbtiles);
    }
};

namespace {

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1) {
        out.push_back(text.substr(start, comma - start));
    }
    out.push_back(text.substr(start));
    return out;
}

nlohmann::json parse_object(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() ? j : nlohmann::json::object();
}

} // namespace

archive_source::archive_source(std::filesystem::path file)
    : file_(std::move(file)), name_(file_.stem().string()), format_(archive_format_of(file_)) {
    const std::lock_guard lock(mutex_);
    (void)current();
}

archive_source::~archive_source() = default;

archive_source::opened& archive_source::current() {
    const file_identity now = identity_of(file_);
    if (open_ && open_->identity == now) return *open_;
    auto o = std::make_unique<opened>();
    o->identity = now;
    nlohmann::json& f = o->facts;
    if (format_ == archive_format::pmtiles) {
        o->pmtiles = std::make_unique<pmtiles::reader>(file_);
        const pmtiles::header& h = o->pmtiles->head();
        if (h.type != pmtiles::tile_type::mvt) throw bad_request(file_.string() + " does not hold vector tiles");
        const nlohmann::json meta = parse_object(o->pmtiles->metadata());
        f = {{"minzoom", h.min_zoom}, {"maxzoom", h.max_zoom}, {"bounds", {h.min_lon, h.min_lat, h.max_lon, h.max_lat}},
             {"center", {h.center_lon, h.center_lat, h.center_zoom}}};
        for (const char* key : {"name", "description", "attribution", "vector_layers"}) {
            if (meta.contains(key)) f[key] = meta[key];
        }
    } else {
        const auto rows = mbtiles::writer::read_metadata(file_);
        if (sqlite3_open_v2(file_.c_str(), &o->mbtiles, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
            sqlite3_prepare_v2(o->mbtiles, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", -1,
                               &o->lookup, nullptr) != SQLITE_OK) {
            throw bad_request(file_.string() + " is not an MBTiles archive (no tiles table)");
        }
        const auto number = [&](const char* key, int fallback) {
            const auto it = rows.find(key);
            try {
                return it == rows.end() ? fallback : std::stoi(it->second);
            } catch (const std::exception&) {
                return fallback;
            }
        };
        f = {{"minzoom", number("minzoom", 0)}, {"maxzoom", number("maxzoom", 14)}};
        for (const char* key : {"bounds", "center"}) {
            const auto it = rows.find(key);
            if (it == rows.end()) continue;
            nlohmann::json values = nlohmann::json::array();
            for (const std::string& part : split_commas(it->second)) {
                try {
                    values.push_back(std::stod(part));
                } catch (const std::exception&) {
                    values = nullptr;
                    break;
                }
            }
            if (values.is_array()) f[key] = values;
        }
        for (const char* key : {"name", "description", "attribution"}) {
            if (const auto it = rows.find(key); it != rows.end()) f[key] = it->second;
        }
        if (const auto it = rows.find("json"); it != rows.end()) {
            const nlohmann::json layers = parse_object(it->second);
            if (layers.contains("vector_layers")) f["vector_layers"] = layers["vector_layers"];
        }
    }
    open_ = std::move(o);
    return *open_;
}

std::string archive_source::tile(const geo::tile_id& t) {
    const std::lock_guard lock(mutex_);
    opened& o = current();
    if (o.pmtiles) {
        const std::uint64_t id = pmtiles::tile_id_of(t);
        const auto& entries = o.pmtiles->entries();
        auto it = std::upper_bound(entries.begin(), entries.end(), id,
                                   [](std::uint64_t v, const pmtiles::entry& e) { return v < e.tile_id; });
        if (it == entries.begin()) return {};
        --it;
        if (id >= it->tile_id + it->run_length) return {};
        return o.pmtiles->bytes_of(*it);
    }
    sqlite3_bind_int(o.lookup, 1, t.z);
    sqlite3_bind_int64(o.lookup, 2, t.x);
    sqlite3_bind_int64(o.lookup, 3, static_cast<std::int64_t>(geo::tiles_per_axis(t.z)) - 1 - t.y);
    std::string out;
    const int rc = sqlite3_step(o.lookup);
    if (rc == SQLITE_ROW) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(o.lookup, 0));
        out.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(o.lookup, 0)));
    }
    sqlite3_reset(o.lookup);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw error("cannot read " + file_.string() + ": " + sqlite3_errmsg(o.mbtiles));
    return out;
}

nlohmann::json archive_source::facts() {
    const std::lock_guard lock(mutex_);
    return current().facts;
}

} // namespace plotmap::tiles
