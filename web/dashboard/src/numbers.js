// The dashboard's arithmetic, kept apart from the page so it is tested on its own.

/** Plots at `stage` or any stage after it (stages in workflow order), of a stats row. */
export function reached(row, stages, stage) {
  const from = stages.indexOf(stage);
  if (from < 0) return 0;
  return stages.slice(from).reduce((n, s) => n + (row.by_stage?.[s] ?? 0), 0);
}

/** That count as a share of the row's plots (0-1), or null for an area without plots. */
export function reachedShare(row, stages, stage) {
  return row.plots > 0 ? reached(row, stages, stage) / row.plots : null;
}

/** The colour classes of the choropleth: five steps of the share, as [lower bound, colour]. */
export const SHARE_STEPS = [
  [0, '#f7fcb9'],
  [0.2, '#c2e699'],
  [0.4, '#78c679'],
  [0.6, '#31a354'],
  [0.8, '#006837'],
];
export const NO_PLOTS = '#e0e0e0';

/** The colour of a share (null: no plots): the last step whose lower bound it reaches. */
export function shareColour(share) {
  if (share === null || share === undefined) return NO_PLOTS;
  return SHARE_STEPS.filter(([from]) => share >= from).pop()[1];
}

/** The same classes as a MapLibre expression over the feature-state `share` (-1: no plots). */
export function shareExpression() {
  return ['step', ['to-number', ['coalesce', ['feature-state', 'share'], -1]], NO_PLOTS, ...SHARE_STEPS.flat()];
}

/** m² as rai (1 rai = 1,600 m²), one decimal. */
export function rai(m2) {
  return Math.round((m2 / 1600) * 10) / 10;
}

/** The level below a parent code: none → provinces (1), a province → districts (2), a district → subdistricts (3). */
export function levelUnder(parent) {
  return parent ? parent.length / 2 + 1 : 1;
}
