// The embed builder (/embed/builder) and the embed page's parameters in real headless
// Chromium against the real server: the builder's snippet loads a map that keeps to its
// area, stages and language; its QGIS and TileJSON strings are complete; a token adds the
// personal fields of its scope to the popups and nothing without it. Screenshots go to
// build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launchChromium, screenshotDir } from '../testing/browser.js';
import { startServer } from '../testing/server.js';

const shots = screenshotDir();
let server;
let browser;
let token;
before(async () => {
  server = await startServer({ plots: 1500, users: [{ username: 'reader', role: 'viewer', scope: '64', password: 'reader-password' }] });
  token = execFileSync(process.env.TEST_PLOTMAP_BINARY, ['token', 'create', '--db', server.db, '--username', 'reader', '--name', 'embed'])
    .toString().trim().split('\n').pop().trim();
  browser = await launchChromium(['--use-angle=swiftshader', '--enable-unsafe-swiftshader']);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

function sql(query) {
  return execFileSync('sqlite3', [server.db, query]).toString().trim();
}

async function mapPage(url, viewport = { width: 900, height: 700 }) {
  const page = await browser.newPage({ viewport, locale: 'th-TH' });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.plotmapMap?.loaded() && window.plotmapMap.areTilesLoaded(), null, { timeout: 60000 });
  return { page, problems };
}

test('the builder writes a snippet whose map keeps to the area, the stages and the language chosen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'th-TH' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}/embed/builder`);
  await page.waitForFunction(() => window.plotmapBuilderReady);
  await page.selectOption('[name=adm1]', '64');
  await page.waitForSelector('[name=adm2] option[value="6401"]', { state: 'attached' });
  await page.selectOption('[name=adm2]', '6401');
  await page.uncheck('#stages input[value=surveyed]');
  await page.uncheck('#stages input[value=complete]');
  await page.selectOption('[name=lang]', 'en');
  const snippet = await page.inputValue('#snippet');
  assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\?bbox=[\d.]+,[\d.]+,[\d.]+,[\d.]+&amp;stage=digging,planting&amp;lang=en" width="100%" height="480"/);
  const qgis = await page.inputValue('#qgis');
  assert.match(qgis, /^type=xyz&url=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Ftiles%2Fplots%2F{z}%2F{x}%2F{y}\.mvt&zmin=0&zmax=\d+&styleUrl=/);
  assert.equal(await page.inputValue('#tilejson'), `${server.base}/tiles/plots.json`);
  assert.equal(await page.inputValue('#oapif'), `${server.base}/`);
  // The live preview is the snippet's map.
  await page.waitForFunction(() => document.getElementById('preview').src.includes('stage=digging,planting&lang=en'));
  await page.frameLocator('#preview').locator('#legend div').first().waitFor();
  await page.waitForFunction(() => document.getElementById('preview').contentWindow.plotmapMap?.areTilesLoaded());
  await page.screenshot({ path: join(shots, 'embed-builder-phone-th.png'), fullPage: true });
  assert.deepEqual(errors, []);

  const src = snippet.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
  const bbox = new URL(src).searchParams.get('bbox').split(',').map(Number);
  const { page: map, problems } = await mapPage(src);
  const view = await map.evaluate(() => {
    const b = window.plotmapMap.getBounds();
    return { west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth(), legend: document.getElementById('legend').textContent };
  });
  // The district fills the view (MapLibre pads it and keeps the aspect).
  assert.ok(view.west <= bbox[0] && view.east >= bbox[2] && view.south <= bbox[1] && view.north >= bbox[3], JSON.stringify(view));
  assert.ok(view.east - view.west < (bbox[2] - bbox[0]) * 4, 'zoomed to the district, not the country');
  assert.equal(view.legend, 'diggingplanting');
  // Clusters count the chosen stages only; up close every plot drawn is digging or planting.
  const clusters = await map.evaluate(() => window.plotmapMap.queryRenderedFeatures({ layers: ['clusters'] })
    .map((f) => [f.properties.digging ?? 0, f.properties.planting ?? 0]));
  assert.ok(clusters.length > 0 && clusters.every(([d, p]) => d + p > 0), JSON.stringify(clusters));
  const planting = (await (await fetch(`${server.base}/api/v1/plots?adm2=6401&stage=planting&limit=1`)).json()).plots[0];
  const [lon, lat] = planting.pin.coordinates;
  await map.evaluate(([x, y]) => window.plotmapMap.jumpTo({ center: [x, y], zoom: 15 }), [lon, lat]);
  await map.waitForFunction(() => window.plotmapMap.loaded() && window.plotmapMap.areTilesLoaded());
  const stages = await map.evaluate(() => [...new Set(window.plotmapMap.queryRenderedFeatures({ layers: ['pins', 'plots-fill'] }).map((f) => f.properties.stage))]);
  assert.ok(stages.includes('planting'), JSON.stringify(stages));
  assert.deepEqual(stages.filter((s) => s !== 'digging' && s !== 'planting'), []);
  await map.screenshot({ path: join(shots, 'embed-filtered-en.png') });
  assert.deepEqual(problems, []);
});

test('a token adds its scope\'s personal fields to the popup; without it there are none', async () => {
  const plot = (await (await fetch(`${server.base}/api/v1/plots?adm1=64&limit=1`)).json()).plots[0];
  const { id } = plot;
  const [lon, lat] = plot.pin.coordinates;
  const owner = sql(`SELECT owner_name FROM plots WHERE id = ${id}`);
  assert.ok(owner.length > 0);
  const popupOf = async (url) => {
    const { page, problems } = await mapPage(url, { width: 390, height: 844 });
    const xy = await page.evaluate(([x, y]) => window.plotmapMap.project([x, y]), [lon, lat]);
    await page.mouse.click(xy.x, xy.y);
    await page.waitForSelector('.maplibregl-popup .popup');
    await page.waitForTimeout(800); // the personal fields arrive after the public ones
    return { page, problems, text: await page.textContent('.maplibregl-popup .popup') };
  };
  const open = await popupOf(`${server.base}/embed?center=${lon},${lat}&zoom=17&lang=th`);
  assert.match(open.text, /รหัส/);
  assert.ok(!open.text.includes(owner), 'no owner without a token');
  assert.deepEqual(open.problems, []);
  const signed = await popupOf(`${server.base}/embed?center=${lon},${lat}&zoom=17&lang=th&token=${encodeURIComponent(token)}`);
  assert.ok(signed.text.includes(owner), `the owner with the token: ${signed.text} (plot ${id})`);
  await signed.page.screenshot({ path: join(shots, 'embed-token-popup-phone-th.png') });
  assert.deepEqual(signed.problems, []);
});
