// GPS fixes from the browser (navigator.geolocation): which to keep while pinning a plot or
// walking its boundary, and how to average several into one point. A fix is
// { lon, lat, accuracy, time }: degrees, the 95 % radius in metres, milliseconds.

const A = 6378137.0;
const E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563);

/** Metres between two fixes (local plane on the WGS 84 ellipsoid; exact enough below 10 km). */
export function distanceM(a, b) {
  const phi = (((a.lat + b.lat) / 2) * Math.PI) / 180;
  const w = Math.sqrt(1 - E2 * Math.sin(phi) ** 2);
  const dx = (((b.lon - a.lon) * Math.PI) / 180) * (A / w) * Math.cos(phi);
  const dy = (((b.lat - a.lat) * Math.PI) / 180) * ((A * (1 - E2)) / w ** 3);
  return Math.hypot(dx, dy);
}

export const walkingDefaults = {
  maxAccuracy: 15, // m: worse fixes are dropped
  maxSpeed: 2.5, // m/s: brisk walking; faster means the fix jumped
  gapSeconds: 20, // no fix for this long (the page was hidden): a gap, never joined silently
};

/**
 * Whether to keep `fix` after the last kept one (`last`, or null), as
 * { keep: boolean, reason?: 'inaccurate' | 'too_fast' | 'duplicate', gap?: true }.
 * Speed allows for both fixes' accuracy, so a standing officer's jitter is not "too fast".
 */
export function judgeFix(last, fix, options = {}) {
  const o = { ...walkingDefaults, ...options };
  if (!Number.isFinite(fix.lon) || !Number.isFinite(fix.lat) || !Number.isFinite(fix.accuracy)) {
    return { keep: false, reason: 'inaccurate' };
  }
  if (fix.accuracy > o.maxAccuracy) return { keep: false, reason: 'inaccurate' };
  if (!last) return { keep: true };
  const seconds = (fix.time - last.time) / 1000;
  if (seconds <= 0) return { keep: false, reason: 'duplicate' };
  const d = distanceM(last, fix);
  if (seconds > o.gapSeconds) return { keep: true, gap: true };
  const slack = (last.accuracy + fix.accuracy) / 2;
  if (d - slack > o.maxSpeed * seconds) return { keep: false, reason: 'too_fast' };
  return { keep: true };
}

function median(values) {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * One point from several fixes taken standing still: fixes worse than maxAccuracy are not
 * used, then outliers (farther from the median point than 3 robust standard deviations, and
 * than their own accuracy) are dropped, and the rest averaged weighted by 1/accuracy².
 * Returns { lon, lat, accuracy, used, dropped } or null when no fix is good enough;
 * `accuracy` is the 95 % radius of the mean (the fixes' combined accuracy, never below the
 * spread of the fixes used).
 */
export function averageFixes(fixes, { maxAccuracy = Infinity } = {}) {
  const usable = fixes.filter((f) => Number.isFinite(f.lon) && Number.isFinite(f.lat) && f.accuracy <= maxAccuracy);
  if (usable.length === 0) return null;
  const centre = { lon: median(usable.map((f) => f.lon)), lat: median(usable.map((f) => f.lat)) };
  const distances = usable.map((f) => distanceM(centre, f));
  const robustSigma = 1.4826 * median(distances);
  const kept = usable.filter((f, i) => distances[i] <= Math.max(3 * robustSigma, f.accuracy));
  let wsum = 0;
  let lon = 0;
  let lat = 0;
  for (const f of kept) {
    const w = 1 / Math.max(f.accuracy, 0.5) ** 2;
    wsum += w;
    lon += w * f.lon;
    lat += w * f.lat;
  }
  const mean = { lon: lon / wsum, lat: lat / wsum };
  const combined = Math.sqrt(1 / wsum);
  const spread = kept.length > 1 ? Math.sqrt(kept.reduce((s, f) => s + distanceM(mean, f) ** 2, 0) / (kept.length - 1)) : 0;
  return {
    ...mean,
    accuracy: Math.max(combined, (spread / Math.sqrt(kept.length)) * 2.448),
    used: kept.length,
    dropped: fixes.length - kept.length,
  };
}
