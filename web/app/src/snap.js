// Snapping a vertex being drawn to a neighbouring plot's corner, so two plots that share a
// boundary share its vertices instead of leaving slivers or overlaps between them.

/**
 * The vertex of `rings` ([[lon, lat], ...] each) nearest to the pointer at screen position
 * (x, y), if it is within `maxPx` pixels; `project([lon, lat])` gives { x, y } on screen.
 */
export function nearestVertex(x, y, rings, project, maxPx = 16) {
  let best;
  let bestD = maxPx * maxPx;
  for (const ring of rings) {
    for (const v of ring) {
      const p = project(v);
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d <= bestD) {
        best = v;
        bestD = d;
      }
    }
  }
  return best;
}

/** The outer rings of plots from the API (GeoJSON Polygon or MultiPolygon boundaries). */
export function outerRings(plots) {
  const rings = [];
  for (const p of plots) {
    if (p.boundary?.type === 'Polygon') rings.push(p.boundary.coordinates[0]);
    if (p.boundary?.type === 'MultiPolygon') for (const poly of p.boundary.coordinates) rings.push(poly[0]);
  }
  return rings;
}
