#pragma once
// The demo dataset: synthetic but plausible Khok Nong Na plots, deterministic for a seed.
// Plot number i (counting plots already in the store) depends only on (seed, i), so
// `demo --plots 1000` twice equals `demo --plots 2000` once.

#include <cstdint>
#include <functional>

namespace plotmap::data {

class connection;

struct demo_options {
    long long plots = 2000;     ///< how many plots to add
    std::uint64_t seed = 2566;  ///< the same seed gives the same plots
    /// Up to this many plots (existing + new) go into the ten provinces the programme's
    /// reports name; beyond it plots spread over every province.
    long long report_provinces_up_to = 50000;
    long long batch = 10000;    ///< plots per transaction
};

struct demo_result {
    long long created = 0;
    long long total = 0;  ///< plots in the store afterwards
};

/// Called after each committed batch with (done, wanted).
using demo_progress = std::function<void(long long, long long)>;

/// Adds `options.plots` plots with pins, boundaries, admin codes, programme, stage, budget
/// year, Thai names and a 'create' history row each.
/// @pre the admin areas are loaded.
/// @throws store_error if there are no subdistricts to place plots in.
demo_result generate_demo_plots(connection& conn, const demo_options& options, const demo_progress& progress = {});

} // namespace plotmap::data
