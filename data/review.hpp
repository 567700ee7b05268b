#pragma once
// Verification of a plot's title deed and location (docs/review.md): its review state
// (unchecked -> submitted -> approved | needs_fix -> submitted ...), who may move it, the
// checklist plotmap computes for a supervisor, and the queue of plots waiting.
// The transitions themselves are written by plot_registry::review (one history version each).

#include "data/plot.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plotmap::data {

class connection;

inline const std::vector<std::string> review_states{"unchecked", "submitted", "approved", "needs_fix"};
/// What a supervisor can send a plot back for, each with its own reason.
inline const std::vector<std::string> review_reason_items{"deed_no", "deed_type", "declared_area", "location", "boundary", "photos"};
/// The checklist's items a person ticks (plotmap cannot tell them).
inline const std::vector<std::string> review_manual_checks{"deed_document", "boundary_on_imagery"};
/// Stored fields whose change sends an approved plot back to `submitted`.
inline const std::vector<std::string> review_relevant_fields{"deed_type", "deed_no", "declared_area_m2", "pin", "boundary", "adm3"};

enum class review_action { submit, approve, send_back };
/// @throws bad_request naming the three.
[[nodiscard]] review_action parse_review_action(std::string_view name);
[[nodiscard]] std::string_view review_action_name(review_action a) noexcept;

/// The actions `state` allows someone who may (`can_review`) or may not review, and who
/// submitted it (an officer never approves their own submission).
[[nodiscard]] std::vector<std::string> allowed_review_actions(const std::string& state, bool can_review, bool own_submission);

struct review_draft {
    review_action action = review_action::submit;
    std::map<std::string, std::string> reasons; ///< send_back: item -> why (review_reason_items)
    std::optional<std::string> note;
    std::map<std::string, bool> checks;         ///< approve: the manual items ticked
};

/// One line of the checklist: `ok` is what plotmap computed (absent for the manual items and
/// for what it cannot tell, e.g. a plot without a boundary has no overlap to test).
struct checklist_item {
    std::string key;
    std::optional<bool> ok;
    std::string detail;
    bool manual = false;
};

struct checklist_rules {
    double area_mismatch_share = 0.10;
    double overlap_m2 = 1.0;
};

/// deed (type and number), area (declared vs measured within the share), subdistrict (the
/// boundary, or the pin, inside the recorded subdistrict), overlap (none above the rule),
/// photo (at least one), then the manual items.
[[nodiscard]] std::vector<checklist_item> review_checklist(connection& conn, const plot& p, const checklist_rules& r);

} // namespace plotmap::data
