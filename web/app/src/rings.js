// Where a boundary being drawn or walked crosses itself, found while the officer is still
// standing there, so it is fixed on the spot rather than refused by the server later. The
// server's GEOS check is the one that counts; this one shows the places on the map.

import { localPlane } from './area.js';

const TOL = 1e-3; // metres: a vertex this close to another segment touches it

/**
 * The crossings of a ring of [lon, lat] (open or closed): segments that cross, touch or run
 * over each other, other than neighbours meeting at their shared vertex. Each is
 * { at: [lon, lat], segments: [i, j] } where segment i runs from vertex i to i + 1.
 * Quadratic in the vertices: a plot's few hundred take well under a millisecond.
 */
export function selfIntersections(ring) {
  const open = openRing(ring);
  const n = open.length;
  if (n < 3) return [];
  const plane = localPlane(open);
  const xy = open.map(plane.forward);
  const out = [];
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      const neighbours = j === i + 1 || (i === 0 && j === n - 1);
      const hit = segmentsMeet(xy[i], xy[(i + 1) % n], xy[j], xy[(j + 1) % n], neighbours);
      if (hit) out.push({ at: plane.inverse(hit), segments: [i, j] });
    }
  }
  return out;
}

/** Whether a ring of [lon, lat] makes a simple polygon: three vertices or more, no crossings. */
export function isSimple(ring) {
  return openRing(ring).length >= 3 && selfIntersections(ring).length === 0;
}

/** The ring without repeated consecutive vertices or the closing one. */
function openRing(ring) {
  const same = (p, q) => p[0] === q[0] && p[1] === q[1];
  const pts = ring.filter((p, i) => i === 0 || !same(p, ring[i - 1]));
  if (pts.length > 1 && same(pts[0], pts[pts.length - 1])) pts.pop();
  return pts;
}

/** Signed distance (metres) of r from the line through p and q. */
function side(p, q, r) {
  const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
  return ((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])) / len;
}

/** Where segments ab and cd meet, as [x, y], or null. Neighbours share b = c (or a = d). */
function segmentsMeet(a, b, c, d, neighbours) {
  const da = side(c, d, a);
  const db = side(c, d, b);
  const dc = side(a, b, c);
  const dd = side(a, b, d);
  if (Math.abs(da) <= TOL && Math.abs(db) <= TOL) return overlap(a, b, c, d, neighbours);
  if (neighbours) return null; // two directions from a shared vertex
  const straddle = (p, q) => (p > TOL && q < -TOL) || (p < -TOL && q > TOL);
  if (straddle(da, db) && straddle(dc, dd)) {
    const t = da / (da - db);
    return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
  }
  // A vertex on (or within a millimetre of) the other segment: the ring touches itself.
  for (const [p, q, r, dist] of [[c, d, a, da], [c, d, b, db], [a, b, c, dc], [a, b, d, dd]]) {
    if (Math.abs(dist) <= TOL && alongWithin(p, q, r)) return r;
  }
  return null;
}

/** Whether r's projection falls on segment pq (with the tolerance at both ends). */
function alongWithin(p, q, r) {
  const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
  const t = ((r[0] - p[0]) * (q[0] - p[0]) + (r[1] - p[1]) * (q[1] - p[1])) / len;
  return t >= -TOL && t <= len + TOL;
}

/** Collinear segments: the middle of their overlap, or null if they only share a vertex. */
function overlap(a, b, c, d, neighbours) {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const along = (r) => ((r[0] - a[0]) * (b[0] - a[0]) + (r[1] - a[1]) * (b[1] - a[1])) / len;
  const lo = Math.max(0, Math.min(along(c), along(d)));
  const hi = Math.min(len, Math.max(along(c), along(d)));
  if (hi < lo - TOL) return null;
  if (neighbours && hi - lo <= TOL) return null;
  const t = (lo + hi) / 2 / len;
  return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
}
