#include "data/demo.hpp"

#include "data/admin_areas.hpp"
#include "data/clock.hpp"
#include "data/pin_clusters.hpp"
#include "data/plot_store.hpp"
#include "data/schema.hpp"
#include "data/database.hpp"
#include "data/tile_index.hpp"
#include "data/uuid.hpp"
#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/rai_ngan_wa.hpp"
#include "geo/text.hpp"
#include "geo/wkb.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>
#include <string>
#include <vector>

namespace plotmap::data {
namespace {

// Sukhothai, Trat, Kalasin, Khon Kaen, Maha Sarakham, Roi Et, Kamphaeng Phet,
// Nakhon Sawan, Phichit, Uthai Thani.
const std::vector<std::string> report_provinces{"64", "23", "46", "40", "44", "45", "62", "60", "66", "61"};

constexpr std::array first_names{
    "สมชาย", "สมศรี", "ประเสริฐ", "มาลี", "บุญมี", "ทองดี", "สุดา", "วิชัย", "อำนาจ", "จันทร์เพ็ญ",
    "สมพร", "ประยูร", "บุญเรือน", "สุนทร", "วันเพ็ญ", "ชัยวัฒน์", "นงลักษณ์", "สุรชัย", "พิมพ์ใจ", "เกษม",
    "ละเอียด", "ทองใบ", "บัวผัน", "คำปุ่น", "สายสุนีย์", "ณรงค์", "อุไรวรรณ", "ไพโรจน์", "ศรีไพร", "สมหมาย"};
constexpr std::array last_names{
    "ใจดี", "ศรีสุข", "บุญมา", "แก้วมณี", "ทองคำ", "พรหมมา", "สุขเจริญ", "วงศ์ใหญ่", "ชัยมงคล", "อินทร์แก้ว",
    "จันทร์หอม", "ภูมิใจ", "นาคสวัสดิ์", "คำแสน", "ศรีวงศ์", "มีสุข", "พันธ์ดี", "บุญประเสริฐ", "ทองมา", "แสงทอง"};
constexpr std::array stages{"surveyed", "digging", "planting", "complete"};
constexpr std::array stage_weights{20, 30, 30, 20};
constexpr std::array deed_weights{45, 20, 5, 20, 5, 5}; // in the order of data::deed_types

/// The splitmix64 finaliser: a good 64-bit mixing function.
std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// splitmix64: tiny, fast and identical on every platform (std distributions are not).
class rng {
public:
    explicit rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        return mix(state_ += 0x9E3779B97F4A7C15ULL);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    std::size_t index(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    template <std::size_t N>
    std::size_t weighted(const std::array<int, N>& weights) {
        int total = 0;
        for (int w : weights) total += w;
        auto pick = static_cast<int>(next() % static_cast<std::uint64_t>(total));
        for (std::size_t i = 0; i < N; ++i) {
            if (pick < weights[i]) return i;
            pick -= weights[i];
        }
        return N - 1;
    }

private:
    std::uint64_t state_;
};

struct demo_plot {
    geo::point pin;
    geo::multi_polygon boundary;
};

/// A plot of `area_m2` around a random point of the subdistrict: a rotated rectangle with
/// jittered corners, sometimes with one corner cut (a pentagon), every vertex inside.
bool place_plot(rng& r, const subdistrict& s, double area_m2, demo_plot& out) {
    geo::point centre;
    bool found = false;
    for (int tries = 0; tries < 200 && !found; ++tries) {
        centre = {r.uniform(s.bounds.min_x, s.bounds.max_x), r.uniform(s.bounds.min_y, s.bounds.max_y)};
        found = geo::contains(s.geometry, centre);
    }
    if (!found) return false;
    const double aspect = r.uniform(1.0, 2.5);
    const double width = std::sqrt(area_m2 / aspect);
    const double height = width * aspect;
    const double rotation = r.uniform(0.0, 180.0);
    const bool cut_corner = r.uniform() < 0.3;

    std::vector<std::pair<double, double>> corners{{-width / 2, -height / 2}, {width / 2, -height / 2},
                                                   {width / 2, height / 2}, {-width / 2, height / 2}};
    if (cut_corner) {
        corners[2] = {width / 2, height / 2 - height * 0.25};
        corners.insert(corners.begin() + 3, {width / 2 - width * 0.25, height / 2});
    }
    geo::ring ring;
    for (auto [dx, dy] : corners) {
        dx *= r.uniform(0.95, 1.05);
        dy *= r.uniform(0.95, 1.05);
        const double distance = std::hypot(dx, dy);
        const double azimuth = std::atan2(dx, dy) * 180.0 / std::numbers::pi + rotation;
        const geo::point p = geo::geodesic_destination(centre, azimuth, distance);
        if (!geo::contains(s.geometry, p)) return false;
        ring.push_back(p);
    }
    ring.push_back(ring.front());
    out.boundary.polygons = {geo::polygon{{std::move(ring)}}};
    geo::orient_rfc7946(out.boundary);
    out.pin = geo::centroid(out.boundary.polygons.front().rings.front());
    return true;
}

/// A moment in `year`, as the store writes times; never in the future (a day that has not
/// come yet this year is taken a year earlier).
std::string timestamp(int year, rng& r) {
    const int month = 1 + static_cast<int>(r.index(12));
    const int day = 1 + static_cast<int>(r.index(28));
    const std::int64_t seconds = (1 + static_cast<std::int64_t>(r.index(10))) * 3600 + static_cast<std::int64_t>(r.index(60)) * 60 +
                                 static_cast<std::int64_t>(r.index(60));
    std::int64_t t = days_from_civil(year, month, day) * 86400 + seconds;
    if (t >= unix_now()) t -= 365 * 86400;
    std::string out = iso_utc(t);
    out.insert(out.size() - 1, ".000");
    return out;
}

} // namespace

demo_result generate_demo_plots(connection& conn, const demo_options& options, const demo_progress& progress) {
    // A bulk load touches index pages all over the file: a large page cache saves re-reading them.
    const batch_cache cache(conn);
    const long long existing = conn.scalar_int("SELECT count(*) FROM plots");
    const std::vector<subdistrict> everywhere = read_subdistricts(conn, {});
    std::vector<subdistrict> reported;
    for (const subdistrict& s : everywhere) {
        if (std::find(report_provinces.begin(), report_provinces.end(), s.adm1) != report_provinces.end()) reported.push_back(s);
    }
    if (everywhere.empty() || reported.empty()) {
        throw store_error("no subdistricts in " + conn.path() + " to place demo plots in: run `plotmap init` first");
    }
    std::map<std::string, int> sequence; // next code number per subdistrict, read once each

    demo_result result;
    cluster_batch clusters;
    long long done = 0;
    while (done < options.plots) {
        transaction tx(conn);
        const long long batch_end = std::min(options.plots, done + options.batch);
        for (; done < batch_end; ++done) {
            const auto index = static_cast<std::uint64_t>(existing + done);
            // Each plot's stream starts at a hashed point, so streams of nearby plots do not overlap.
            rng r(mix(mix(options.seed) ^ mix(index + 1)));
            const std::vector<subdistrict>& pool =
                (existing + done) < options.report_provinces_up_to ? reported : everywhere;

            const bool community = r.uniform() < 0.08;
            const double rai = community ? r.uniform(10.0, 25.0) : r.uniform(1.0, 6.0) + (r.uniform() < 0.2 ? r.uniform(0, 10) : 0);
            demo_plot shape;
            const subdistrict* where = nullptr;
            while (where == nullptr) {
                const subdistrict& candidate = pool[r.index(pool.size())];
                if (place_plot(r, candidate, rai * geo::m2_per_rai, shape)) where = &candidate;
            }
            const double area = geo::geodesic_area_m2(shape.boundary);
            const double perimeter = geo::geodesic_perimeter_m(shape.boundary);
            const std::string first = first_names[r.index(first_names.size())];
            const std::string last = last_names[r.index(last_names.size())];
            const std::string owner = first + " " + last;
            const int village = 1 + static_cast<int>(r.index(15));
            const int year = 2022 + static_cast<int>(r.index(5));
            const std::string created = timestamp(year, r);
            const char* stage = stages[r.weighted(stage_weights)];
            const std::string& deed = deed_types[r.weighted(deed_weights)];
            // One deed in twenty says a quarter more than the walked boundary: the mismatches a
            // supervisor has to look at.
            const double deed_share = r.uniform(0.92, 1.08) * (index % 20 == 7 ? 1.25 : 1.0);
            const double declared = geo::parse_rai_ngan_wa(geo::format_rai_ngan_wa(geo::to_rai_ngan_wa(area * deed_share))).to_m2();
            char phone[48];
            std::snprintf(phone, sizeof phone, "0%d%d-%03d-%04d", 8 + static_cast<int>(r.index(2)),
                          static_cast<int>(r.index(10)), static_cast<int>(r.index(1000)), static_cast<int>(r.index(10000)));
            auto slot = sequence.find(where->adm3);
            if (slot == sequence.end()) slot = sequence.emplace(where->adm3, next_code_sequence(conn, where->adm3)).first;
            int& seq = slot->second;
            char code[32];
            std::snprintf(code, sizeof code, "%s-%04d", where->adm3.c_str(), seq++);
            // The plot name is public (tiles, public exports): never the owner's name.
            const std::string name = std::string(community ? "แปลงชุมชน" : "แปลงครัวเรือน") + " หมู่ " + std::to_string(village) +
                                     " ต." + where->name_th;
            const bool gps = r.uniform() < 0.6;

            plot p;
            const std::uint64_t hi = r.next();
            p.uid = uuid_v4(hi, r.next());
            p.code = code;
            p.program = community ? "CLM" : "HLM";
            p.name = name;
            p.owner_name = owner;
            p.owner_phone = phone;
            p.village_no = village;
            p.deed_type = deed;
            if (p.deed_type != "none") p.deed_no = std::to_string(1000 + r.index(90000));
            p.declared_area_m2 = declared;
            p.pin_accuracy_m = gps ? r.uniform(3.0, 15.0) : r.uniform(10.0, 50.0);
            p.pin_source = gps ? "gps" : "map";
            p.area_m2 = area;
            p.perimeter_m = perimeter;
            p.adm1 = where->adm1;
            p.adm2 = where->adm2;
            p.adm3 = where->adm3;
            p.stage = stage;
            p.stage_changed_at = created;
            p.budget_year = year;
            // One plot in ten is waiting for a supervisor's review: the queue has work in it.
            const bool submitted = index % 10 == 3;
            p.version = submitted ? 2 : 1;
            p.created_at = p.updated_at = created;
            p.created_by = p.updated_by = "demo";
            p.review_state = submitted ? "submitted" : "unchecked";
            p.review_changed_at = created;
            if (submitted) p.submitted_by = "demo";
            p.pin = shape.pin;
            p.location = shape.pin;
            clusters.add(shape.pin, p.stage);
            p.boundary = std::move(shape.boundary);
            const std::int64_t id = insert_plot_row(conn, p);
            p.id = id;
            index_for_tiles(conn, p);
            const nlohmann::json changes{{"code", {nullptr, p.code}}, {"program", {nullptr, p.program}},
                                         {"stage", {nullptr, p.stage}}, {"adm3", {nullptr, where->adm3}}};
            append_history(conn, id, {1, "create", created, "demo", geo::json_text(changes), std::nullopt});
            if (submitted) {
                const nlohmann::json step{{"action", "submit"}, {"from", "unchecked"}, {"to", "submitted"}};
                append_history(conn, id, {2, "update", created, "demo", geo::json_text({{"review_state", {"unchecked", "submitted"}}}),
                                          geo::json_text({{"review", step}})});
            }
            ++result.created;
        }
        clusters.flush(conn);
        tx.commit();
        if (progress) progress(done, options.plots);
    }
    result.total = conn.scalar_int("SELECT count(*) FROM plots");
    refresh_statistics(conn);
    return result;
}

} // namespace plotmap::data
