// The dashboard (/dashboard/) in real headless Chromium against the real server with demo
// data: its numbers equal counts made with SQL on the same file, drilling down (a table row,
// an area on the map) and the filters change them, a stage change made through the API shows
// on reload, the choropleth is drawn in colour, and a district officer sees only their
// district. Screenshots go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, screenshotDir } from '../testing/browser.js';
import { startServer } from '../testing/server.js';

const shots = screenshotDir();

let server;
let browser;
before(async () => {
  server = await startServer({
    plots: 1500,
    users: [
      { username: 'chief', role: 'admin', password: 'chief-password' },
      { username: 'district6401', role: 'staff', scope: '6401', password: 'district-password' },
    ],
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** One number from the database file, with SQL written here. */
function sql(query) {
  return Number(sqlText(query));
}
function sqlText(query) {
  return execFileSync('sqlite3', [server.db, query]).toString().trim();
}

async function open(username, password, { width = 1280, height = 900, path = '/dashboard/', ready = '#board:not([hidden]) #rows tbody tr' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'th-TH' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.base}${path}`);
  await page.waitForSelector('#sign-in-view:not([hidden])');
  await page.fill('#sign-in [name=username]', username);
  await page.fill('#sign-in [name=password]', password);
  await page.click('#sign-in button[type=submit]');
  await page.waitForSelector(ready);
  return { context, page, errors };
}

const cellNumber = async (page, selector) => Number((await page.textContent(selector)).replace(/[^\d]/g, ''));

/** Waits until the map has drawn its areas, then counts the canvas pixels in the share classes' colours. */
async function colouredPixels(page) {
  await page.waitForFunction(() => window.plotmapDashboard.map?.loaded() && window.plotmapDashboard.map.areTilesLoaded());
  await page.waitForTimeout(300);
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.plotmapDashboard.map;
    // Read inside a render: WebGL keeps the drawing buffer only until the frame is shown.
    map.once('render', () => resolve(count()));
    map.triggerRepaint();
    function count() {
    const classes = ['#f7fcb9', '#c2e699', '#78c679', '#31a354', '#006837']
      .map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
    const src = window.plotmapDashboard.map.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const g = c.getContext('2d');
    g.drawImage(src, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      // Drawn at 85 % over the background: within reach of a class colour, not the grey of "no plots".
      if (classes.some(([r, gr, b]) => Math.abs(px[i] - r) + Math.abs(px[i + 1] - gr) + Math.abs(px[i + 2] - b) < 60)) n += 1;
    }
    return n;
    }
  }));
}

test('the country: totals and every province equal SQL counts; the choropleth is drawn in colour', async () => {
  const { context, page, errors } = await open('chief', 'chief-password');
  assert.equal(await cellNumber(page, '#total-plots strong'), sql('SELECT count(*) FROM plots WHERE deleted_at IS NULL'));
  assert.equal(await page.locator('#rows tbody tr').count(), sql('SELECT count(*) FROM adm1'));
  const sukhothai = page.locator('#rows tbody tr[data-code="64"] td');
  assert.equal(await sukhothai.nth(0).textContent(), 'สุโขทัย');
  assert.equal(await cellNumber(page, '#rows tbody tr[data-code="64"] td:nth-child(2)'),
    sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64'"));
  await page.screenshot({ path: join(shots, 'dashboard-country-th.png') });
  const coloured = await colouredPixels(page);
  assert.ok(coloured > 2000, `provinces coloured by their share: ${coloured} pixels`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('drill down by a row and by the map, filters, the breadcrumbs back up, and a stage change on reload', async () => {
  const { context, page, errors } = await open('chief', 'chief-password');
  await page.click('#rows tbody tr[data-code="64"]');
  await page.waitForSelector('#rows tbody tr[data-code="6401"]');
  assert.equal(await page.locator('#rows tbody tr').count(), sql("SELECT count(*) FROM adm2 WHERE adm1 = '64'"));
  assert.match(await page.textContent('#crumbs'), /ประเทศไทย.*สุโขทัย/);
  assert.match(page.url(), /area=64/);
  // A filter: only complete HLM plots.
  await page.selectOption('#filters [name=stage]', 'complete');
  await page.waitForFunction(() => /stage=complete/.test(location.search));
  await page.waitForFunction((n) => Number(document.querySelector('#total-plots strong').textContent.replace(/[^\d]/g, '')) === n,
    sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64' AND stage = 'complete'"));
  await page.selectOption('#filters [name=stage]', '');
  // Down into Mueang Sukhothai by clicking it on the map.
  await page.waitForFunction(() => window.plotmapDashboard.map?.loaded() && window.plotmapDashboard.map.areTilesLoaded());
  const point = await page.evaluate(() => {
    const map = window.plotmapDashboard.map;
    const f = map.queryRenderedFeatures({ layers: ['areas-2'] }).find((x) => x.properties.code === '6401');
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const c = ring.reduce((a, p) => [a[0] + p[0] / ring.length, a[1] + p[1] / ring.length], [0, 0]);
    const xy = map.project(c);
    const box = map.getCanvas().getBoundingClientRect();
    return { x: box.left + xy.x, y: box.top + xy.y };
  });
  await page.mouse.click(point.x, point.y);
  await page.waitForSelector('#rows tbody tr[data-code^="6401"]');
  assert.equal(await cellNumber(page, '#total-plots strong'), sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401'"));
  await page.screenshot({ path: join(shots, 'dashboard-district-th.png') });

  // A stage change through the API shows on the next load.
  const plot = (await (await context.request.get(`${server.base}/api/v1/plots?adm2=6401&limit=100`)).json()).plots.find((p) => p.stage !== 'complete');
  const session = await (await context.request.get(`${server.base}/api/v1/session`)).json();
  const completeBefore = sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401' AND stage = 'complete'");
  const changed = await context.request.patch(`${server.base}/api/v1/plots/${plot.id}`, {
    headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': `"${plot.version}"`, 'X-CSRF-Token': session.csrf_token, Origin: server.base },
    data: JSON.stringify({ stage: 'complete' }),
  });
  assert.equal(changed.status(), 200, await changed.text());
  await page.reload();
  await page.waitForSelector('#rows tbody tr[data-code^="6401"]');
  assert.equal(await cellNumber(page, '#stage-complete strong'), completeBefore + 1);

  // The breadcrumbs lead back to the country.
  await page.click('#crumbs .crumb >> nth=0');
  await page.waitForFunction(() => !/area=/.test(location.search));
  assert.equal(await page.locator('#rows tbody tr').count(), sql('SELECT count(*) FROM adm1'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('a district officer sees their district only, in English too', async () => {
  const { context, page, errors } = await open('district6401', 'district-password');
  assert.match(page.url(), /area=6401/);
  assert.equal(await cellNumber(page, '#total-plots strong'), sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401'"));
  await page.click('#crumbs .crumb >> nth=0');
  await page.waitForFunction(() => !/area=/.test(location.search));
  assert.deepEqual(await page.locator('#rows tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.code)), ['64']);
  // Someone else's district by its URL: refused, with the reason.
  await page.goto(`${server.base}/dashboard/?area=6402`);
  await page.waitForSelector('#message:not([hidden])');
  assert.match(await page.textContent('#message'), /scope/);
  // A link with something that is not an area code opens on the officer's own district.
  await page.goto(`${server.base}/dashboard/?area=64%27%20OR%201%3D1`);
  await page.waitForFunction(() => /area=6401(&|$)/.test(location.search));
  assert.equal(await cellNumber(page, '#total-plots strong'), sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401'"));
  await page.goto(`${server.base}/dashboard/`);
  await page.waitForSelector('#rows tbody tr');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => window.plotmapDashboard.map.getCanvas().clientWidth < 400);
  await page.waitForTimeout(500); // the map refits to the narrower screen
  await page.waitForFunction(() => window.plotmapDashboard.map.loaded() && window.plotmapDashboard.map.areTilesLoaded());
  await page.screenshot({ path: join(shots, 'dashboard-phone-th.png') });
  await page.locator('#map-box').scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, 'dashboard-phone-map-th.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.click('#lang');
  assert.equal(await page.textContent('#crumbs .crumb >> nth=0'), 'Thailand');
  await page.screenshot({ path: join(shots, 'dashboard-district-officer-en.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

/** This month in Thailand, YYYY-MM. */
function thaiMonth() {
  return new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 7);
}

test('data quality: each count equals SQL and opens its list, whose plots open in the field app; the trend is drawn', async () => {
  const { context, page, errors } = await open('chief', 'chief-password', { width: 390, height: 844, path: '/dashboard/?area=64' });
  await page.waitForSelector('#finding-area_mismatch strong');
  const mismatch = sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64' AND declared_area_m2 > 0 AND abs(area_m2 - declared_area_m2) > 0.1 * declared_area_m2");
  assert.ok(mismatch > 0, 'the demo has deeds that disagree with their boundary');
  assert.equal(await cellNumber(page, '#finding-area_mismatch strong'), mismatch);
  assert.equal(await cellNumber(page, '#finding-no_boundary strong'), sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm1 = '64' AND boundary IS NULL"));
  // A province: overlaps are looked for district by district.
  assert.equal(await page.textContent('#finding-overlap strong'), '–');
  // The trend: a line per stage over the last twelve months.
  const trend = await page.evaluate(() => ({ months: window.plotmapDashboard.trend.months, lines: window.plotmapDashboard.trendChart.data.datasets.length }));
  assert.equal(trend.months.length, 12);
  assert.equal(trend.months.at(-1), thaiMonth());
  assert.equal(trend.lines, 4);
  await page.locator('#trend-box').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'dashboard-trend-phone-th.png') });

  await page.click('#finding-area_mismatch');
  await page.waitForSelector('#quality-list:not([hidden]) tbody tr a');
  assert.equal(await page.locator('#quality-list tbody tr').count(), Math.min(200, mismatch));
  assert.match(await page.textContent('#quality-list tbody tr td:nth-child(4)'), /^[+-]\d+%$/);
  await page.screenshot({ path: join(shots, 'dashboard-quality-phone-th.png') });
  const link = page.locator('#quality-list tbody tr a').first();
  const code = await link.textContent();
  assert.match(await link.getAttribute('href'), /^\/app\/\?plot=\d+$/);
  await link.click();
  await page.waitForURL(/\/app\/\?plot=\d+/);
  await page.waitForFunction((c) => document.querySelector('#plot-title')?.textContent.includes(c), code);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the monthly report: downloads, and a print view that becomes an A4 PDF with the area, month and map', async () => {
  const month = thaiMonth();
  const { context, page, errors } = await open('chief', 'chief-password', { path: '/dashboard/?area=64' });
  await page.waitForSelector('#report-xlsx[href*="format=xlsx"]');
  const xlsx = await context.request.get(`${server.base}${await page.getAttribute('#report-xlsx', 'href')}`);
  assert.equal(xlsx.status(), 200);
  assert.equal(xlsx.headers()['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK');
  const reportHref = await page.getAttribute('#report-open', 'href');
  assert.ok(reportHref.includes('view=report') && reportHref.includes(`month=${month}`) && reportHref.includes('area=64'), reportHref);

  await page.goto(`${server.base}/dashboard/?view=report&area=64&month=${month}`);
  await page.waitForFunction(() => window.plotmapDashboard.reportReady, null, { timeout: 60000 });
  assert.equal(await page.textContent('#report-area'), 'สุโขทัย');
  assert.match(await page.textContent('#report-month-name'), /2569|25\d\d/);
  const api = await (await context.request.get(`${server.base}/api/v1/reports/monthly?area=64&month=${month}`)).json();
  assert.match(await page.textContent('#report-area_mismatches h2'), new RegExp(`\\(${api.area_mismatches.length}\\)`));
  assert.equal(await page.locator('#report-area_mismatches tbody tr').count(), Math.min(200, api.area_mismatches.length));
  assert.ok(api.area_mismatches.length > 0);
  // The map is a picture with the province's districts in colour.
  const picture = await page.evaluate(() => new Promise((resolve) => {
    const img = document.getElementById('report-map');
    const done = () => {
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height).data;
      let green = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 1] > px[i] + 20 && px[i + 1] > px[i + 2] + 20) green += 1;
      resolve({ src: img.src.slice(0, 22), width: img.naturalWidth, green });
    };
    if (img.complete) done(); else img.onload = done;
  }));
  assert.equal(picture.src, 'data:image/png;base64,');
  assert.ok(picture.green > 1000, `districts coloured in the picture: ${picture.green} pixels`);
  await page.screenshot({ path: join(shots, 'dashboard-report-th.png'), fullPage: true });
  // Chromium's print to PDF: A4 pages (595 x 842 points).
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const boxes = [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)];
  assert.ok(boxes.length >= 1, 'the PDF has pages');
  for (const [, w, h] of boxes) {
    assert.ok(Math.abs(Number(w) - 595.3) < 2 && Math.abs(Number(h) - 841.9) < 2, `an A4 page: ${w} x ${h}`);
  }
  writeFileSync(join(shots, 'dashboard-report-th.pdf'), pdf);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, 'dashboard-report-phone-th.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the war room: no controls, and it moves through the areas in scope with fresh numbers', async () => {
  const { context, page, errors } = await open('chief', 'chief-password', { width: 1920, height: 1080, path: '/dashboard/?mode=warroom&cycle=3&area=64' });
  assert.equal(await page.isVisible('#filters'), false);
  assert.equal(await page.isVisible('#fullscreen'), true);
  const loads = await page.evaluate(() => window.plotmapDashboard.loads);
  // The first district of Sukhothai with plots, then the next.
  // The path moves first; wait for that district's numbers too.
  await page.waitForFunction(() => {
    const d = window.plotmapDashboard;
    return d.path.length === 2 && d.numbersOf === d.path[1].code;
  }, null, { timeout: 15000 });
  const first = await page.evaluate(() => window.plotmapDashboard.path[1].code);
  assert.match(first, /^64\d\d$/);
  assert.equal(await cellNumber(page, '#total-plots strong'), sql(`SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '${first}'`));
  // Then the next area, with its numbers (at least two loads since the first screen).
  await page.waitForFunction((c) => {
    const d = window.plotmapDashboard;
    return d.path[1]?.code !== c && d.numbersOf === (d.path.at(-1)?.code ?? null);
  }, first, { timeout: 15000 });
  assert.ok(await page.evaluate(() => window.plotmapDashboard.loads) >= loads + 2);
  await page.waitForFunction(() => window.plotmapDashboard.map.loaded() && window.plotmapDashboard.map.areTilesLoaded());
  await page.screenshot({ path: join(shots, 'dashboard-warroom-th.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(shots, 'dashboard-warroom-phone-th.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the review queue: oldest first, the checklist, approve and send back by keyboard; the officer sees why and submits again', async () => {
  // The district officer submits two more of their plots (the demo leaves one in ten waiting).
  const officer = await browser.newContext();
  const signed = await officer.request.post(`${server.base}/api/v1/session`, { data: { username: 'district6401', password: 'district-password' } });
  const { csrf_token: csrf } = await signed.json();
  const fresh = (await (await officer.request.get(`${server.base}/api/v1/plots?adm2=6401&review_state=unchecked&limit=2`)).json()).plots;
  for (const p of fresh) {
    const r = await officer.request.post(`${server.base}/api/v1/plots/${p.id}/review`, {
      headers: { 'If-Match': `"${p.version}"`, 'X-CSRF-Token': csrf, Origin: server.base }, data: { action: 'submit' },
    });
    assert.equal(r.status(), 200, await r.text());
  }
  await officer.close();
  const { context, page, errors } = await open('chief', 'chief-password', { width: 390, height: 844, path: '/dashboard/?view=review&area=6401', ready: '#review-page:not([hidden])' });
  await page.waitForSelector('#queue li');
  const waiting = sql("SELECT count(*) FROM plots WHERE deleted_at IS NULL AND adm2 = '6401' AND review_state = 'submitted'");
  assert.ok(waiting >= 2, `the demo leaves plots waiting for review: ${waiting}`);
  assert.equal(await page.locator('#queue li').count(), Math.min(200, waiting));
  // The longest waiting first, as the server ordered them.
  const ids = await page.locator('#queue li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));
  const oldest = sql("SELECT id FROM plots WHERE deleted_at IS NULL AND adm2 = '6401' AND review_state = 'submitted' ORDER BY review_changed_at, id LIMIT 1");
  assert.equal(ids[0], oldest);
  await page.waitForSelector('#checklist li[data-key=deed]');
  assert.equal(await page.locator('#checklist li').count(), 7);
  await page.waitForFunction(() => window.plotmapReview.map?.loaded());
  await page.screenshot({ path: join(shots, 'review-queue-phone-th.png'), fullPage: true });

  // a: approve the first; it leaves the list and the next is shown.
  await page.locator('#checklist input[name=check-deed_document]').check();
  await page.locator('#review-title').click(); // keys act outside inputs
  await page.keyboard.press('a');
  await page.waitForFunction((n) => document.querySelectorAll('#queue li').length === n, Math.min(200, waiting) - 1);
  assert.equal(sqlText(`SELECT review_state FROM plots WHERE id = ${ids[0]}`), 'approved');
  assert.match(sqlText(`SELECT details FROM plot_history WHERE plot_id = ${ids[0]} ORDER BY version DESC LIMIT 1`), /"deed_document":true/);
  // s: send the next back with a reason.
  await page.waitForFunction((id) => window.plotmapReview.current?.plot.id === id, ids[1]);
  await page.keyboard.press('s');
  await page.fill('#reasons input[name=why-deed_no]', 'เลขที่โฉนดในภาพไม่ตรงกับที่บันทึก');
  await page.screenshot({ path: join(shots, 'review-send-back-phone-th.png') });
  await page.click('#send-back-confirm');
  await page.waitForSelector('#review-message.ok');
  assert.equal(sqlText(`SELECT review_state FROM plots WHERE id = ${ids[1]}`), 'needs_fix');
  assert.deepEqual(errors, []);
  await context.close();

  // The district officer: the plot is in the list sent back, with the reason; submitted again.
  const app = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'th-TH' });
  const field = await app.newPage();
  const fieldErrors = [];
  field.on('pageerror', (e) => fieldErrors.push(e.message));
  await field.goto(`${server.base}/app/`);
  await field.waitForSelector('#sign-in-view:not([hidden])');
  await field.fill('#sign-in input[name=username]', 'district6401');
  await field.fill('#sign-in input[name=password]', 'district-password');
  await field.click('#sign-in button[type=submit]');
  await field.waitForSelector(`#sent-back:not([hidden]) li[data-id="${ids[1]}"]`);
  assert.match(await field.textContent(`#sent-back-list li[data-id="${ids[1]}"]`), /เลขที่โฉนดในภาพไม่ตรงกับที่บันทึก/);
  await field.waitForFunction(() => window.plotmapApp?.map?.loaded());
  await field.screenshot({ path: join(shots, 'app-sent-back-phone-th.png') });
  await field.click(`#sent-back-list li[data-id="${ids[1]}"]`);
  await field.waitForSelector('#tab-plot:not([hidden]) #review-reasons:not([hidden])');
  assert.equal(await field.textContent('#review-pill'), 'ส่งกลับให้แก้ไข');
  await field.screenshot({ path: join(shots, 'app-plot-sent-back-phone-th.png') });
  await field.click('#review-submit');
  for (let i = 0; i < 100 && sqlText(`SELECT review_state FROM plots WHERE id = ${ids[1]}`) !== 'submitted'; i += 1) await field.waitForTimeout(200);
  assert.equal(sqlText(`SELECT review_state FROM plots WHERE id = ${ids[1]}`), 'submitted');
  assert.equal(sqlText(`SELECT submitted_by FROM plots WHERE id = ${ids[1]}`), 'district6401');
  await field.waitForFunction(() => document.getElementById('review-pill').textContent === 'รอหัวหน้าตรวจ');
  // Approved and sent-back plots carry their state in the tiles the app draws.
  const states = await field.evaluate(async (id) => {
    const map = window.plotmapApp.map;
    const f = (await (await fetch(`/api/v1/plots/${id}`)).json());
    map.jumpTo({ center: f.pin.coordinates, zoom: 16 });
    await new Promise((resolve) => map.once('idle', resolve));
    return map.queryRenderedFeatures({ layers: ['pins', 'plots-fill'] }).filter((x) => x.id === id).map((x) => x.properties.review_state);
  }, ids[0]);
  assert.ok(states.includes('approved'), JSON.stringify(states));
  await field.screenshot({ path: join(shots, 'app-review-states-phone-th.png') });
  assert.deepEqual(fieldErrors, []);
  await app.close();
});
