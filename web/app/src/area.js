// Area, perimeter and the area's uncertainty from GPS accuracy, for a plot being drawn or
// walked. Plots are small (under a few km across), so a local tangent plane on the WGS 84
// ellipsoid (radii of curvature at the plot's mean latitude) is exact to well under 0.01 %;
// the server recomputes the stored area geodesically (Karney) either way.

const A = 6378137.0; // WGS 84 semi-major axis
const F = 1 / 298.257223563;
const E2 = F * (2 - F);

/**
 * The local tangent plane at the mean point of [[lon, lat], ...]: forward([lon, lat]) gives
 * metres east/north of it, inverse([x, y]) the way back.
 */
export function localPlane(points) {
  const lat0 = points.reduce((s, p) => s + p[1], 0) / points.length;
  const lon0 = points.reduce((s, p) => s + p[0], 0) / points.length;
  const phi = (lat0 * Math.PI) / 180;
  const w = Math.sqrt(1 - E2 * Math.sin(phi) ** 2);
  const n = A / w; // prime vertical radius
  const m = (A * (1 - E2)) / w ** 3; // meridional radius
  const kx = ((n * Math.cos(phi)) * Math.PI) / 180;
  const ky = (m * Math.PI) / 180;
  return {
    forward: ([lon, lat]) => [(lon - lon0) * kx, (lat - lat0) * ky],
    inverse: ([x, y]) => [lon0 + x / kx, lat0 + y / ky],
  };
}

/** [[lon, lat], ...] (a ring, open or closed) as metres east/north of its mean point. */
export function toLocalMetres(ring) {
  const pts = closedOff(ring);
  return pts.map(localPlane(pts).forward);
}

function closedOff(ring) {
  if (ring.length > 1) {
    const [a, b] = [ring[0], ring[ring.length - 1]];
    if (a[0] === b[0] && a[1] === b[1]) return ring.slice(0, -1);
  }
  return ring;
}

/** Shoelace area (absolute, m²) of planar points. */
export function planarArea(xy) {
  let twice = 0;
  for (let i = 0; i < xy.length; i += 1) {
    const [x1, y1] = xy[i];
    const [x2, y2] = xy[(i + 1) % xy.length];
    twice += x1 * y2 - x2 * y1;
  }
  return Math.abs(twice) / 2;
}

/** Area in m² of a lon/lat ring. */
export function ringArea(ring) {
  return ring.length < 3 ? 0 : planarArea(toLocalMetres(ring));
}

/** Perimeter in m of a lon/lat ring (closed: the last side back to the first point counts). */
export function ringPerimeter(ring) {
  const xy = toLocalMetres(ring);
  if (xy.length < 2) return 0;
  let sum = 0;
  for (let i = 0; i < xy.length; i += 1) {
    const [x1, y1] = xy[i];
    const [x2, y2] = xy[(i + 1) % xy.length];
    sum += Math.hypot(x2 - x1, y2 - y1);
  }
  return sum;
}

/**
 * The standard deviation (m²) of a polygon's area when each vertex i has an independent,
 * isotropic position error of standard deviation sigma[i] metres per axis. The area is
 * A = ½ Σ (x_i y_{i+1} − x_{i+1} y_i), so ∂A/∂x_i = ½ (y_{i+1} − y_{i−1}) and
 * ∂A/∂y_i = ½ (x_{i−1} − x_{i+1}); to first order
 * Var(A) = ¼ Σ σ_i² · |p_{i+1} − p_{i−1}|², the distance between each vertex's neighbours.
 */
export function areaSigma(xy, sigma) {
  const n = xy.length;
  if (n < 3) return 0;
  let variance = 0;
  for (let i = 0; i < n; i += 1) {
    const prev = xy[(i - 1 + n) % n];
    const next = xy[(i + 1) % n];
    const d2 = (next[0] - prev[0]) ** 2 + (next[1] - prev[1]) ** 2;
    variance += (sigma[i] ** 2 * d2) / 4;
  }
  return Math.sqrt(variance);
}

/**
 * Browsers report a fix's accuracy as the radius of 95 % confidence
 * (W3C Geolocation: "accuracy ... 95% confidence level"). For a circular normal error that
 * radius is σ·√(−2 ln 0.05) ≈ 2.448 σ per axis.
 */
export function sigmaFromAccuracy(accuracyM) {
  return accuracyM / Math.sqrt(-2 * Math.log(0.05));
}

/**
 * What the live area panel shows for a lon/lat ring whose vertices have the given
 * accuracies (95 % radii, metres): area, perimeter and the 95 % band of the area
 * (±1.96 σ), all in m².
 */
export function areaWithBand(ring, accuracies) {
  const pts = closedOff(ring);
  const xy = toLocalMetres(pts);
  const area = pts.length < 3 ? 0 : planarArea(xy);
  const sigma = areaSigma(xy, accuracies.slice(0, pts.length).map(sigmaFromAccuracy));
  return { area, perimeter: ringPerimeter(pts), band95: 1.96 * sigma };
}
