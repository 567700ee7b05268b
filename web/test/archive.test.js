// Archives baked by `plotmap tiles`, read by the pmtiles npm package (a reader plotmap did not
// write) and decoded with @mapbox/vector-tile: header, metadata, and tiles equal to the ones
// the server sends; then served by plotmap (tiles.archives) and drawn by MapLibre GL JS in
// Chromium through the pmtiles:// protocol, reading the file in byte ranges.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PMTiles, TileType, Compression } from 'pmtiles';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { launchChromium, screenshotDir } from '../testing/browser.js';
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
let archive;
let browser;
before(async () => {
  // Baked from the server's database before it starts, and served by it as well.
  server = await startServer({
    plots: 300,
    prepare: (binary, db, dir) => {
      const out = join(dir, 'khoknongna.pmtiles');
      execFileSync(binary, ['tiles', '--db', db, '--tileset', 'plots', '--maxzoom', '14', out],
        { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300000 });
      return { PLOTMAP_TILES_ARCHIVES: out };
    },
  });
  const file = join(server.dir, 'khoknongna.pmtiles');
  assert.ok(statSync(file).size > 0);
  archive = new PMTiles(new FileSource(file));
});
after(async () => {
  await browser?.close();
  await server?.stop();
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

test('MapLibre draws the plots from the archive served by plotmap through pmtiles:// (phone, Thai)', async () => {
  browser = await launchChromium(['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
  const page = await browser.newPage({ viewport: { width: 390, height: 740 }, deviceScaleFactor: 2, locale: 'th-TH' });
  const problems = [];
  const ranges = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
    if (r.url().includes('/archives/khoknongna.pmtiles')) ranges.push(r.status());
  });
  const tiles = [];
  page.on('request', (r) => { if (/\/tiles\/plots\/\d+/.test(r.url())) tiles.push(r.url()); });
  const plot = (await (await fetch(`${server.base}/api/v1/plots?limit=1`)).json()).plots[0];
  const [lon, lat] = plot.pin.coordinates;
  await page.goto(`${server.base}/embed?lang=th&archive=khoknongna.pmtiles#16/${lat}/${lon}`);
  await page.waitForFunction(() => window.plotmapMap && window.plotmapMap.loaded() && window.plotmapMap.areTilesLoaded(),
    null, { timeout: 60000 });
  const source = await page.evaluate(() => window.plotmapMap.getStyle().sources.plots.url);
  assert.equal(source, `pmtiles://${server.base}/archives/khoknongna.pmtiles`);
  const drawn = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['plots-fill'] }).map((f) => f.id));
  assert.ok(drawn.includes(plot.id), `plot ${plot.id} is drawn from the archive`);
  assert.ok(ranges.length > 0 && ranges.every((s) => s === 206), `the archive is read in byte ranges (${ranges})`);
  assert.deepEqual(tiles, [], 'no live plot tiles were asked for');
  await page.screenshot({ path: join(screenshotDir(), 'embed-archive-th.png') });
  assert.deepEqual(problems, [], 'no errors, no failed requests');
  await page.close();
});

test('the embed builder offers the archive (and a PMTiles URL elsewhere) and its preview draws from it (phone, Thai)', async () => {
  browser ??= await launchChromium(['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'th-TH' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}/embed/builder`);
  await page.waitForFunction(() => window.plotmapBuilderReady);
  // Only this server's PMTiles archives are offered (GET /archives), then another host's URL.
  const choices = await page.$$eval('[name=source] option', (os) => os.map((o) => o.value));
  assert.deepEqual(choices, ['', 'khoknongna.pmtiles', 'url']);

  await page.selectOption('[name=source]', 'khoknongna.pmtiles');
  assert.match(await page.inputValue('#snippet'), /\/embed\?lang=th&amp;archive=khoknongna\.pmtiles"/);
  assert.equal(await page.inputValue('#tilejson'), `${server.base}/tiles/khoknongna.json`);
  assert.equal(await page.inputValue('#style'), `${server.base}/styles/khoknongna.json`);
  assert.match(await page.inputValue('#qgis'), /url=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Ftiles%2Fkhoknongna%2F{z}%2F{x}%2F{y}\.mvt&zmin=0&zmax=14&styleUrl=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fstyles%2Fkhoknongna\.json$/);
  assert.ok(await page.isVisible('#archive-note'));
  // The preview is the snippet's map, drawn from the archive.
  await page.waitForFunction(() => document.getElementById('preview').src.includes('archive=khoknongna.pmtiles'));
  await page.waitForFunction(() => {
    const map = document.getElementById('preview').contentWindow.plotmapMap;
    return map?.getStyle()?.sources?.plots?.url?.startsWith('pmtiles://') && map.loaded() && map.areTilesLoaded();
  }, null, { timeout: 60000 });
  await page.screenshot({ path: join(screenshotDir(), 'embed-builder-archive-th.png'), fullPage: true });

  // Another host: a URL that is not a PMTiles file is refused with a hint, a good one goes in.
  await page.selectOption('[name=source]', 'url');
  await page.fill('[name=archive_url]', 'https://example.org/plots.zip');
  assert.ok(await page.isVisible('#archive-warning'));
  assert.doesNotMatch(await page.inputValue('#snippet'), /archive=/);
  await page.fill('[name=archive_url]', 'https://cdn.example.org/khoknongna/plots.pmtiles');
  assert.ok(await page.isHidden('#archive-warning'));
  assert.match(await page.inputValue('#snippet'), /archive=https%3A%2F%2Fcdn\.example\.org%2Fkhoknongna%2Fplots\.pmtiles"/);
  await page.selectOption('[name=source]', '');
  assert.doesNotMatch(await page.inputValue('#snippet'), /archive=/);
  assert.deepEqual(errors, []);
  await page.close();
});
