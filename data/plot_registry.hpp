#pragma once
// The plot registry's rules (DESIGN §1 and the plot registry issue): what a valid plot is,
// idempotent creation by uid, optimistic locking by version, geodesic areas, admin
// suggestions, overlap and area warnings, and an append-only history of every change.

#include "data/plot.hpp"
#include "data/plot_store.hpp"
#include "data/review.hpp"
#include "data/users.hpp"
#include "geo/crs.hpp"
#include "geo/validity.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace plotmap::data {

class cluster_batch;
struct batch_write;

class store;

/// Who makes a write: recorded as created_by/updated_by and in the history, and the area
/// whose plots they may touch. The default (nobody, everywhere) is for system writes.
struct editor {
    std::optional<std::string> username;
    area_scope scope;
    bool can_review = false; ///< a supervisor or an admin: may approve plots or send them back
};

struct registry_rules {
    std::vector<std::string> programs{"HLM", "CLM"};
    std::vector<std::string> stages{"surveyed", "digging", "planting", "complete"};
    geo::service_region region;
    double area_mismatch_warn_share = 0.10;
    double overlap_warn_m2 = 1.0;
    double max_area_m2 = 10000000.0; ///< larger boundaries are refused
    std::size_t max_vertices = 20000; ///< boundaries with more positions are refused
};

/// Every field a client may set. Unset optionals are stored as NULL (or their default).
/// Geometry is lon/lat (EPSG:4326); `input_crs`/`transformation` say how it got there.
struct plot_draft {
    std::optional<std::string> uid;      ///< create only; generated when missing
    std::optional<std::string> code;     ///< generated as "<adm3>-NNNN" when missing
    std::optional<std::string> program;  ///< required
    std::optional<std::string> name;
    std::optional<std::string> owner_name;
    std::optional<std::string> owner_phone;
    std::optional<std::int64_t> village_no;
    std::optional<std::string> notes;
    std::optional<std::string> deed_type; ///< default "none"
    std::optional<std::string> deed_no;
    std::optional<double> declared_area_m2;
    std::optional<geo::point> pin;
    std::optional<double> pin_accuracy_m;
    std::optional<std::string> pin_source;
    std::optional<geo::multi_polygon> boundary;
    std::optional<std::string> adm1;     ///< suggested from the location when all three are missing
    std::optional<std::string> adm2;
    std::optional<std::string> adm3;
    std::optional<std::string> stage;    ///< default: the first stage
    std::optional<std::int64_t> budget_year; ///< Common Era

    /// When a new stage was reached, if not now (a progress event's day); ignored when the
    /// stage does not change.
    std::optional<std::string> stage_changed_at;

    bool repair = false;                 ///< let invalid boundaries be repaired
    /// The raw GPS track a boundary was walked from (JSON text, checked by the API), kept in
    /// the history's details of the version it made; not a stored field of the plot.
    std::optional<std::string> track;
    std::optional<std::string> input_crs;
    std::optional<geo::operation_info> transformation;
};

/// The draft that would reproduce `p` unchanged (the base for a merge patch).
[[nodiscard]] plot_draft draft_of(const plot& p);

struct warning {
    std::string code;    ///< area_mismatch, overlap, admin_mismatch, repaired
    std::string message;
};

struct write_result {
    plot record;
    bool created = false;  ///< create: false when the uid already existed (idempotent retry)
    bool changed = false;  ///< false when a replace changed nothing (no new version)
    std::vector<warning> warnings;
    std::vector<overlap> overlaps;
    std::optional<admin_match> suggested_admin; ///< where the location says the plot is
    geo::bbox previous_bounds; ///< where the plot was before the write (empty on create): tiles to refresh
};

/// The lon/lat box of a plot's pin, location and boundary.
[[nodiscard]] geo::bbox bounds_of(const plot& p);

/// One row of an import: what identifies it and how it sets a plot's fields.
struct import_item {
    std::string where;                      ///< "line 7", "feature 3", for the report
    std::optional<std::string> problem;     ///< the row could not be read (it is rejected with this)
    std::optional<std::string> uid;         ///< matches an existing plot by uid (given, or a fingerprint)
    std::optional<std::string> code;        ///< else by code
    std::function<void(plot_draft&)> apply; ///< sets the fields the file has, over the matched plot's
    /// Checks the filled-in draft before it is validated and written (may throw to reject the row).
    std::function<void(connection&, const plot_draft&)> before_write;
    /// Checks the written plot (its admin areas, where it lies) inside the batch's
    /// transaction: returns warnings, or throws to reject the row.
    std::function<std::vector<std::string>(connection&, const write_result&)> verify;
};

/// How far a batch has got: items done (written or rejected) of all.
using batch_progress = std::function<void(std::size_t done, std::size_t total)>;

struct batch_outcome {
    std::int64_t created = 0, updated = 0, unchanged = 0;
    std::vector<std::pair<std::string, std::string>> rejected; ///< (where, reason)
    std::vector<std::pair<std::string, std::string>> warnings; ///< (where, message)
    std::vector<geo::bbox> touched;
    bool applied = false;
};

/// A stage reached on a day, with a note: what an officer records after the work is done.
struct progress_draft {
    std::optional<std::string> uid; ///< the client's id: a retried event is recorded once
    std::string stage;
    std::string date;               ///< YYYY-MM-DD, the day the stage was reached (may be past)
    std::optional<std::string> note;
};

struct progress_event {
    std::int64_t id = 0;
    std::string uid;
    std::int64_t plot_id = 0;
    std::int64_t plot_version = 0; ///< the plot's version after the event
    std::optional<std::string> stage_from;
    std::string stage_to;
    std::string happened_on;       ///< YYYY-MM-DD
    std::optional<std::string> note;
    std::string recorded_at;
    std::optional<std::string> recorded_by;
};

struct progress_result {
    write_result write;
    progress_event event;
    bool created = false; ///< false: the uid was known and nothing changed
};

/// A progress day as the store's stage_changed_at: noon in Thailand (05:00 UTC), the same
/// calendar day read in UTC or in Thai time.
[[nodiscard]] std::string day_as_timestamp(const std::string& date);

class plot_registry {
public:
    plot_registry(store& s, registry_rules rules);

    /// Creates a plot, or returns the existing one when `d.uid` is already known.
    /// @throws bad_request for a field that breaks a rule (the message names it),
    ///         invalid_geometry for a bad pin or boundary, conflict for a code in use,
    ///         forbidden if the plot would lie outside the editor's scope.
    write_result create(const plot_draft& d, const editor& who);

    /// Replaces every writable field of plot `id`, if its version is `expected_version`.
    /// @throws not_found, precondition_failed (stale version), conflict (deleted plot),
    ///         forbidden (the plot is, or would move, outside the editor's scope), and the
    ///         validation errors of create().
    write_result replace(std::int64_t id, std::int64_t expected_version, const plot_draft& d,
                         const editor& who);

    /// Soft delete and restore; a new version each.
    write_result remove(std::int64_t id, std::optional<std::int64_t> expected_version, const editor& who);
    write_result restore(std::int64_t id, std::optional<std::int64_t> expected_version, const editor& who);

    /// @throws not_found if there is no such plot, or it is deleted and !include_deleted.
    [[nodiscard]] plot get(std::int64_t id, bool include_deleted = false) const;
    [[nodiscard]] plot_page list(const plot_query& q) const;
    /// @throws not_found if there is no such plot.
    [[nodiscard]] std::vector<history_entry> history(std::int64_t id) const;

    /// Writes many rows in one transaction: each matched by uid, else code, to an existing
    /// plot (then updated with the row's fields) or created. Every row is checked like a
    /// single write (rules, scope); a rejected row is reported with its reason. Committed
    /// only when `dry_run` is false and no row was rejected: all or nothing.
    batch_outcome write_batch(const std::vector<import_item>& items, const editor& who, bool dry_run,
                              const batch_progress& progress = {});

    /// Records a progress event: the plot moves to `d.stage` as of `d.date` (one history
    /// version) and the event keeps the day and the note. The same stage again records the
    /// event without changing the plot.
    /// @throws bad_request (stage, date), precondition_failed (stale version), not_found,
    ///         conflict (deleted plot, or the uid names another plot's event), forbidden.
    progress_result record_progress(std::int64_t id, std::int64_t expected_version, const progress_draft& d, const editor& who);

    /// Moves the plot's verification one step (data/review.hpp), as one history version with
    /// the action, reasons, note, ticked checks and (approving) the computed checklist.
    /// @throws forbidden (approve or send back without can_review, approving one's own
    ///         submission, outside the scope), not_allowed_now (the state does not allow the
    ///         action; says which it does), bad_request (reasons, checks, note),
    ///         precondition_failed, not_found, conflict (deleted plot).
    write_result review(std::int64_t id, std::int64_t expected_version, const review_draft& d, const editor& who);

    /// The plot's progress events, by day.
    [[nodiscard]] std::vector<progress_event> progress(std::int64_t id) const;

    [[nodiscard]] const registry_rules& rules() const noexcept { return rules_; }

private:
    // `batch`: what a batch (an import) brings to one of its writes (plot_registry.cpp); null
    // for a single write, which changes cluster counts at once and locates the plot itself.
    write_result create_in(connection& c, plot p, const plot_draft& d, const std::vector<std::string>& repairs,
                           const editor& who, const batch_write* batch) const;
    write_result replace_in(connection& c, std::int64_t id, std::int64_t expected_version, plot p, const plot_draft& d,
                            const std::vector<std::string>& repairs, const editor& who, const batch_write* batch) const;

    store& store_;
    registry_rules rules_;
};

} // namespace plotmap::data
