// Geometry helpers shared by the field app and the dashboard (two builds, one source).

/** [west, south, east, north] of a GeoJSON geometry, or null when it has no positions. */
export function bboxOf(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
    } else {
      c.forEach(walk);
    }
  };
  walk(geometry?.coordinates ?? []);
  return Number.isFinite(b[0]) ? b : null;
}
