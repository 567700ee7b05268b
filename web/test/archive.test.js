// Archives baked by `plotmap tiles`, read by the pmtiles npm package (a reader plotmap did not
// write) and decoded with @mapbox/vector-tile: header, metadata, and tiles equal to the ones
// the server sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PMTiles, TileType, Compression } from 'pmtiles';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { startServer, tileOf } from '../testing/server.js';

/// The archive file read in byte ranges, as a static host would serve it.
class FileSource {
  constructor(path) { this.path = path; }
  getKey() { return this.path; }
  async getBytes(offset, length) {
    const file = await open(this.path);
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await file.read(buf, 0, length, offset);
      return { data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) };
    } finally {
      await file.close();
    }
  }
}

let server;
let dir;
let archive;
before(async () => {
  server = await startServer({ plots: 300 });
  dir = mkdtempSync(join(tmpdir(), 'plotmap-archive-'));
  const out = join(dir, 'plots.pmtiles');
  execFileSync(process.env.TEST_PLOTMAP_BINARY, ['tiles', '--db', server.db, '--tileset', 'plots', '--maxzoom', '14', out],
    { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300000 });
  archive = new PMTiles(new FileSource(out));
  assert.ok(statSync(out).size > 0);
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function layers(bytes) {
  const tile = new VectorTile(new PbfReader(new Uint8Array(bytes)));
  const out = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const ids = [];
    for (let i = 0; i < layer.length; i++) ids.push(layer.feature(i).id);
    out[name] = ids.sort((a, b) => a - b);
  }
  return out;
}

test('the header and metadata are a clustered MVT archive with the TileJSON layers', async () => {
  const h = await archive.getHeader();
  assert.equal(h.specVersion, 3);
  assert.equal(h.tileType, TileType.Mvt);
  assert.equal(h.tileCompression, Compression.Gzip);
  assert.equal(h.internalCompression, Compression.Gzip);
  assert.equal(h.clustered, true);
  assert.equal(h.minZoom, 0);
  assert.equal(h.maxZoom, 14);
  assert.ok(h.numAddressedTiles >= h.numTileContents && h.numTileContents > 0);
  assert.ok(h.minLon >= 97 && h.maxLon <= 106 && h.minLat >= 5 && h.maxLat <= 21, 'bounds around the plots in Thailand');
  const meta = await archive.getMetadata();
  assert.deepEqual(meta.vector_layers.map((l) => l.id), ['plots', 'pins']);
  assert.ok(meta.vector_layers[0].fields.stage, 'fields as in TileJSON');
  assert.equal(meta.format, 'pbf');
});

test('tiles under plots at every zoom decode to the features the server sends; the sea has none', async () => {
  const list = await (await fetch(`${server.base}/api/v1/plots?limit=8`)).json();
  assert.ok(list.plots.length > 0);
  let compared = 0;
  for (const plot of list.plots) {
    const [lon, lat] = plot.pin.coordinates;
    for (const z of [0, 4, 8, 11, 12, 13, 14]) {
      const t = tileOf(lon, lat, z);
      const archived = await archive.getZxy(t.z, t.x, t.y);
      assert.ok(archived, `tile ${z}/${t.x}/${t.y} is in the archive`);
      const res = await fetch(`${server.base}/tiles/plots/${t.z}/${t.x}/${t.y}.mvt`);
      assert.equal(res.status, 200);
      const served = layers(await res.arrayBuffer());
      const read = layers(archived.data);
      assert.deepEqual(read, served, `tile ${z}/${t.x}/${t.y}`);
      if (z >= 13) assert.ok(read.plots.includes(plot.id), `plot ${plot.id} in its tile at zoom ${z}`);
      compared++;
    }
  }
  assert.ok(compared >= 7);
  // The Andaman Sea west of Phuket: no tile, and the server's is empty too.
  const sea = tileOf(96.5, 7.5, 12);
  assert.equal(await archive.getZxy(sea.z, sea.x, sea.y), undefined);
  assert.equal((await fetch(`${server.base}/tiles/plots/${sea.z}/${sea.x}/${sea.y}.mvt`)).status, 204);
});
