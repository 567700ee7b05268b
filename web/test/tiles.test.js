// Tiles decoded with @mapbox/vector-tile (a decoder plotmap did not write), compared with the
// plot API's own records.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { startServer, tileOf } from '../testing/server.js';

let server;
before(async () => { server = await startServer({ plots: 300 }); });
after(async () => { await server?.stop(); });

async function getTile(tileset, { z, x, y }) {
  const res = await fetch(`${server.base}/tiles/${tileset}/${z}/${x}/${y}.mvt`);
  if (res.status === 204) return null;
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.mapbox-vector-tile');
  return new VectorTile(new PbfReader(new Uint8Array(await res.arrayBuffer())));
}

function bounds(coords, acc = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity }) {
  if (typeof coords[0] === 'number') {
    acc.minX = Math.min(acc.minX, coords[0]); acc.maxX = Math.max(acc.maxX, coords[0]);
    acc.minY = Math.min(acc.minY, coords[1]); acc.maxY = Math.max(acc.maxY, coords[1]);
  } else {
    for (const c of coords) bounds(c, acc);
  }
  return acc;
}

test('a plot decodes with its id, public attributes and geometry within a tile pixel', async () => {
  const list = await (await fetch(`${server.base}/api/v1/plots?limit=5`)).json();
  for (const plot of list.plots) {
    const [lon, lat] = plot.pin.coordinates;
    const t = tileOf(lon, lat, 15);
    const tile = await getTile('plots', t);
    assert.ok(tile, `tile ${t.z}/${t.x}/${t.y} is not empty`);
    const layer = tile.layers.plots;
    assert.equal(layer.extent, 4096);
    let found = null;
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      assert.equal(f.properties.owner_name, undefined, 'no personal data in public tiles');
      assert.equal(f.properties.owner_phone, undefined);
      assert.equal(f.properties.deed_no, undefined);
      if (f.id === plot.id) found = f;
    }
    assert.ok(found, `plot ${plot.id} is in its tile`);
    assert.equal(found.properties.code, plot.code);
    assert.equal(found.properties.stage, plot.stage);
    assert.equal(found.properties.program, plot.program);
    assert.equal(found.type, 3, 'a polygon');
    const decoded = bounds(found.toGeoJSON(t.x, t.y, t.z).geometry.coordinates);
    const source = bounds(plot.boundary.coordinates);
    const tileWest = (t.x / 2 ** t.z) * 360 - 180;
    const tileEast = ((t.x + 1) / 2 ** t.z) * 360 - 180;
    if (source.minX < tileWest || source.maxX > tileEast) continue; // clipped at the tile edge: compare another
    // One tile unit at this zoom in degrees of longitude (a latitude degree is longer, so
    // the same bound is a little looser in y).
    const unit = 360 / 2 ** t.z / 4096;
    for (const k of ['minX', 'maxX']) assert.ok(Math.abs(decoded[k] - source[k]) <= unit, `${k} within a tile unit`);
    for (const k of ['minY', 'maxY']) assert.ok(Math.abs(decoded[k] - source[k]) <= unit, `${k} within a tile unit`);
    const pins = tile.layers.pins;
    const pinIds = Array.from({ length: pins.length }, (_, i) => pins.feature(i).id);
    assert.ok(pinIds.includes(plot.id), 'its pin is there too');
  }
});

test('clusters at zoom 0 count every plot, by stage', async () => {
  const all = await (await fetch(`${server.base}/api/v1/plots?limit=1`)).json();
  const tile = await getTile('plots', { z: 0, x: 0, y: 0 });
  const pins = tile.layers.pins;
  let total = 0;
  let byStage = 0;
  for (let i = 0; i < pins.length; i++) {
    const p = pins.feature(i).properties;
    assert.equal(p.cluster, true);
    total += p.point_count;
    for (const stage of ['surveyed', 'digging', 'planting', 'complete']) byStage += p[stage] ?? 0;
  }
  assert.equal(total, all.number_matched);
  assert.equal(byStage, all.number_matched);
});

test('admin tiles carry Thai names', async () => {
  const tile = await getTile('admin', tileOf(99.82, 17.0, 6));
  const labels = tile.layers.admin_labels;
  const names = Array.from({ length: labels.length }, (_, i) => labels.feature(i).properties.name_th);
  assert.ok(names.length > 0);
  assert.ok(names.some((n) => /[\u0E00-\u0E7F]/.test(n)), 'labels are in Thai');
  assert.ok(tile.layers.adm1.length > 0);
});
