// The field app (/app/) in real headless Chromium on a phone-sized screen, in Thai, against
// the real server: sign in, plots near the officer by distance, a plot pinned from averaged
// GPS fixes, a plot typed in Indian 1975 UTM saved offline and sent when the signal returns,
// a save whose answer is lost on the way back sent again and stored once, the app reloaded
// with no signal from its service worker, boundaries drawn and walked. Screenshots go to
// build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import proj4 from 'proj4';
import { launchChromium, screenshotDir } from '../testing/browser.js';
import { startServer } from '../testing/server.js';

const shots = screenshotDir();

let server;
let browser;
before(async () => {
  server = await startServer({
    plots: 300,
    users: [{ username: 'field64', role: 'staff', scope: '64', password: 'field-password' }],
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A phone: 390 x 844 CSS pixels, touch, Thai, GPS allowed at `at`. */
async function phone(at) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'th-TH',
    permissions: ['geolocation'],
    geolocation: { latitude: at[1], longitude: at[0], accuracy: 8 },
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

async function signIn(page) {
  await page.goto(`${server.base}/app/`);
  await page.waitForSelector('#sign-in-view:not([hidden])');
  await page.fill('#sign-in input[name=username]', 'field64');
  await page.fill('#sign-in input[name=password]', 'field-password');
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#work-view:not([hidden])');
  await page.waitForFunction(() => window.plotmapApp?.map?.loaded());
}

/**
 * Waits (at most 30 s) until the app's outbox satisfies `ok(ops)`. (waitForFunction does not
 * await a promise its function returns: an async check would pass at once.)
 */
async function outboxUntil(page, ok) {
  for (let i = 0; i < 300; i += 1) {
    if (ok(await page.evaluate(() => window.plotmapApp.outbox.pending()))) return;
    await page.waitForTimeout(100);
  }
  throw new Error('the outbox never got there');
}

/** Types a plot's position as lat, lon on the new-plot tab, names it, and saves it. */
async function saveTypedPlot(page, [lon, lat], name) {
  await page.click('#tabs [data-tab=new]');
  if (await page.isHidden('#typed')) await page.click('#pin-typed-toggle');
  await page.fill('#typed [name=latlon]', `${lat.toFixed(6)}, ${lon.toFixed(6)}`);
  await page.click('#typed button[type=submit]');
  await page.fill('#plot-form [name=name]', name);
  await page.click('#plot-form button[type=submit]');
}

/** A live plot of the officer's province, from the API. */
async function somePlotIn(province) {
  const res = await fetch(`${server.base}/api/v1/plots?adm1=${province}&limit=20`);
  const { plots } = await res.json();
  const p = plots.find((x) => x.pin) ?? plots[0];
  return { plot: p, at: p.pin ? p.pin.coordinates : p.boundary.coordinates[0][0] };
}

async function plotsNamed(context, name) {
  const res = await context.request.get(`${server.base}/api/v1/plots?q=${encodeURIComponent(name)}&limit=10`);
  assert.equal(res.status(), 200);
  return (await res.json()).plots.filter((p) => p.name === name);
}

/** Metres between two [lon, lat]. */
function metres(a, b) {
  const k = 111320;
  return Math.hypot((a[0] - b[0]) * k * Math.cos((a[1] * Math.PI) / 180), (a[1] - b[1]) * 110574);
}

test('sign in; the officer\'s province opens; plots near them come nearest first', async () => {
  const { at } = await somePlotIn('64');
  const { context, page, errors } = await phone([at[0] + 0.002, at[1] + 0.001]);
  await signIn(page);
  assert.match(await page.textContent('#whoami'), /field64 · 64 \(สุโขทัย\)/);
  // Thai words, the province in view, the list filled from the map's bounds.
  assert.equal(await page.textContent('#tabs [data-tab=near]'), 'ใกล้ฉัน');
  const centre = await page.evaluate(() => window.plotmapApp.map.getCenter().toArray());
  assert.ok(centre[0] > 99 && centre[0] < 100.5 && centre[1] > 16.3 && centre[1] < 17.9, String(centre)); // Sukhothai
  await page.click('#locate');
  await page.waitForFunction(() => window.plotmapApp.state.position !== null);
  await page.waitForFunction(() => document.querySelectorAll('#plots li[data-id]').length > 3);
  const distances = await page.$$eval('#plots li[data-id] .far', (els) => els.map((e) => {
    const [value, unit] = e.textContent.split(' ');
    return Number(value) * (unit.startsWith('กม') ? 1000 : 1);
  }));
  for (let i = 1; i < distances.length; i += 1) assert.ok(distances[i] >= distances[i - 1] - 50, distances.join(' '));
  assert.ok(distances[0] < 1000, `the nearest plot is ${distances[0]} m away`);
  await page.waitForTimeout(500); // tiles settle
  await page.screenshot({ path: join(shots, 'app-near-th.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a plot pinned from averaged GPS fixes is saved and stored once, where the fixes were', async () => {
  const { at } = await somePlotIn('64');
  const spot = [at[0] + 0.004, at[1] - 0.003];
  const { context, page, errors } = await phone(spot);
  await signIn(page);
  await page.click('#tabs [data-tab=new]');
  await page.click('#pin-gps');
  // Eight fixes a few metres around the spot, one of them 40 m off (an outlier to drop).
  const jitter = [[1, 0], [-1, 1], [0, -1], [2, 1], [-2, -1], [40, 0], [1, 2], [0, 0]];
  for (const [dx, dy] of jitter) {
    await context.setGeolocation({ longitude: spot[0] + dx / 106000, latitude: spot[1] + dy / 110600, accuracy: 4 });
    await page.waitForTimeout(120);
    if (await page.textContent('#pin-summary')) break;
  }
  await page.waitForFunction(() => document.getElementById('pin-summary').textContent.includes('GPS'));
  const pin = await page.evaluate(() => window.plotmapApp.state.pin);
  assert.equal(pin.source, 'gps');
  assert.ok(metres([pin.lon, pin.lat], spot) < 3, `pin ${metres([pin.lon, pin.lat], spot)} m from the fixes`);
  assert.ok(pin.accuracy > 0 && pin.accuracy <= 10);

  await page.selectOption('#plot-form [name=program]', 'HLM');
  await page.fill('#plot-form [name=name]', 'แปลงทดสอบจีพีเอส');
  await page.fill('#plot-form [name=owner_name]', 'สมศรี ใจงาม');
  await page.fill('#plot-form [name=village_no]', '4');
  await page.selectOption('#plot-form [name=deed_type]', 'ns3k');
  await page.fill('#plot-form [name=declared_area_rai]', '3-2-50');
  await page.fill('#plot-form [name=budget_year_be]', '2569');
  await page.fill('#plot-form [name=notes]', 'ติดถนนลูกรัง');
  await page.screenshot({ path: join(shots, 'app-new-plot-th.png'), fullPage: true });
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /ส่งถึงเซิร์ฟเวอร์แล้ว/.test(document.getElementById('save-message').textContent));

  const stored = await plotsNamed(context, 'แปลงทดสอบจีพีเอส');
  assert.equal(stored.length, 1);
  assert.equal(stored[0].pin_source, 'gps');
  assert.equal(stored[0].declared_area_m2, 3 * 1600 + 2 * 400 + 50 * 4);
  assert.equal(stored[0].budget_year, 2026); // typed 2569 BE
  assert.equal(stored[0].notes, 'ติดถนนลูกรัง');
  assert.equal(stored[0].adm1, '64');
  assert.ok(metres(stored[0].pin.coordinates, spot) < 3);
  assert.match(await page.textContent('#save-message'), new RegExp(stored[0].code));
  assert.deepEqual(errors, []);
  await context.close();
});

test('offline: a plot typed in Indian 1975 UTM waits on the phone, survives a reload, and is sent once when the signal returns', async () => {
  const { at } = await somePlotIn('64');
  const spot = [at[0] - 0.003, at[1] + 0.004];
  // The values as printed on a deed survey sheet: Indian 1975 / UTM 47N, with the datum shift
  // PROJ uses in Thailand (EPSG:1812).
  const [e, n] = proj4('EPSG:4326', '+proj=utm +zone=47 +ellps=evrst30 +towgs84=293,836,318,0.5,1.6,-2.8,2.1 +units=m +no_defs', spot);
  const { context, page, errors } = await phone(spot);
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready); // the app shell is cached

  await context.setOffline(true);
  await page.click('#tabs [data-tab=new]');
  await page.click('#pin-typed-toggle');
  await page.fill('#typed [name=easting]', e.toFixed(1));
  await page.fill('#typed [name=northing]', n.toFixed(1));
  await page.selectOption('#typed [name=datum]', 'INDIAN1975');
  await page.click('#typed button[type=submit]');
  await page.waitForFunction(() => window.plotmapApp.state.pin?.source === 'typed');
  await page.fill('#plot-form [name=name]', 'แปลงออฟไลน์');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));
  await page.waitForSelector('#outbox-badge:not([hidden])');
  assert.match(await page.textContent('#outbox-badge'), /รอส่ง 1 รายการ/);
  assert.match(await page.textContent('#net'), /ออฟไลน์/);

  // Signing out would strand the unsent plot on a shared phone: refused, with the reason.
  await page.click('#sign-out');
  await page.waitForSelector('#footer-message:not([hidden])');
  assert.match(await page.textContent('#footer-message'), /ยังมีข้อมูลรอส่ง 1 รายการ/);
  assert.equal(await page.isVisible('#work-view'), true);

  // No signal, and the tab is reloaded: the app comes from its service worker, the outbox from IndexedDB.
  await page.reload();
  await page.waitForSelector('#work-view:not([hidden])');
  await page.waitForSelector('#outbox-badge:not([hidden])');
  await page.click('#outbox-badge');
  await page.waitForFunction(() => document.getElementById('storage').textContent !== '');
  await page.screenshot({ path: join(shots, 'app-outbox-offline-th.png') });
  assert.match(await page.textContent('#outbox-list'), /แปลงออฟไลน์/);
  assert.match(await page.textContent('#storage'), /ข้อมูลในเครื่อง [\d.]+ MB จาก [\d.]+ MB/);
  assert.equal((await plotsNamed(context, 'แปลงออฟไลน์')).length, 0);

  await context.setOffline(false);
  await page.waitForSelector('#outbox-badge', { state: 'hidden' });
  const stored = await plotsNamed(context, 'แปลงออฟไลน์');
  assert.equal(stored.length, 1);
  assert.equal(stored[0].pin_source, 'typed');
  // Stored through the server's PROJ from the values as typed: what cs2cs makes of them
  // (EPSG:24047 to EPSG:4326, latitude first), to the millimetre.
  const [lat, lon] = execFileSync('cs2cs', ['-f', '%.9f', 'EPSG:24047', 'EPSG:4326'], { input: `${e.toFixed(1)} ${n.toFixed(1)}\n` })
    .toString().trim().split(/\s+/).map(Number);
  assert.ok(metres(stored[0].pin.coordinates, [lon, lat]) < 0.001, `${metres(stored[0].pin.coordinates, [lon, lat])} m from cs2cs`);
  assert.ok(metres(stored[0].pin.coordinates, spot) < 1, `${metres(stored[0].pin.coordinates, spot)} m from where it was meant`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a save whose answer is lost on the way back is sent again with the same key and stored once', async () => {
  const { at } = await somePlotIn('64');
  const spot = [at[0] + 0.006, at[1] + 0.002];
  const { context, page, errors } = await phone(spot);
  await signIn(page);
  // The first POST reaches the server and is answered, but the answer never arrives.
  const keys = [];
  let answerLost;
  const firstAnswerLost = new Promise((resolve) => { answerLost = resolve; });
  await page.route('**/api/v1/plots', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    if (keys.length > 1) return route.continue();
    const answer = await route.fetch();
    await route.abort('connectionreset');
    answerLost(answer.status());
  });
  await saveTypedPlot(page, spot, 'แปลงคำตอบหาย');
  assert.equal(await firstAnswerLost, 201);
  assert.equal((await plotsNamed(context, 'แปลงคำตอบหาย')).length, 1); // stored, though the phone does not know
  await outboxUntil(page, (ops) => ops[0]?.attempts === 1);

  // The officer taps "send now": it goes again at once, whatever the back-off said.
  await page.click('#tabs [data-tab=outbox]');
  await page.click('#sync');
  await page.waitForFunction(() => /ส่งครบทุกรายการแล้ว/.test(document.getElementById('outbox-summary').textContent));
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1]);
  assert.equal((await plotsNamed(context, 'แปลงคำตอบหาย')).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a boundary drawn by tapping corners: undo and redo, snapping to a neighbour\'s corner, live area, a crossing refused', async () => {
  // A demo plot with a boundary: the new plot is drawn against its east side.
  const res = await fetch(`${server.base}/api/v1/plots?adm1=64&limit=100`);
  const neighbour = (await res.json()).plots.find((p) => p.boundary);
  const ring = neighbour.boundary.type === 'Polygon' ? neighbour.boundary.coordinates[0] : neighbour.boundary.coordinates[0][0];
  const east = ring.reduce((a, b) => (b[0] > a[0] ? b : a)); // the neighbour's easternmost corner
  const { context, page, errors } = await phone(east);
  await signIn(page);
  await page.click('#tabs [data-tab=new]');
  await page.evaluate((at) => window.plotmapApp.map.jumpTo({ center: [at[0] + 0.0003, at[1]], zoom: 18 }), east);
  await page.waitForFunction(() => window.plotmapApp.state.plots.some((p) => p.boundary));
  const box = await page.locator('#map').boundingBox();
  const screen = (lonLat) => page.evaluate((v) => window.plotmapApp.map.project(v), lonLat);
  const tap = async (x, y) => {
    await page.mouse.click(box.x + x, box.y + y);
    await page.waitForTimeout(150);
  };
  await page.click('#draw-start');
  const e = await screen(east);
  // First corner 6 px off the neighbour's corner: it snaps onto it exactly.
  await tap(e.x + 4, e.y + 4);
  await tap(e.x + 120, e.y);
  await tap(e.x + 120, e.y + 100);
  await page.click('#draw-undo');
  await page.click('#draw-redo');
  await tap(e.x, e.y + 100);
  await tap(e.x + 4, e.y + 4); // the first corner again: closes the polygon
  await page.waitForFunction(() => window.plotmapApp.state.editor.finished());
  const drawn = await page.evaluate(() => window.plotmapApp.state.boundary);
  assert.equal(drawn.length, 4, JSON.stringify(drawn));
  assert.deepEqual(drawn[0], east, 'snapped onto the neighbour\'s corner');
  assert.match(await page.textContent('#area-text'), /^พื้นที่ \d+-\d-[\d.]+ ไร่ \([\d,]+ ตร\.ม\.\) · รอบแปลง [\d,]+ ม\.$/);
  await page.fill('#plot-form [name=declared_area_rai]', '2-0-0');
  assert.match(await page.textContent('#area-deed'), /ต่างจากเนื้อที่ตามเอกสาร [+-][\d.]+%/);
  await page.screenshot({ path: join(shots, 'app-draw-boundary-th.png') });
  const shownArea = Number((await page.textContent('#area-text')).match(/\(([\d,]+) ตร/)[1].replace(/,/g, ''));

  await page.fill('#plot-form [name=name]', 'แปลงวาดขอบเขต');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /ส่งถึงเซิร์ฟเวอร์แล้ว/.test(document.getElementById('save-message').textContent));
  const [stored] = await plotsNamed(context, 'แปลงวาดขอบเขต');
  assert.ok(stored.boundary, 'stored with its boundary');
  assert.ok(Math.abs(stored.area_m2 - shownArea) / stored.area_m2 < 0.002, `server ${stored.area_m2} m², app ${shownArea} m²`);
  assert.deepEqual(stored.boundary.coordinates[0][0], east);
  // Shared corner, no overlap beyond it: the server does not warn about this neighbour.

  // A bow tie: the crossing is shown and the save refused until it is fixed.
  await page.evaluate((at) => window.plotmapApp.map.jumpTo({ center: [at[0] + 0.003, at[1]], zoom: 18 }), east);
  await page.click('#draw-start');
  for (const [x, y] of [[100, 100], [250, 100], [100, 250], [250, 250], [100, 100]]) await tap(x, y);
  await page.waitForSelector('#area-crossings:not([hidden])');
  assert.match(await page.textContent('#area-crossings'), /ตัดกันเอง 1 จุด/);
  await page.fill('#plot-form [name=name]', 'แปลงไขว้');
  await page.click('#plot-form button[type=submit]');
  assert.match(await page.textContent('#save-message'), /ตัดกันเอง/);
  assert.equal((await plotsNamed(context, 'แปลงไขว้')).length, 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a boundary walked with GPS: live area with its error band, a jump dropped, the raw track kept with the plot', async () => {
  const { at } = await somePlotIn('64');
  const start = [at[0] - 0.006, at[1] - 0.004];
  const { context, page, errors } = await phone(start);
  await signIn(page);
  await page.click('#tabs [data-tab=new]');
  await page.evaluate((v) => window.plotmapApp.map.jumpTo({ center: v, zoom: 18 }), start);
  await page.click('#walk-start');
  await page.waitForSelector('#walk-live:not([hidden])');
  // Around a 20 m square in 10 m steps, a fix every 0.4 s (accuracy 10 m allows it), with one
  // fix 300 m off in the middle.
  const m = 1 / 106000;
  const steps = [[0, 0], [10, 0], [20, 0], [20, 10], [20, 20], [300, 20], [10, 20], [0, 20], [0, 10]];
  for (const [x, y] of steps) {
    await context.setGeolocation({ longitude: start[0] + x * m, latitude: start[1] + y / 110600, accuracy: 10 });
    await page.waitForTimeout(400);
  }
  await page.waitForFunction(() => /กำลังบันทึก 8 จุด/.test(document.getElementById('walk-status').textContent));
  assert.match(await page.textContent('#walk-notes'), /ตัดค่าที่ไม่ดีออก 1 ค่า/);
  assert.match(await page.textContent('#area-band'), /คลาดเคลื่อน ±[\d,]+ ตร\.ม\. \(95%\)/);
  await page.screenshot({ path: join(shots, 'app-walk-boundary-th.png') });
  // The officer looks at another app: the page is hidden and gets no fixes. Coming back 15 m
  // off the last point, the boundary does not join the two by a straight line: it waits,
  // says so, and goes on once the officer is back where it stopped.
  const setVisibility = (v) => page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    document.dispatchEvent(new Event('visibilitychange'));
  }, v);
  await setVisibility('hidden');
  await page.waitForTimeout(6000); // long enough that 15 m is a walk, not a jump
  await setVisibility('visible');
  await context.setGeolocation({ longitude: start[0] - 15 * m, latitude: start[1] + 10 / 110600, accuracy: 10 });
  await page.waitForSelector('#walk-gap:not([hidden])');
  assert.match(await page.textContent('#walk-gap'), /\d+ ม\./);
  await page.screenshot({ path: join(shots, 'app-walk-gap-th.png') });
  await page.waitForTimeout(5000); // walking back
  await context.setGeolocation({ longitude: start[0], latitude: start[1] + 10 / 110600, accuracy: 10 });
  await page.waitForSelector('#walk-gap', { state: 'hidden' });
  assert.match(await page.textContent('#walk-status'), /กำลังบันทึก 8 จุด/); // nothing added across the gap
  await page.click('#walk-finish');
  await page.waitForFunction(() => window.plotmapApp.state.editor.finished());
  // Open in the editor now, the walked corners keep their accuracy: the band is still there.
  assert.equal(await page.isVisible('#area-live'), true);
  assert.match(await page.textContent('#area-band'), /คลาดเคลื่อน ±[\d,]+ ตร\.ม\./);
  await page.fill('#plot-form [name=name]', 'แปลงเดินรอบ');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /ส่งถึงเซิร์ฟเวอร์แล้ว/.test(document.getElementById('save-message').textContent));
  const [stored] = await plotsNamed(context, 'แปลงเดินรอบ');
  assert.ok(Math.abs(stored.area_m2 - 400) < 20, `${stored.area_m2} m²`);
  const history = await (await context.request.get(`${server.base}/api/v1/plots/${stored.id}/history`)).json();
  const track = history.versions[0].details.track;
  assert.equal(track.mode, 'walk');
  assert.ok(track.fixes.length >= steps.length, `${track.fixes.length} fixes`); // and the position at the start
  assert.deepEqual(track.fixes.filter((f) => !f.kept).map((f) => f.reason), ['too_fast']);
  assert.deepEqual(errors, []);
  await context.close();
});

/** A signed-in API client for the office side of a test (Node's fetch, its own session). */
async function officeSession(username, password) {
  const res = await fetch(`${server.base}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await res.json();
  return async (method, path, body, headers = {}) => {
    const answer = await fetch(`${server.base}${path}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: answer.status, headers: answer.headers, body: await answer.json().catch(() => null) };
  };
}

/** Opens a plot's page from the list, found by its code. */
async function openPlotPage(page, plot) {
  await page.click('#tabs [data-tab=near]');
  await page.fill('#search', plot.code);
  await page.click(`#plots li[data-id="${plot.id}"]`);
  await page.waitForSelector('#tab-plot:not([hidden])');
  await page.waitForFunction((code) => document.getElementById('plot-title').textContent.startsWith(code), plot.code);
}

/** A camera-sized JPEG (3000 x 2000) made by the browser itself. */
async function cameraJpeg(page) {
  const b64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(3000, 2000);
    const g = canvas.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 3000, 2000);
    grad.addColorStop(0, '#2e7d32');
    grad.addColorStop(1, '#8d6e63');
    g.fillStyle = grad;
    g.fillRect(0, 0, 3000, 2000);
    g.fillStyle = '#1565c0';
    g.beginPath();
    g.ellipse(1500, 1100, 900, 450, 0, 0, 2 * Math.PI);
    g.fill();
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  });
  return Buffer.from(b64, 'base64');
}

test('offline: progress with a photo is stamped, downsized and queued, survives a reload, and reaches the server once', async () => {
  const res = await fetch(`${server.base}/api/v1/plots?adm1=64&stage=surveyed&limit=20`);
  const plot = (await res.json()).plots.find((p) => p.pin);
  const { context, page, errors } = await phone(plot.pin.coordinates);
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const jpeg = await cameraJpeg(page);
  await openPlotPage(page, plot);

  await context.setOffline(true);
  await page.click('#progress-open');
  await page.selectOption('#progress-form [name=stage]', 'digging');
  await page.fill('#progress-form [name=date]', '3/11/2569');
  assert.match(await page.textContent('#progress-day'), /3 พ\.ย\. 2569/);
  await page.fill('#progress-form [name=note]', 'ขุดบ่อเสร็จ');
  await page.setInputFiles('#photo-input', { name: 'IMG_0412.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await page.waitForSelector('#photo-picked li');
  assert.match(await page.textContent('#photo-picked'), /พิกัด ±8 ม\./);
  // Not photos: a text file, and a text file called .jpg (found when it will not decode).
  await page.setInputFiles('#photo-input', [
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') },
    { name: 'IMG_fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo either') },
  ]);
  await page.waitForSelector('#progress-message:not([hidden])');
  assert.match(await page.textContent('#progress-message'), /notes\.txt ไม่ใช่รูปภาพ IMG_fake\.jpg ไม่ใช่รูปภาพ/);
  assert.equal(await page.locator('#photo-picked li').count(), 1);
  // A date that has not come yet is refused before anything is queued.
  await page.fill('#progress-form [name=date]', '1/1/2600');
  await page.click('#progress-form button[type=submit]');
  assert.match(await page.textContent('#progress-message'), /วันที่ยังมาไม่ถึง/);
  await page.fill('#progress-form [name=date]', '3/11/2569');
  await page.click('#progress-form button[type=submit]');
  await page.waitForSelector('#timeline li.pending');
  await page.waitForFunction(() => /รอส่ง 2 รายการ/.test(document.getElementById('outbox-badge').textContent));
  assert.match(await page.textContent('#timeline'), /3 พ\.ย\. 2569 · กำลังขุด · ขุดบ่อเสร็จ/);
  await page.locator('#timeline').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'app-progress-offline-th.png') });

  // The tab is closed and opened again with no signal: everything is still on the phone.
  await page.reload();
  await page.waitForSelector('#work-view:not([hidden])');
  await page.click('#outbox-badge');
  await page.waitForFunction(() => document.querySelectorAll('#outbox-list li').length === 2);
  assert.match(await page.textContent('#outbox-list'), /ความก้าวหน้า.*รูปถ่าย/s);

  await context.setOffline(false);
  await page.waitForSelector('#outbox-badge', { state: 'hidden' });
  const office = await officeSession('field64', 'field-password');
  const { body: { entries: timeline } } = await office('GET', `/api/v1/plots/${plot.id}/timeline`);
  const events = timeline.filter((e) => e.kind === 'progress');
  assert.equal(events.length, 1, JSON.stringify(timeline));
  assert.deepEqual([events[0].date, events[0].stage_from, events[0].stage_to, events[0].note], ['2026-11-03', 'surveyed', 'digging', 'ขุดบ่อเสร็จ']);
  assert.equal(events[0].photos.length, 1);
  const { body: { photos } } = await office('GET', `/api/v1/plots/${plot.id}/photos`);
  assert.equal(photos.length, 1);
  assert.deepEqual([photos[0].width, photos[0].height], [1600, 1067]); // downsized on the phone, in its worker
  assert.equal(photos[0].accuracy_m, 8);
  assert.ok(metres(photos[0].location, plot.pin.coordinates) < 1, 'stamped where the phone was');
  assert.equal(photos[0].stage, 'digging');
  const plotNow = (await office('GET', `/api/v1/plots/${plot.id}`)).body;
  assert.equal(plotNow.stage, 'digging');
  assert.equal(plotNow.version, plot.version + 1);

  await openPlotPage(page, plot);
  await page.waitForSelector('#timeline li:not(.pending) img');
  await page.waitForFunction(() => [...document.querySelectorAll('#timeline img')].every((i) => i.complete && i.naturalWidth > 0));
  assert.match(await page.textContent('#plot-facts'), /กำลังขุด/);
  await page.locator('#timeline li:not(.pending) img').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'app-plot-timeline-th.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an edit made offline meets an office edit: the officer picks field by field, nothing is overwritten silently', async () => {
  const res = await fetch(`${server.base}/api/v1/plots?adm1=64&limit=40`);
  const plot = (await res.json()).plots.filter((p) => p.pin)[5];
  const { context, page, errors } = await phone(plot.pin.coordinates);
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await openPlotPage(page, plot);
  await page.click('#plot-edit');
  await page.waitForSelector('#editing:not([hidden])');
  assert.equal(await page.inputValue('#plot-form [name=name]'), plot.name ?? '');

  await context.setOffline(true);
  await page.fill('#plot-form [name=name]', 'ชื่อจากสนาม');
  await page.fill('#plot-form [name=owner_phone]', '089-999-9999');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));

  // Meanwhile the district office renames the plot and adds a note.
  const office = await officeSession('field64', 'field-password');
  const officeEdit = await office('PATCH', `/api/v1/plots/${plot.id}`, { name: 'ชื่อจากสำนักงาน', notes: 'ตรวจแล้ว' },
    { 'If-Match': `"${plot.version}"`, 'Content-Type': 'application/merge-patch+json' });
  assert.equal(officeEdit.status, 200);

  await context.setOffline(false);
  await page.waitForFunction(() => /ส่งไม่ผ่าน 1 รายการ/.test(document.getElementById('outbox-badge').textContent));
  await page.click('#outbox-badge');
  await page.click('#outbox-list li.conflict button');
  await page.waitForSelector('#conflict:not([hidden])');
  // The name was changed on both sides: it must be chosen; the phone number only here: it is the officer's.
  assert.equal(await page.locator('#conflict-fields tbody tr').count(), 2); // only what the officer changed
  assert.equal(await page.locator('#conflict-fields tr.clash').count(), 1);
  assert.equal(await page.isDisabled('#conflict-save'), true);
  assert.match(await page.textContent('#conflict-fields'), /ชื่อจากสนาม.*ชื่อจากสำนักงาน/s);
  await page.screenshot({ path: join(shots, 'app-conflict-th.png') });
  await page.click('#conflict-fields button[data-field=name][data-side=theirs]');
  await page.click('#conflict-save');
  await page.waitForSelector('#outbox-badge', { state: 'hidden' });

  const now = (await office('GET', `/api/v1/plots/${plot.id}`)).body;
  assert.equal(now.name, 'ชื่อจากสำนักงาน');
  assert.equal(now.notes, 'ตรวจแล้ว');
  assert.equal(now.owner_phone, '089-999-9999');
  assert.equal(now.version, plot.version + 2); // the office's edit, then the officer's: each once
  assert.deepEqual(errors, []);
  await context.close();
});

test('offline: plots created, edited twice, given progress and photos; the page closed and opened again; online, each plot, version and photo is on the server exactly once', async () => {
  const res = await fetch(`${server.base}/api/v1/plots?adm1=64&limit=100`);
  const plot = (await res.json()).plots.filter((p) => p.pin && p.stage !== 'planting')[12]; // not one the other tests use
  const office = await officeSession('field64', 'field-password');
  const photosBefore = (await office('GET', `/api/v1/plots/${plot.id}/photos`)).body.photos.length;
  const at = plot.pin.coordinates;
  const { context, page, errors } = await phone(at);
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const jpeg = await cameraJpeg(page);
  await openPlotPage(page, plot); // listed while there is signal
  await context.setOffline(true);

  for (const [name, dx] of [['แปลงออฟไลน์ ก', 0.002], ['แปลงออฟไลน์ ข', 0.004]]) {
    await saveTypedPlot(page, [at[0] + dx, at[1]], name);
    await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));
  }
  const recordProgress = async (stage) => {
    await page.click('#progress-open');
    await page.selectOption('#progress-form [name=stage]', stage);
    await page.setInputFiles('#photo-input', { name: 'IMG_1.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await page.waitForSelector('#photo-picked li');
    await page.click('#progress-form button[type=submit]');
    await page.waitForSelector('#progress-form', { state: 'hidden' });
  };
  // Progress with a photo on a plot that is itself still on the phone.
  await page.click('#tabs [data-tab=near]');
  await page.click('#plots li.pending:has-text("แปลงออฟไลน์ ก")');
  await page.waitForSelector('#tab-plot:not([hidden])');
  await recordProgress('digging');

  // Two edits of a plot in a row: the second starts from the first.
  await openPlotPage(page, plot);
  await page.click('#plot-edit');
  await page.waitForSelector('#editing:not([hidden])'); // the record is in the form
  await page.fill('#plot-form [name=name]', 'แก้ครั้งแรก');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));
  await openPlotPage(page, plot);
  await page.click('#plot-edit');
  await page.waitForSelector('#editing:not([hidden])');
  assert.equal(await page.inputValue('#plot-form [name=name]'), 'แก้ครั้งแรก');
  await page.fill('#plot-form [name=owner_phone]', '081-111-2222');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));
  await openPlotPage(page, plot);
  await recordProgress('planting');

  // The tab is closed; another is opened, still without signal.
  await page.close();
  const again = await context.newPage();
  again.on('pageerror', (e) => errors.push(e.message));
  await again.goto(`${server.base}/app/`);
  await again.waitForSelector('#work-view:not([hidden])');
  await again.waitForFunction(() => /รอส่ง 8 รายการ/.test(document.getElementById('outbox-badge').textContent));
  await context.setOffline(false);
  await again.waitForSelector('#outbox-badge', { state: 'hidden', timeout: 60000 });

  const [a] = await plotsNamed(context, 'แปลงออฟไลน์ ก');
  assert.equal((await plotsNamed(context, 'แปลงออฟไลน์ ก')).length, 1);
  assert.equal((await plotsNamed(context, 'แปลงออฟไลน์ ข')).length, 1);
  const aNow = (await office('GET', `/api/v1/plots/${a.id}`)).body;
  assert.deepEqual([aNow.stage, aNow.version], ['digging', 2]); // created, then its stage change
  assert.equal((await office('GET', `/api/v1/plots/${a.id}/photos`)).body.photos.length, 1);
  const pNow = (await office('GET', `/api/v1/plots/${plot.id}`)).body;
  assert.deepEqual([pNow.name, pNow.owner_phone, pNow.stage, pNow.version],
    ['แก้ครั้งแรก', '081-111-2222', 'planting', plot.version + 3]); // two edits and a stage change, each once
  assert.equal((await office('GET', `/api/v1/plots/${plot.id}/photos`)).body.photos.length, photosBefore + 1);
  const { body: { entries } } = await office('GET', `/api/v1/plots/${plot.id}/timeline`);
  assert.equal(entries.filter((e) => e.kind === 'progress').length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a district kept for offline: its plots listed and searched by owner without signal, its tiles from the phone', async () => {
  const res = await fetch(`${server.base}/api/v1/plots?adm1=64&limit=200`);
  const all = (await res.json()).plots;
  // The district with most demo plots in the officer's province.
  const counts = {};
  for (const p of all) counts[p.adm2] = (counts[p.adm2] ?? 0) + 1;
  const adm2 = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
  const inDistrict = (await (await fetch(`${server.base}/api/v1/plots?adm2=${adm2}&limit=1000`)).json()).plots;
  const plot = inDistrict.find((p) => p.pin);
  const { context, page, errors } = await phone(plot.pin.coordinates);
  await signIn(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.evaluate((at) => window.plotmapApp.map.jumpTo({ center: at, zoom: 13 }), plot.pin.coordinates);
  await page.click('#download');
  await page.waitForSelector('#download-progress:not([hidden])');
  await page.waitForSelector('#areas li', { timeout: 120000 });
  const summary = await page.textContent('#areas');
  assert.match(summary, new RegExp(`: ${inDistrict.length} แปลง ตำบล \\d+ แห่ง แผนที่ \\d+ แผ่น \\(ถึงซูม \\d+\\) [\\d.]+ MB`));
  await page.screenshot({ path: join(shots, 'app-offline-district-th.png') });
  // The plot tiles came as the district's pack (PMTiles), kept whole on the phone.
  const packUrl = `/api/v1/packs/${adm2}.pmtiles`;
  assert.ok(await page.evaluate(async (url) => Boolean(await (await caches.open('plotmap-packs')).match(url)), packUrl));
  // At zoom 16 under the plot (a zoom the map has not shown, so no tile of it was seen before).
  const z = 16;
  const [lon, lat] = plot.pin.coordinates;
  const r = (lat * Math.PI) / 180;
  const tileUrl = `/tiles/plots/${z}/${Math.floor(((lon + 180) / 360) * 2 ** z)}/${Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z)}.mvt`;
  const live = async () => Buffer.from(await (await fetch(`${server.base}${tileUrl}`)).arrayBuffer()).toString('base64');
  const tileOffline = () => page.evaluate(async (url) => {
    const res = await fetch(url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, from: res.headers.get('X-Plotmap-From'), b64: btoa(String.fromCharCode(...bytes)) };
  }, tileUrl);

  // The office changes the plot's stage; the officer keeps the district again: the server
  // brings its pack up to date from the history (appended, no longer clustered), and the
  // phone's PMTiles reader finds the new tile in it.
  const office = await officeSession('field64', 'field-password');
  const before = await live();
  const now = (await office('GET', `/api/v1/plots/${plot.id}`)).body;
  const edited = await office('PATCH', `/api/v1/plots/${plot.id}`, { stage: now.stage === 'complete' ? 'digging' : 'complete' },
    { 'If-Match': `"${now.version}"`, 'Content-Type': 'application/merge-patch+json' });
  assert.equal(edited.status, 200);
  const after = await live();
  assert.notEqual(after, before, 'the stage is in the plot tile');
  const savedAt = await page.evaluate(() => window.plotmapApp.state.areas[0].savedAt);
  await page.click('#download');
  await page.waitForFunction((t) => window.plotmapApp.state.areas.length === 1 && window.plotmapApp.state.areas[0].savedAt > t,
    savedAt, { timeout: 120000 });

  await context.setOffline(true);
  // The plot's tile at zoom 16 comes from the pack, the edited one, as the server draws it.
  const tile = await tileOffline();
  assert.deepEqual([tile.status, tile.from], [200, 'pack']);
  assert.equal(tile.b64, after);
  // The map draws the plot from the pack at zoom 17, where the officer draws boundaries.
  await page.evaluate((at) => window.plotmapApp.map.jumpTo({ center: at, zoom: 17 }), plot.pin.coordinates);
  await page.waitForFunction((code) => {
    const { map } = window.plotmapApp;
    return map.loaded() && map.querySourceFeatures('plots', { sourceLayer: 'plots' }).some((f) => f.properties.code === code);
  }, plot.code, { timeout: 30000 });
  await page.screenshot({ path: join(shots, 'app-offline-pack-z17-th.png') });
  // Searched by its owner (which the server's search does not look at), with no signal.
  const owner = await page.evaluate((id) => window.plotmapApp.state.areas[0].plots.find((p) => p.id === id).owner_name, plot.id);
  assert.ok(owner, 'the officer\'s copy holds the owner (the public list does not)');
  await page.fill('#search', owner.split(' ')[1] ?? owner);
  await page.waitForSelector(`#plots li[data-id="${plot.id}"]`);
  // After a restart without signal the district is still there.
  await page.reload();
  await page.waitForSelector('#work-view:not([hidden])');
  await page.waitForSelector('#areas li');
  await page.waitForFunction(() => window.plotmapApp?.map?.loaded());
  await page.fill('#search', '');
  await page.evaluate((at) => window.plotmapApp.map.jumpTo({ center: at, zoom: 15 }), plot.pin.coordinates);
  await page.waitForSelector(`#plots li[data-id="${plot.id}"]`);

  // A new plot typed here, still offline: its subdistrict comes from the kept polygons, and the
  // officer corrects it to a neighbouring one; the server stores the corrected one.
  await page.click('#tabs [data-tab=new]');
  await page.click('#pin-typed-toggle');
  await page.fill('#typed [name=latlon]', `${plot.pin.coordinates[1].toFixed(7)}, ${plot.pin.coordinates[0].toFixed(7)}`);
  await page.click('#typed button[type=submit]');
  await page.waitForFunction((code) => document.querySelector('#plot-form [name=adm3]').value === code, plot.adm3);
  const other = await page.evaluate((code) => [...document.querySelectorAll('#plot-form [name=adm3] option')]
    .map((o) => o.value).find((v) => v && v !== code), plot.adm3);
  assert.equal(other.slice(0, 4), adm2, 'the choices are the district\'s subdistricts');
  await page.selectOption('#plot-form [name=adm3]', other);
  await page.fill('#plot-form [name=name]', 'แปลงตำบลแก้เอง');
  await page.click('#plot-form button[type=submit]');
  await page.waitForFunction(() => /บันทึกในเครื่องแล้ว/.test(document.getElementById('save-message').textContent));
  await page.waitForSelector('#outbox-badge:not([hidden])');
  await context.setOffline(false);
  await page.waitForSelector('#outbox-badge', { state: 'hidden' });
  const [stored] = await plotsNamed(context, 'แปลงตำบลแก้เอง');
  assert.deepEqual([stored.adm1, stored.adm2, stored.adm3], [other.slice(0, 2), other.slice(0, 4), other]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a session that ended while a plot waited: the officer signs in again and the plot goes, once', async () => {
  const { at } = await somePlotIn('64');
  const spot = [at[0] + 0.008, at[1] - 0.003];
  const { context, page, errors } = await phone(spot);
  await signIn(page);
  await context.clearCookies(); // the session ends (expired, or signed out on another device)
  await saveTypedPlot(page, spot, 'แปลงหลังหมดเวลา');
  await page.waitForSelector('#sign-in-view:not([hidden])');
  assert.match(await page.textContent('#sign-in-message'), /หมดเวลาเข้าสู่ระบบ ข้อมูลที่รอส่งยังอยู่ครบ/);
  await page.screenshot({ path: join(shots, 'app-session-ended-th.png') });
  assert.equal(await page.evaluate(async () => (await window.plotmapApp.outbox.pending()).length), 1);
  assert.equal((await plotsNamed(context, 'แปลงหลังหมดเวลา')).length, 0);
  await page.fill('#sign-in input[name=username]', 'field64');
  await page.fill('#sign-in input[name=password]', 'field-password');
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector('#work-view:not([hidden])');
  await outboxUntil(page, (ops) => ops.length === 0);
  assert.equal((await plotsNamed(context, 'แปลงหลังหมดเวลา')).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('English and high contrast', async () => {
  const { at } = await somePlotIn('64');
  const { context, page, errors } = await phone(at);
  await signIn(page);
  await page.click('#lang');
  await page.click('#contrast');
  assert.equal(await page.textContent('#tabs [data-tab=near]'), 'Near me');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await page.click('#tabs [data-tab=new]');
  await page.screenshot({ path: join(shots, 'app-new-plot-en-contrast.png') });
  // The choice is kept for the next start.
  await page.reload();
  await page.waitForSelector('#work-view:not([hidden])');
  assert.equal(await page.textContent('#tabs [data-tab=near]'), 'Near me');
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('contrast')), true);
  assert.deepEqual(errors, []);
  await context.close();
});
