// The embeddable map in real headless Chromium: MapLibre GL JS loads plotmap's style and
// draws plots, pins, clusters and Thai labels.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../testing/browser.js';
import { startServer } from '../testing/server.js';

let server;
let browser;
before(async () => {
  server = await startServer({ plots: 300 });
  browser = await launchChromium(['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openMap(hash) {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`); });
  await page.goto(`${server.base}/embed#${hash}`);
  await page.waitForFunction(() => window.plotmapMap && window.plotmapMap.loaded() && window.plotmapMap.areTilesLoaded(),
    null, { timeout: 60000 });
  return { page, problems };
}

test('plots render coloured by stage at zoom 16, with their ids for feature-state', async () => {
  const plot = (await (await fetch(`${server.base}/api/v1/plots?limit=1`)).json()).plots[0];
  const [lon, lat] = plot.pin.coordinates;
  const { page, problems } = await openMap(`16/${lat}/${lon}`);
  const rendered = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['plots-fill'] })
    .map((f) => ({ id: f.id, stage: f.properties.stage })));
  assert.ok(rendered.length > 0, 'plot polygons are drawn');
  assert.ok(rendered.some((f) => f.id === plot.id), `plot ${plot.id} is drawn under its pin`);
  const pins = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['pins'] }).length);
  assert.ok(pins > 0, 'pins are drawn');
  await page.screenshot({ path: join(tmpdir(), 'plotmap-embed-z16.png') });
  assert.deepEqual(problems, [], 'no errors, no failed requests');
  await page.close();
});

test('clusters with counts and Thai admin labels render at zoom 6', async () => {
  const { page, problems } = await openMap('6/15.5/101.5');
  const clusters = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['clusters'] })
    .map((f) => f.properties.point_count));
  assert.ok(clusters.length > 0, 'clusters are drawn');
  const counts = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['cluster-count'] }).length);
  assert.ok(counts > 0, 'cluster counts are drawn (glyphs load)');
  const labels = await page.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['admin-labels'] })
    .map((f) => f.properties.name_th));
  assert.ok(labels.some((n) => /[\u0E00-\u0E7F]/.test(n)), 'Thai province labels are drawn');
  await page.screenshot({ path: join(tmpdir(), 'plotmap-embed-z6.png') });
  assert.deepEqual(problems, [], 'no errors, no failed requests');
  await page.close();
});
