#include "data/photos.hpp"

#include "data/clock.hpp"
#include "data/images.hpp"
#include "data/plot_store.hpp"
#include "data/users.hpp"
#include "data/uuid.hpp"
#include "geo/error.hpp"
#include "geo/files.hpp"
#include "geo/geodesic.hpp"
#include "geo/text.hpp"

#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <functional>
#include <semaphore>

namespace plotmap::data {
namespace fs = std::filesystem;

namespace {

/// Closes a file descriptor.
class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    /// Closes now, reporting failure (a full disk can show up here).
    void close_checked(const fs::path& path) {
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) throw error("cannot write " + path.string() + ": " + std::strerror(errno));
    }

private:
    int fd_;
};

std::string hex(const unsigned char* bytes, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 15]);
    }
    return out;
}

/// A unique name for a file being written in the photos folder's tmp/.
fs::path temporary_in(const fs::path& dir, const std::string& what) {
    return dir / "tmp" / (what + "-" + new_uuid());
}

/// Copies bytes [offset, offset + length) of `source` to the new file `target`, fsynced,
/// returning their SHA-256.
std::string copy_and_hash(const fs::path& source, std::uint64_t offset, std::uint64_t length, const fs::path& target) {
    const fd_guard in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) throw error("cannot read the upload: " + std::string(std::strerror(errno)));
    fd_guard out(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (out.get() < 0) throw error("cannot write " + target.string() + ": " + std::strerror(errno));
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::array<unsigned char, 65536> buf{};
    std::uint64_t done = 0;
    while (done < length) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - done));
        const ssize_t n = ::pread(in.get(), buf.data(), want, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw error("cannot read the upload: it ends early");
        crypto_hash_sha256_update(&state, buf.data(), static_cast<unsigned long long>(n));
        for (ssize_t written = 0; written < n;) {
            const ssize_t w = ::write(out.get(), buf.data() + written, static_cast<std::size_t>(n - written));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw error("cannot write " + target.string() + ": " + std::strerror(errno));
            written += w;
        }
        done += static_cast<std::uint64_t>(n);
    }
    if (::fsync(out.get()) != 0) throw error("cannot sync " + target.string() + ": " + std::strerror(errno));
    out.close_checked(target);
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256_final(&state, digest.data());
    return hex(digest.data(), digest.size());
}

std::string suffix_of(const std::string& media_type) { return media_type == "image/png" ? ".png" : ".jpg"; }

constexpr const char* photo_columns =
    "id, uid, plot_id, sha256, upload_type, media_type, bytes, width, height, taken_at, lon, lat, accuracy_m, exif_lon, "
    "exif_lat, exif_taken_at, caption, stage, progress_uid, public, uploaded_at, uploaded_by, deleted_at";

std::optional<geo::point> point_at(const statement& st, int column) {
    if (st.is_null(column) || st.is_null(column + 1)) return std::nullopt;
    return geo::point{st.real(column), st.real(column + 1)};
}

photo read_photo(const statement& st) {
    photo p;
    p.id = st.int64(0);
    p.uid = std::string(st.text(1));
    p.plot_id = st.int64(2);
    p.sha256 = std::string(st.text(3));
    p.upload_type = std::string(st.text(4));
    p.media_type = std::string(st.text(5));
    p.bytes = st.int64(6);
    p.width = static_cast<int>(st.int64(7));
    p.height = static_cast<int>(st.int64(8));
    p.taken_at = st.optional_text(9);
    p.location = point_at(st, 10);
    if (!st.is_null(12)) p.accuracy_m = st.real(12);
    p.exif_location = point_at(st, 13);
    p.exif_taken_at = st.optional_text(15);
    p.caption = st.optional_text(16);
    p.stage = st.optional_text(17);
    p.progress_uid = st.optional_text(18);
    p.is_public = st.int64(19) != 0;
    p.uploaded_at = std::string(st.text(20));
    p.uploaded_by = st.optional_text(21);
    p.deleted_at = st.optional_text(22);
    return p;
}

std::optional<photo> find_photo(connection& c, const std::string& where, const auto& key) {
    statement st = c.prepare(std::string("SELECT ") + photo_columns + " FROM photos WHERE " + where);
    st.bind(1, key);
    if (!st.step()) return std::nullopt;
    return read_photo(st);
}

void append_photo_history(connection& c, std::int64_t photo_id, const char* action, const std::string& at,
                          const std::optional<std::string>& by) {
    c.cached("INSERT INTO photo_history (photo_id, action, at, \"by\") VALUES (?, ?, ?, ?)")
        .bind(1, photo_id)
        .bind(2, action)
        .bind(3, at)
        .bind(4, by)
        .run();
}

/// The editor may change the plot's photos: the plot is live and in their scope.
plot editable_plot(connection& c, std::int64_t plot_id, const editor& who) {
    auto found = find_plot(c, plot_id);
    if (!found) throw not_found("no plot " + std::to_string(plot_id));
    plot p = std::move(*found);
    if (!codes_in_scope(who.scope, p.adm1, p.adm2, p.adm3)) {
        throw forbidden("plot " + std::to_string(plot_id) + " lies outside " + (who.username ? *who.username + "'s" : "the") +
                        " scope " + describe_scope(c, who.scope));
    }
    return p;
}

/// Metres from `at` to the plot: 0 inside its boundary, else to its pin or nearest boundary vertex.
double distance_to_plot(const plot& p, geo::point at) {
    if (p.boundary && geo::contains(*p.boundary, at)) return 0.0;
    double best = p.pin ? geo::geodesic_distance_m(*p.pin, at) : std::numeric_limits<double>::infinity();
    if (p.boundary) {
        for (const auto& poly : p.boundary->polygons) {
            for (const auto& ring : poly.rings) {
                for (const geo::point& v : ring) best = std::min(best, geo::geodesic_distance_m(v, at));
            }
        }
    }
    if (!std::isfinite(best) && p.location) best = geo::geodesic_distance_m(*p.location, at);
    return best;
}

void check_meta(const photo_meta& m, const std::vector<std::string>& stages) {
    if (m.stage && std::find(stages.begin(), stages.end(), *m.stage) == stages.end()) {
        std::string list;
        for (const auto& s : stages) list += (list.empty() ? "" : ", ") + s;
        throw bad_request("meta.stage \"" + geo::utf8_prefix(*m.stage, 40) + "\" is not one of " + list);
    }
    if (m.location) {
        if (!std::isfinite(m.location->x) || !std::isfinite(m.location->y) || std::abs(m.location->x) > 180 ||
            std::abs(m.location->y) > 90) {
            throw bad_request("meta.location must be [longitude, latitude] in degrees");
        }
    }
    if (m.accuracy_m && (!std::isfinite(*m.accuracy_m) || *m.accuracy_m < 0 || *m.accuracy_m > 100000)) {
        throw bad_request("meta.accuracy_m must be a number of metres from 0 to 100000");
    }
    if (m.caption && m.caption->size() > 2000) throw bad_request("meta.caption is longer than 2,000 bytes");
}

/// Holds one of the store's image-processing slots while alive.
class processing_slot {
public:
    explicit processing_slot(std::counting_semaphore<64>& sem) : sem_(sem) { sem_.acquire(); }
    ~processing_slot() { sem_.release(); }
    processing_slot(const processing_slot&) = delete;
    processing_slot& operator=(const processing_slot&) = delete;

private:
    std::counting_semaphore<64>& sem_;
};

} // namespace

fs::path default_photo_dir(const fs::path& db) {
    const std::string location = db.string();
    if (!is_postgresql_url(location)) return fs::path(location + ".photos");
    // postgresql://host/NAME?options -> NAME.photos in the working folder; several servers on one
    // database set photos.dir to a folder they share.
    std::string name = location.substr(location.find("://") + 3);
    name = name.substr(0, name.find('?'));
    const std::size_t slash = name.rfind('/');
    name = slash == std::string::npos || slash + 1 == name.size() ? "plotmap" : name.substr(slash + 1);
    return fs::path(name + ".photos");
}

photo_store::photo_store(store& s, photo_settings settings)
    : store_(s), settings_(std::move(settings)),
      slots_(std::make_unique<std::counting_semaphore<64>>(std::clamp(settings_.processing_slots, 1, 64))) {
    if (sodium_init() < 0) throw error("libsodium could not be initialised");
}

fs::path photo_store::file_of(const photo& p, photo_size size) const {
    const fs::path folder = settings_.dir / p.sha256.substr(0, 2);
    switch (size) {
    case photo_size::original: return folder / (p.sha256 + "-original" + suffix_of(p.media_type));
    case photo_size::display: return folder / (p.sha256 + "-display.jpg");
    case photo_size::thumbnail: return folder / (p.sha256 + "-thumbnail.jpg");
    }
    return folder / p.sha256;
}

photo_added photo_store::add(std::int64_t plot_id, const photo_meta& meta, const fs::path& source, std::uint64_t offset,
                             std::uint64_t length, const editor& who) {
    check_meta(meta, settings_.stages);
    if (static_cast<std::int64_t>(length) > settings_.max_bytes) {
        throw payload_too_large("the photo is " + std::to_string(length) + " bytes, more than the " +
                                std::to_string(settings_.max_bytes) + " allowed (photos.max_bytes)");
    }
    if (length == 0) throw bad_request("the file part is empty");
    std::optional<std::string> taken_at;
    if (meta.taken_at) {
        taken_at = utc_timestamp(*meta.taken_at);
        if (!taken_at) throw bad_request("meta.taken_at must be an RFC 3339 time like 2026-03-03T10:12:00+07:00");
    }
    const std::string uid = meta.uid ? canonical_uuid(*meta.uid) : new_uuid();
    // A retried upload: answered from the row, before any file work.
    const auto known = [&](connection& c) -> std::optional<photo_added> {
        auto existing = find_photo(c, "uid = ?", uid);
        if (!existing) return std::nullopt;
        if (existing->plot_id != plot_id) {
            throw conflict("photo uid " + uid + " belongs to plot " + std::to_string(existing->plot_id) + ", not " +
                           std::to_string(plot_id));
        }
        return photo_added{std::move(*existing), false, {}};
    };
    if (auto again = store_.read(known)) return std::move(*again);
    const plot target = store_.read([&](connection& c) { return editable_plot(c, plot_id, who); });
    if (target.deleted_at) throw conflict("plot " + std::to_string(plot_id) + " is deleted; restore it before adding photos");

    fs::create_directories(settings_.dir / "tmp");
    const fs::path received = temporary_in(settings_.dir, "upload");
    struct remove_on_exit {
        const fs::path& path;
        ~remove_on_exit() {
            std::error_code ignored;
            fs::remove(path, ignored);
        }
    } cleanup{received};
    const std::string sha = copy_and_hash(source, offset, length, received);

    photo p;
    p.uid = uid;
    p.plot_id = plot_id;
    p.sha256 = sha;
    p.bytes = static_cast<std::int64_t>(length);
    {
        const processing_slot slot(*slots_);
        const images::info image = images::inspect(received, settings_.max_pixels);
        p.upload_type = image.media_type;
        p.media_type = image.format == "png" ? "image/png" : "image/jpeg";
        p.width = image.width;
        p.height = image.height;
        p.exif_location = image.exif_location;
        p.exif_taken_at = image.exif_taken_at;
        const fs::path folder = settings_.dir / sha.substr(0, 2);
        fs::create_directories(folder);
        // Derived files first (decoding the whole image finds a truncated one), the upload last:
        // its presence says the set is complete.
        const fs::path kept = folder / sha;
        if (!fs::exists(kept)) {
            // The display size from the upload (decoding it whole finds a truncated file), the
            // thumbnail from the display size: a second decode of 1600 pixels, not of 12 million.
            const fs::path display = temporary_in(settings_.dir, "display");
            const remove_on_exit display_cleanup{display};
            images::write_resized(received, display, settings_.display_px, 82);
            const fs::path thumbnail = temporary_in(settings_.dir, "thumbnail");
            const remove_on_exit thumbnail_cleanup{thumbnail};
            images::write_resized(display, thumbnail, settings_.thumbnail_px, 75);
            geo::publish_file(display, file_of(p, photo_size::display));
            geo::publish_file(thumbnail, file_of(p, photo_size::thumbnail));
            const fs::path tmp = temporary_in(settings_.dir, "original");
            const remove_on_exit tmp_cleanup{tmp};
            (void)images::write_public_original(received, image, tmp);
            geo::publish_file(tmp, file_of(p, photo_size::original));
            geo::fsync_path(received, false);
            fs::rename(received, kept);
            geo::fsync_path(folder, true);
        }
    }
    p.taken_at = taken_at;
    if (!p.taken_at && p.exif_taken_at) {
        p.taken_at = utc_timestamp(*p.exif_taken_at + "+07:00"); // camera clocks in Thailand keep Thai time
    }
    p.location = meta.location ? meta.location : p.exif_location;
    p.accuracy_m = meta.location ? meta.accuracy_m : std::nullopt;
    p.caption = meta.caption;
    p.stage = meta.stage ? meta.stage : std::optional(target.stage);
    p.progress_uid = meta.progress_uid ? std::optional(canonical_uuid(*meta.progress_uid)) : std::nullopt;

    photo_added result;
    if (p.location) {
        const double far = distance_to_plot(target, *p.location);
        if (far > settings_.far_warning_m) {
            result.warnings.push_back({"far_from_plot", "the photo was taken " + std::to_string(static_cast<long long>(far)) +
                                                            " m from the plot"});
        }
    }
    if (meta.location && p.exif_location) {
        const double apart = geo::geodesic_distance_m(*meta.location, *p.exif_location);
        if (apart > settings_.far_warning_m) {
            result.warnings.push_back({"exif_location_differs", "the image's own GPS position lies " +
                                                                    std::to_string(static_cast<long long>(apart)) +
                                                                    " m from the location sent with it"});
        }
    }
    return store_.write([&](connection& c) {
        transaction tx(c);
        if (auto again = known(c)) return std::move(*again); // a concurrent retry won
        const plot current = editable_plot(c, plot_id, who);
        if (current.deleted_at) throw conflict("plot " + std::to_string(plot_id) + " is deleted; restore it before adding photos");
        const std::int64_t live = [&] {
            statement st = c.prepare("SELECT count(*) FROM photos WHERE plot_id = ? AND deleted_at IS NULL");
            st.bind(1, plot_id);
            st.step();
            return st.int64(0);
        }();
        if (live >= settings_.max_per_plot) {
            throw conflict("plot " + std::to_string(plot_id) + " already has " + std::to_string(live) +
                           " photos, the most allowed (photos.max_per_plot); delete some first");
        }
        const std::string now = now_utc();
        p.uploaded_at = now;
        p.uploaded_by = who.username;
        statement st = c.prepare(
            "INSERT INTO photos (uid, plot_id, sha256, upload_type, media_type, bytes, width, height, taken_at, lon, lat, "
            "accuracy_m, exif_lon, exif_lat, exif_taken_at, caption, stage, progress_uid, public, uploaded_at, uploaded_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id");
        const auto coord = [](const std::optional<geo::point>& pt, bool lat) -> std::optional<double> {
            if (!pt) return std::nullopt;
            return lat ? pt->y : pt->x;
        };
        st.bind(1, p.uid).bind(2, p.plot_id).bind(3, p.sha256).bind(4, p.upload_type).bind(5, p.media_type).bind(6, p.bytes);
        st.bind(7, p.width).bind(8, p.height).bind(9, p.taken_at).bind(10, coord(p.location, false)).bind(11, coord(p.location, true));
        st.bind(12, p.accuracy_m).bind(13, coord(p.exif_location, false)).bind(14, coord(p.exif_location, true));
        st.bind(15, p.exif_taken_at).bind(16, p.caption).bind(17, p.stage).bind(18, p.progress_uid).bind(19, p.uploaded_at);
        st.bind(20, p.uploaded_by);
        p.id = st.run_returning_id();
        append_photo_history(c, p.id, "add", now, who.username);
        tx.commit();
        result.record = p;
        result.created = true;
        return result;
    });
}

std::vector<photo> photo_store::list(std::int64_t plot_id, bool include_deleted) const {
    return store_.read([&](connection& c) {
        statement st = c.prepare(std::string("SELECT ") + photo_columns + " FROM photos WHERE plot_id = ?" +
                                 (include_deleted ? "" : " AND deleted_at IS NULL") +
                                 " ORDER BY coalesce(taken_at, uploaded_at), id");
        st.bind(1, plot_id);
        std::vector<photo> out;
        while (st.step()) out.push_back(read_photo(st));
        return out;
    });
}

photo photo_store::get(std::int64_t photo_id) const {
    auto p = store_.read([&](connection& c) { return find_photo(c, "id = ?", photo_id); });
    if (!p) throw not_found("no photo " + std::to_string(photo_id));
    return std::move(*p);
}

photo photo_store::change(std::int64_t photo_id, const editor& who, bool in_scope_only,
                          const std::function<const char*(connection&, photo&, const std::string&)>& apply) {
    return store_.write([&](connection& c) {
        transaction tx(c);
        auto p = find_photo(c, "id = ?", photo_id);
        if (!p) throw not_found("no photo " + std::to_string(photo_id));
        if (in_scope_only) (void)editable_plot(c, p->plot_id, who);
        const std::string now = now_utc();
        if (const char* action = apply(c, *p, now)) {
            append_photo_history(c, photo_id, action, now, who.username);
            tx.commit();
        }
        return std::move(*p);
    });
}

photo photo_store::set_deleted(std::int64_t photo_id, bool deleted, const editor& who) {
    return change(photo_id, who, true, [&](connection& c, photo& p, const std::string& now) -> const char* {
        if (p.deleted_at.has_value() == deleted) return nullptr;
        p.deleted_at = deleted ? std::optional(now) : std::nullopt;
        c.prepare("UPDATE photos SET deleted_at = ? WHERE id = ?").bind(1, p.deleted_at).bind(2, p.id).run();
        return deleted ? "delete" : "restore";
    });
}

photo photo_store::set_public(std::int64_t photo_id, bool is_public, const editor& who) {
    return change(photo_id, who, false, [&](connection& c, photo& p, const std::string&) -> const char* {
        if (p.is_public == is_public) return nullptr;
        p.is_public = is_public;
        c.prepare("UPDATE photos SET public = ? WHERE id = ?").bind(1, is_public ? 1 : 0).bind(2, p.id).run();
        return is_public ? "public" : "private";
    });
}

std::vector<photo_event> photo_store::events(std::int64_t plot_id) const {
    return store_.read([&](connection& c) {
        statement st = c.prepare(
            "SELECT h.photo_id, h.action, h.at, h.\"by\" FROM photo_history h JOIN photos p ON p.id = h.photo_id "
            "WHERE p.plot_id = ? ORDER BY h.at, h.id");
        st.bind(1, plot_id);
        std::vector<photo_event> out;
        while (st.step()) out.push_back({st.int64(0), std::string(st.text(1)), std::string(st.text(2)), st.optional_text(3)});
        return out;
    });
}

void photo_store::link_to_progress(std::int64_t plot_id, const std::vector<std::string>& uids, const std::string& progress_uid,
                                   const editor& who) {
    if (uids.empty()) return;
    store_.write([&](connection& c) {
        transaction tx(c);
        (void)editable_plot(c, plot_id, who);
        for (const std::string& text : uids) {
            const std::string uid = canonical_uuid(text);
            const auto p = find_photo(c, "uid = ?", uid);
            if (!p) continue;
            if (p->plot_id != plot_id) throw conflict("photo " + uid + " belongs to plot " + std::to_string(p->plot_id));
            c.prepare("UPDATE photos SET progress_uid = ? WHERE id = ?").bind(1, progress_uid).bind(2, p->id).run();
        }
        tx.commit();
    });
}

sweep_report photo_store::sweep(bool dry_run) {
    sweep_report report;
    if (!fs::exists(settings_.dir)) return report;
    // Named files: every row's hash, deleted photos included (they can be restored).
    const std::vector<std::string> hashes = store_.read([](connection& c) {
        statement st = c.prepare("SELECT DISTINCT sha256 FROM photos ORDER BY sha256");
        std::vector<std::string> out;
        while (st.step()) out.emplace_back(st.text(0));
        return out;
    });
    const auto named = [&](const std::string& file) {
        const std::string sha = file.substr(0, std::min<std::size_t>(file.size(), 64));
        return sha.size() == 64 && std::binary_search(hashes.begin(), hashes.end(), sha);
    };
    const auto old_enough = [](const fs::directory_entry& e) {
        std::error_code ec;
        const auto age = fs::file_time_type::clock::now() - e.last_write_time(ec);
        return !ec && age > std::chrono::hours(1);
    };
    for (const auto& folder : fs::directory_iterator(settings_.dir)) {
        if (!folder.is_directory()) continue;
        const bool tmp = folder.path().filename() == "tmp";
        for (const auto& entry : fs::directory_iterator(folder.path())) {
            if (!entry.is_regular_file()) continue;
            const std::string name = entry.path().filename().string();
            // Nothing younger than an hour goes: an upload may be under way, its files written and
            // its row about to commit (unfinished work in tmp/ and dot files likewise).
            const bool remove = old_enough(entry) && (tmp || name.starts_with(".") || !named(name));
            if (!remove) {
                ++report.files_kept;
                continue;
            }
            ++report.files_removed;
            report.bytes_removed += static_cast<std::int64_t>(entry.file_size());
            if (!dry_run) fs::remove(entry.path());
        }
    }
    return report;
}

} // namespace plotmap::data
