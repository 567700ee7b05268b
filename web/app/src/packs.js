// District packs: one PMTiles archive of a district's plot tiles (GET /api/v1/packs/CODE.pmtiles,
// every zoom the server's pack goes to), kept whole in the phone's Cache Storage. The page keeps
// them (keepPack); the service worker answers plot tiles from them when there is no signal
// (tileFromPacks). Read with the `pmtiles` package, as any PMTiles reader would.
import { FileSource, PMTiles } from 'pmtiles';

export const PACK_CACHE = 'plotmap-packs';
const MVT = 'application/vnd.mapbox-vector-tile';

export const packUrl = (code) => `/api/v1/packs/${code}.pmtiles`;

/** A PMTiles reader over bytes held in memory (a Blob), named by its URL. */
function readerOver(blob, url) {
  return new PMTiles(new FileSource(new File([blob], url)));
}

/**
 * Fetches a district's pack and keeps it. Reports the bytes received to onBytes(received, total).
 * Answers { tiles, maxZoom, bytes } from the archive's header.
 */
export async function keepPack(code, { onBytes = () => {} } = {}) {
  const url = packUrl(code);
  const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = (await res.json()).detail ?? detail;
    } catch {
      // not problem+json: the status says it
    }
    throw new Error(detail);
  }
  const total = Number(res.headers.get('Content-Length')) || 0;
  const parts = [];
  let received = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
    onBytes(received, total);
  }
  const blob = new Blob(parts, { type: 'application/vnd.pmtiles' });
  const header = await readerOver(blob, url).getHeader(); // a damaged download is refused here, not kept
  const cache = await caches.open(PACK_CACHE);
  await cache.put(url, new Response(blob, {
    headers: { 'Content-Type': 'application/vnd.pmtiles', 'Content-Length': String(blob.size), ETag: res.headers.get('ETag') ?? `"${received}"` },
  }));
  return { tiles: header.numAddressedTiles, maxZoom: header.maxZoom, bytes: blob.size };
}

/** The [west, south, east, north] of tile z/x/y. */
function tileBounds(z, x, y) {
  const n = 2 ** z;
  const lat = (row) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * 180) / Math.PI;
  return [(x / n) * 360 - 180, lat(y + 1), ((x + 1) / n) * 360 - 180, lat(y)];
}

const readers = new Map(); // url -> { etag, pmtiles, header }

/** The packs kept on the phone, each opened once (again when a newer download replaced it). */
async function keptPacks() {
  const cache = await caches.open(PACK_CACHE);
  const out = [];
  for (const request of await cache.keys()) {
    const res = await cache.match(request);
    if (!res) continue;
    const etag = res.headers.get('ETag') ?? '';
    let kept = readers.get(request.url);
    if (!kept || kept.etag !== etag) {
      const pmtiles = readerOver(await res.blob(), request.url);
      kept = { etag, pmtiles, header: await pmtiles.getHeader() };
      readers.set(request.url, kept);
    }
    out.push(kept);
  }
  return out;
}

/**
 * A plot tile from the packs kept on the phone: a Response with the tile (200), an empty one
 * (204) where a pack covers the tile and holds nothing there, or null where no pack covers it.
 */
export async function tileFromPacks(z, x, y) {
  const [w, s, e, n] = tileBounds(z, x, y);
  for (const { pmtiles, header } of await keptPacks()) {
    if (z < header.minZoom || z > header.maxZoom) continue;
    if (e < header.minLon || w > header.maxLon || n < header.minLat || s > header.maxLat) continue;
    const tile = await pmtiles.getZxy(z, x, y);
    if (tile?.data?.byteLength) return new Response(tile.data, { status: 200, headers: { 'Content-Type': MVT, 'X-Plotmap-From': 'pack' } });
    return new Response(null, { status: 204, headers: { 'X-Plotmap-From': 'pack' } });
  }
  return null;
}
