#pragma once
// Photos of plots: rows in the database, files on disk. Each upload is kept as it came,
// content-addressed by its SHA-256 under the photos folder, with three files made from it
// that are what is served: the full-size original without its metadata, a display size and
// a thumbnail. Every file is written and fsynced, and renamed into place, before the row
// that names it commits, so a crash can leave a file without a row (`sweep` removes those)
// but never a row without its file.

#include "data/plot_registry.hpp"
#include "data/store.hpp"
#include "geo/geometry.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

namespace plotmap::data {

struct photo_settings {
    std::filesystem::path dir;           ///< the photos folder
    std::int64_t max_bytes = 26214400;   ///< largest upload (25 MiB)
    std::int64_t max_pixels = 60000000;  ///< larger images are refused before they are decoded
    int max_per_plot = 200;              ///< live photos one plot may have
    int display_px = 1600;               ///< longer side of the display size
    int thumbnail_px = 320;              ///< longer side of the thumbnail
    double far_warning_m = 300;          ///< warn when the capture point lies farther than this from the plot
    int processing_slots = 2;            ///< images decoded at once (memory: one decoded image each)
    std::vector<std::string> stages{"surveyed", "digging", "planting", "complete"}; ///< what meta.stage may be
};

/// The photos folder for a database file: "<db>.photos" beside it.
[[nodiscard]] std::filesystem::path default_photo_dir(const std::filesystem::path& db);

/// The files served for a photo.
enum class photo_size { original, display, thumbnail };

struct photo {
    std::int64_t id = 0;
    std::string uid;
    std::int64_t plot_id = 0;
    std::string sha256;      ///< of the upload as received; names its files
    std::string upload_type; ///< media type of the upload (by content)
    std::string media_type;  ///< of the served original (image/jpeg or image/png)
    std::int64_t bytes = 0;  ///< of the upload
    int width = 0;           ///< upright
    int height = 0;
    std::optional<std::string> taken_at;   ///< RFC 3339, as the phone said
    std::optional<geo::point> location;    ///< fixed by the phone at capture
    std::optional<double> accuracy_m;
    std::optional<geo::point> exif_location;
    std::optional<std::string> exif_taken_at;
    std::optional<std::string> caption;
    std::optional<std::string> stage;      ///< the plot's stage when taken
    std::optional<std::string> progress_uid; ///< the progress event it belongs to
    bool is_public = false;                ///< an admin made it visible to anyone
    std::string uploaded_at;
    std::optional<std::string> uploaded_by;
    std::optional<std::string> deleted_at;
};

/// What the client says about a photo (the upload's `meta` part).
struct photo_meta {
    std::optional<std::string> uid; ///< the client's id: a retried upload returns the same photo
    std::optional<std::string> taken_at;
    std::optional<geo::point> location;
    std::optional<double> accuracy_m;
    std::optional<std::string> caption;
    std::optional<std::string> stage;
    std::optional<std::string> progress_uid;
};

struct photo_added {
    photo record;
    bool created = false;              ///< false: the uid was known, nothing was written
    std::vector<warning> warnings;     ///< e.g. far from the plot, EXIF disagrees
};

/// One line of what photos did to a plot, for the timeline.
struct photo_event {
    std::int64_t photo_id = 0;
    std::string action; ///< add, delete, restore, public, private
    std::string at;
    std::optional<std::string> by;
};

struct sweep_report {
    std::int64_t files_kept = 0;
    std::int64_t files_removed = 0;
    std::int64_t bytes_removed = 0;
};

class photo_store {
public:
    photo_store(store& s, photo_settings settings);

    /// Adds the image in bytes [offset, offset + length) of `source` to plot `plot_id`.
    /// @throws not_found (plot), conflict (deleted plot, or the uid names another plot's photo),
    ///         forbidden (outside the editor's scope), payload_too_large, unsupported_media_type,
    ///         unprocessable (truncated, corrupt, too many pixels), bad_request (meta).
    photo_added add(std::int64_t plot_id, const photo_meta& meta, const std::filesystem::path& source, std::uint64_t offset,
                    std::uint64_t length, const editor& who);

    /// The plot's photos, oldest capture first.
    [[nodiscard]] std::vector<photo> list(std::int64_t plot_id, bool include_deleted) const;
    /// @throws not_found
    [[nodiscard]] photo get(std::int64_t photo_id) const;
    /// Soft delete / restore (in the photo's history). @throws not_found, forbidden.
    photo set_deleted(std::int64_t photo_id, bool deleted, const editor& who);
    /// Admins only (checked by the caller). @throws not_found.
    photo set_public(std::int64_t photo_id, bool is_public, const editor& who);
    [[nodiscard]] std::vector<photo_event> events(std::int64_t plot_id) const;
    /// Links the plot's photos named by `uids` to progress event `progress_uid` (uids not
    /// uploaded yet are linked by their own meta.progress_uid when they arrive).
    /// @throws bad_request for a malformed uid, conflict for another plot's photo, forbidden.
    void link_to_progress(std::int64_t plot_id, const std::vector<std::string>& uids, const std::string& progress_uid,
                          const editor& who);

    /// The file served for `size` of `p`.
    [[nodiscard]] std::filesystem::path file_of(const photo& p, photo_size size) const;

    /// Removes files older than an hour that no photo row names, and unfinished uploads
    /// older than an hour (younger ones may belong to an upload under way).
    sweep_report sweep(bool dry_run);

    [[nodiscard]] const photo_settings& settings() const noexcept { return settings_; }

private:
    /// One change of a photo's row in a transaction: `apply` changes it and names the history
    /// action, or returns nullptr when there is nothing to change. `in_scope_only`: the plot
    /// must be in the editor's scope.
    photo change(std::int64_t photo_id, const editor& who, bool in_scope_only,
                 const std::function<const char*(connection&, photo&, const std::string&)>& apply);

    store& store_;
    photo_settings settings_;
    std::unique_ptr<std::counting_semaphore<64>> slots_; ///< images being decoded at once
};

} // namespace plotmap::data
