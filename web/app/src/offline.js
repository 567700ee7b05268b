// "Download this district for offline": its plots (kept in IndexedDB, searched and listed
// without signal), its subdistrict polygons, its plot tiles as one district pack (a PMTiles
// archive at every zoom the server packs, kept by packs.js), and the admin tiles and fonts
// over it, fetched through the service worker so its caches hold them. The admin tile count is
// bounded: zooms are dropped from the top until the district fits.

import { bboxOf } from '../../shared/geometry.js';

export const TILE_BUDGET = 2500;
const GLYPH_RANGES = ['0-255', '3584-3839']; // Latin and the Thai block (U+0E00-U+0E7F)

/** The tiles covering [west, south, east, north] at zoom z: { z, x0, x1, y0, y1, count }. */
export function tileRange([w, s, e, n], z) {
  const scale = 2 ** z;
  const x = (lon) => Math.min(scale - 1, Math.max(0, Math.floor(((lon + 180) / 360) * scale)));
  const y = (lat) => {
    const r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
    return Math.min(scale - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * scale)));
  };
  const [x0, x1, y0, y1] = [x(w), x(e), y(n), y(s)];
  return { z, x0, x1, y0, y1, count: (x1 - x0 + 1) * (y1 - y0 + 1) };
}

/**
 * Every tile over the box from minZ up to the highest zoom (at most maxZ) whose total stays
 * within `budget`: { tiles: [[z, x, y]], maxZ }.
 */
export function tilesFor(box, minZ, maxZ, budget = TILE_BUDGET) {
  let total = 0;
  let top = minZ - 1;
  for (let z = minZ; z <= maxZ; z += 1) {
    const c = tileRange(box, z).count;
    if (total + c > budget) break;
    total += c;
    top = z;
  }
  const tiles = [];
  for (let z = minZ; z <= top; z += 1) {
    const r = tileRange(box, z);
    for (let x = r.x0; x <= r.x1; x += 1) for (let y = r.y0; y <= r.y1; y += 1) tiles.push([z, x, y]);
  }
  return { tiles, maxZ: top };
}

/** Whether [lon, lat] lies in a GeoJSON Polygon or MultiPolygon (even-odd over all rings). */
export function pointInGeometry([px, py], geometry) {
  const polygons = geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some((rings) => {
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    return inside;
  });
}

/** The village number a search names ("หมู่ 3", "หมู่ที่ 3", "ม.3", "moo 3"), or null. */
export function villageOf(text) {
  return /^(?:หมู่(?:ที่)?|ม\.|moo)\s*(\d+)$/i.exec(String(text ?? '').trim())?.[1] ?? null;
}

/** Plots kept on the phone that a list asks for: in the box, or matching the text (code, name, owner, village). */
export function localPlots(plots, { box, text }) {
  if (text) {
    const q = text.trim().toLowerCase();
    const village = villageOf(q);
    return plots.filter((p) => (village ? String(p.village_no) === village
      : [p.code, p.name, p.owner_name].some((v) => v && String(v).toLowerCase().includes(q))));
  }
  return plots.filter((p) => {
    const b = p.pin ? [...p.pin.coordinates, ...p.pin.coordinates] : bboxOf(p.boundary);
    return b && b[0] <= box[2] && b[2] >= box[0] && b[1] <= box[3] && b[3] >= box[1];
  });
}

/**
 * Fetches a district for use without signal. `get(url)` answers JSON; `fetchBytes(url)`
 * fetches a file through the service worker and answers its size; `keepPack(code, { onBytes })`
 * keeps the district's pack and answers { tiles, maxZoom, bytes }. Reports
 * { phase, done, total, bytes } to onProgress; answers the area to keep:
 * { code, name_th, name_en, bbox, plots, subdistricts, tiles, maxZoom, bytes, savedAt }.
 */
export async function downloadDistrict(district, { get, fetchBytes, keepPack, onProgress = () => {}, concurrency = 6 }) {
  const code = district.properties.code;
  let bytes = 0;
  onProgress({ phase: 'plots', done: 0, total: 0, bytes });
  const plots = [];
  for (let url = `/api/v1/plots?adm2=${code}&limit=1000`; url;) {
    const page = await get(url);
    plots.push(...(page.plots ?? []));
    url = page.links?.find((l) => l.rel === 'next')?.href ?? null;
    onProgress({ phase: 'plots', done: plots.length, total: page.number_matched ?? plots.length, bytes });
  }
  const subdistricts = (await get(`/collections/adm3/items?adm2=${code}&limit=1000`)).features ?? [];

  // The plot tiles: one pack, made (or brought up to date) by the server for this district.
  onProgress({ phase: 'pack', done: 0, total: 0, bytes });
  const pack = await keepPack(code, {
    onBytes: (received, total) => onProgress({ phase: 'pack', done: received, total: Math.max(total, received), bytes: received }),
  });
  bytes += pack.bytes;

  const box = bboxOf(district.geometry);
  const jobs = [];
  const tj = await get('/tiles/admin.json');
  const { tiles: adminTiles } = tilesFor(box, Math.max(tj.minzoom ?? 0, 8), tj.maxzoom ?? 16, TILE_BUDGET);
  for (const [z, x, y] of adminTiles) jobs.push(tj.tiles[0].replace('{z}', z).replace('{x}', x).replace('{y}', y));
  const style = await get('/styles/default.json');
  const stacks = new Set(style.layers.map((l) => l.layout?.['text-font']).filter(Boolean).map((f) => f.join(',')));
  for (const stack of stacks) {
    for (const range of GLYPH_RANGES) jobs.push(style.glyphs.replace('{fontstack}', encodeURIComponent(stack)).replace('{range}', range));
  }

  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const url = jobs[next];
      next += 1;
      bytes += await fetchBytes(url);
      done += 1;
      onProgress({ phase: 'tiles', done, total: jobs.length, bytes });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    code, name_th: district.properties.name_th ?? code, name_en: district.properties.name_en ?? code, bbox: box, plots, subdistricts,
    tiles: pack.tiles, maxZoom: pack.maxZoom, bytes, savedAt: Date.now(),
  };
}
