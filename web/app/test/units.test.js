// Unit tests of the field app's pure modules (Vitest): rai-ngan-wa, area and its error
// band (checked against an exact ellipsoidal formula and a Monte Carlo simulation), GPS fix
// filtering and averaging, typed coordinates, the outbox, self-intersections, days.
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { formatRaiNganWa, parseRaiNganWa, toRaiNganWa } from '../src/rai.js';
import { areaSigma, areaWithBand, ringArea, ringPerimeter, sigmaFromAccuracy, toLocalMetres } from '../src/area.js';
import { averageFixes, distanceM, judgeFix } from '../src/fixes.js';

test('rai-ngan-wa both ways', () => {
  assert.deepEqual(toRaiNganWa(1600), [1, 0, 0]);
  assert.equal(formatRaiNganWa(4850), '3-0-12.5');
  assert.equal(formatRaiNganWa(399.9), '0-1-0'); // 99.975 wa² rounds up into a whole ngan
  assert.equal(formatRaiNganWa(0), '0-0-0');
  assert.equal(parseRaiNganWa('3-0-12.5'), 4850);
  assert.equal(parseRaiNganWa('๓ ไร่ ๒ งาน ๕๐ ตารางวา'), 3 * 1600 + 2 * 400 + 50 * 4);
  assert.equal(parseRaiNganWa('5'), 8000);
  assert.equal(parseRaiNganWa('1-3'), 2800);
  assert.throws(() => parseRaiNganWa('1-4-0'), /ngan/);
  assert.throws(() => parseRaiNganWa('1-0-100'), /wa/);
  assert.throws(() => parseRaiNganWa('abc'), /not a number/);
  assert.throws(() => parseRaiNganWa(''), /rai-ngan-wa/);
  assert.throws(() => toRaiNganWa(-1), RangeError);
});

/** Exact area of the ellipsoidal quadrangle between two parallels and meridians (WGS 84). */
function quadrangleArea(lat1, lat2, dLonDeg) {
  const a = 6378137.0;
  const f = 1 / 298.257223563;
  const e2 = f * (2 - f);
  const e = Math.sqrt(e2);
  const b2 = a * a * (1 - e2);
  const q = (lat) => {
    const s = Math.sin((lat * Math.PI) / 180);
    return s / (1 - e2 * s * s) + (1 / (2 * e)) * Math.log((1 + e * s) / (1 - e * s));
  };
  return (b2 / 2) * ((dLonDeg * Math.PI) / 180) * (q(lat2) - q(lat1));
}

test('areas match the exact ellipsoidal formula for plots of a rai to a square kilometre', () => {
  for (const [lat, size] of [[17.0, 0.0004], [6.5, 0.001], [20.2, 0.009]]) {
    const ring = [[100, lat], [100 + size, lat], [100 + size, lat + size], [100, lat + size], [100, lat]];
    const exact = quadrangleArea(lat, lat + size, size);
    assert.ok(Math.abs(ringArea(ring) - exact) / exact < 1e-5, `${ringArea(ring)} vs ${exact}`);
  }
  const square = [[100, 17], [100.001, 17], [100.001, 17.001], [100, 17.001]];
  const xy = toLocalMetres(square);
  const side = Math.hypot(xy[1][0] - xy[0][0], xy[1][1] - xy[0][1]);
  assert.ok(Math.abs(ringPerimeter(square) - 2 * side - 2 * Math.hypot(xy[2][0] - xy[1][0], xy[2][1] - xy[1][1])) < 1e-6);
});

/** A standard normal deviate (Box-Muller) from a seeded generator. */
function normal(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

test('the area error band agrees with a Monte Carlo simulation of GPS noise', () => {
  const rand = seeded(2566);
  // An irregular six-sided plot of about 2 rai, vertices with accuracies from 3 to 12 m.
  const xy = [[0, 0], [62, -5], [80, 30], [55, 58], [10, 52], [-8, 25]];
  const sigma = [3, 5, 12, 4, 8, 6].map(sigmaFromAccuracy);
  const predicted = areaSigma(xy, sigma);
  const samples = 40000;
  let sum = 0;
  let sum2 = 0;
  const area = (pts) => {
    let t = 0;
    for (let i = 0; i < pts.length; i += 1) {
      const [x1, y1] = pts[i];
      const [x2, y2] = pts[(i + 1) % pts.length];
      t += x1 * y2 - x2 * y1;
    }
    return t / 2;
  };
  for (let k = 0; k < samples; k += 1) {
    const noisy = xy.map(([x, y], i) => [x + sigma[i] * normal(rand), y + sigma[i] * normal(rand)]);
    const a = area(noisy);
    sum += a;
    sum2 += a * a;
  }
  const mean = sum / samples;
  const simulated = Math.sqrt(sum2 / samples - mean * mean);
  assert.ok(Math.abs(simulated - predicted) / predicted < 0.03, `simulated ${simulated} vs formula ${predicted}`);
  // The band the panel shows is ±1.96 σ: about 95 % of simulated areas fall inside it.
  const ring = [[100, 17], [100.0006, 17], [100.0006, 17.0006], [100, 17.0006]];
  const { area: a, band95 } = areaWithBand(ring, [5, 5, 5, 5]);
  assert.ok(a > 4200 && a < 4300, `${a}`); // 64 m x 66 m at 17° N
  assert.ok(band95 > 0 && band95 < a / 10, `${band95}`);
});

test('walking: inaccurate, impossible and duplicate fixes are dropped; a long silence is a gap', () => {
  const start = { lon: 100, lat: 17, accuracy: 5, time: 0 };
  assert.deepEqual(judgeFix(null, start), { keep: true });
  assert.equal(judgeFix(start, { ...start, accuracy: 40, time: 1000 }).reason, 'inaccurate');
  assert.equal(judgeFix(start, { lon: 100.001, lat: 17, accuracy: 5, time: 2000 }).reason, 'too_fast'); // 106 m in 2 s
  assert.equal(judgeFix(start, { lon: 100.00002, lat: 17, accuracy: 5, time: 2000 }).keep, true); // 2 m in 2 s
  assert.equal(judgeFix(start, { ...start, time: 0 }).reason, 'duplicate');
  assert.deepEqual(judgeFix(start, { lon: 100.001, lat: 17, accuracy: 5, time: 60000 }), { keep: true, gap: true });
  assert.equal(judgeFix(start, { lon: NaN, lat: 17, accuracy: 5, time: 1000 }).reason, 'inaccurate');
});

test('averaging fixes drops outliers and reports how many were used', () => {
  const rand = seeded(7);
  const truth = { lon: 99.8231, lat: 17.0079 };
  const fixes = [];
  for (let i = 0; i < 30; i += 1) {
    fixes.push({ lon: truth.lon + normal(rand) * 2e-5, lat: truth.lat + normal(rand) * 2e-5, accuracy: 6, time: i * 1000 });
  }
  fixes.push({ lon: truth.lon + 0.002, lat: truth.lat, accuracy: 8, time: 31000 }); // a 200 m jump
  fixes.push({ lon: truth.lon, lat: truth.lat + 0.003, accuracy: 50, time: 32000 }); // a poor fix
  const mean = averageFixes(fixes, { maxAccuracy: 20 });
  assert.equal(mean.used, 30);
  assert.equal(mean.dropped, 2);
  assert.ok(distanceM(mean, truth) < 2, `${distanceM(mean, truth)} m from the truth`);
  assert.ok(mean.accuracy > 0 && mean.accuracy < 6);
  assert.equal(averageFixes([{ lon: 1, lat: 1, accuracy: 99, time: 0 }], { maxAccuracy: 20 }), null);
});

import { CoordError, parseAngle, parseLatLon, parseUtm } from '../src/coords.js';

test('typed coordinates: decimal either way round, DMS in English and Thai', () => {
  assert.deepEqual(parseLatLon('17.0078, 99.8231'), { crs: 'EPSG:4326', lat: 17.0078, lon: 99.8231 });
  assert.deepEqual(parseLatLon('99.8231 17.0078'), { crs: 'EPSG:4326', lat: 17.0078, lon: 99.8231 });
  const dms = parseLatLon(`17°00'28.1"N 99°49'23.2"E`);
  assert.ok(Math.abs(dms.lat - (17 + 28.1 / 3600)) < 1e-9 && Math.abs(dms.lon - (99 + 49 / 60 + 23.2 / 3600)) < 1e-9);
  const thai = parseLatLon('๑๗ องศา ๐ ลิปดา ๒๘.๑ ฟิลิปดา เหนือ, ๙๙ องศา ๔๙ ลิปดา ๒๓.๒ ฟิลิปดา ตะวันออก');
  assert.ok(Math.abs(thai.lat - dms.lat) < 1e-9 && Math.abs(thai.lon - dms.lon) < 1e-9);
  assert.equal(parseAngle('-17.5'), -17.5);
  assert.throws(() => parseLatLon('48.85, 2.35'), (e) => e instanceof CoordError && e.code === 'outside_thailand');
  assert.throws(() => parseLatLon('17.0078'), (e) => e.code === 'need_two_numbers');
  assert.throws(() => parseLatLon('17°75\'0"N 99°0\'0"E'), (e) => e.code === 'bad_minutes');
  assert.throws(() => parseLatLon('abc, def'), (e) => e.code === 'not_a_coordinate');
});

test('typed UTM: zone and datum name the CRS; swapped and impossible values are caught', () => {
  assert.deepEqual(parseUtm('588,470', '1880084', 47, 'INDIAN1975'), { crs: 'EPSG:24047', x: 588470, y: 1880084 });
  assert.deepEqual(parseUtm('๕๘๘๔๗๐', '๑๘๘๐๐๘๔', 48, 'WGS84'), { crs: 'EPSG:32648', x: 588470, y: 1880084 });
  assert.throws(() => parseUtm('588470', '1880084', 46, 'WGS84'), (e) => e.code === 'bad_zone');
  assert.throws(() => parseUtm('1880084', '588470', 47, 'WGS84'), (e) => e.code === 'swapped');
  assert.throws(() => parseUtm('588470', '5880084', 47, 'WGS84'), (e) => e.code === 'outside_thailand');
  assert.throws(() => parseUtm('', '1880084', 47, 'WGS84'), (e) => e.code === 'not_a_coordinate');
});

import { Outbox, memoryStore } from '../src/outbox.js';

/** A fake server: answers scripted per call; records what it was sent. */
function fakeServer(script) {
  const seen = [];
  const send = async (op) => {
    seen.push({ kind: op.kind, key: op.key, baseVersion: op.baseVersion, plotId: op.plotId });
    const next = script.shift();
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(op) : next;
  };
  return { send, seen };
}

function clock() {
  let t = 1000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('outbox: operations leave only when the server confirms them, in order, with one key per operation', async () => {
  const c = clock();
  let n = 0;
  const { send, seen } = fakeServer([
    new Error('offline'),
    { status: 201, id: 42, version: 1 },
    { status: 200, version: 2 },
    { status: 200, version: 3 },
  ]);
  const box = new Outbox(memoryStore(), send, { now: c.now, newKey: () => `k${(n += 1)}`, random: () => 0.5 });
  await box.add({ kind: 'create', plot: 'p1', body: { program: 'HLM' } });
  await box.add({ kind: 'patch', plot: 'p1', body: { stage: 'digging' } });
  await box.add({ kind: 'progress', plot: 'p1', body: { stage: 'planting', date: '2026-03-03' } });

  let r = await box.sync(); // offline: nothing leaves, the create backs off for a second
  assert.deepEqual(r, { sent: 0, waiting: 3, conflicts: 0, failed: 0, signedOut: false });
  assert.equal((await box.pending()).length, 3);
  r = await box.sync(); // not due yet
  assert.equal(seen.length, 1);
  c.advance(1000);
  r = await box.sync();
  assert.equal(r.sent, 3);
  assert.equal((await box.pending()).length, 0);
  // The retried create kept its key; the edits were sent with the versions the server made.
  assert.deepEqual(seen.map((s) => s.key), ['k1', 'k1', 'k2', 'k3']);
  assert.deepEqual(seen.slice(2).map((s) => [s.plotId, s.baseVersion]), [[42, 1], [42, 2]]);
});

test('outbox: a conflict stops that plot only; a refusal is kept for the officer; a lost session keeps everything', async () => {
  let n = 0;
  const { send, seen } = fakeServer([
    { status: 412, body: { current_version: 5 } }, // plot A's edit: someone else changed it
    { status: 200, version: 8 },                   // plot B's edit goes through
    { status: 422, body: { detail: 'the boundary crosses itself' } }, // plot C's create refused
  ]);
  const box = new Outbox(memoryStore(), send, { newKey: () => `k${(n += 1)}` });
  await box.add({ kind: 'patch', plot: 'A', baseVersion: 4, body: { name: 'x' } });
  await box.add({ kind: 'patch', plot: 'A', baseVersion: 4, body: { stage: 'digging' } });
  await box.add({ kind: 'patch', plot: 'B', baseVersion: 7, body: { name: 'y' } });
  await box.add({ kind: 'create', plot: 'C', body: {} });
  const r = await box.sync();
  assert.deepEqual(r, { sent: 1, waiting: 1, conflicts: 1, failed: 1, signedOut: false });
  assert.equal(seen.length, 3); // A's second edit waited behind the conflict
  const left = await box.pending();
  assert.deepEqual(left.map((o) => [o.plot, o.state]), [['A', 'conflict'], ['A', 'waiting'], ['C', 'failed']]);
  assert.equal(left[2].lastError, 'the boundary crosses itself');
  // The officer keeps theirs on top of the server's version: it goes again with a new key.
  await box.resolve(left[0].key, { body: { name: 'x' }, baseVersion: 5 });
  const session = fakeServer([{ status: 401 }]);
  box.send = session.send;
  assert.equal((await box.sync()).signedOut, true);
  assert.equal((await box.pending()).length, 3); // nothing lost while signed out
  assert.equal(session.seen[0].baseVersion, 5);
});

test('outbox: one sync at a time', async () => {
  let release;
  const gate = new Promise((r) => { release = r; });
  let calls = 0;
  const box = new Outbox(memoryStore(), async () => { calls += 1; await gate; return { status: 200 }; });
  await box.add({ kind: 'patch', plot: 'A', body: {} });
  const first = box.sync();
  const second = box.sync();
  assert.equal(first, second);
  release();
  await first;
  assert.equal(calls, 1);
});

test('outbox: when the signal returns, what waited after network errors goes at once; refusals stay', async () => {
  let clock = 1000;
  let online = false;
  const box = new Outbox(memoryStore(), async (op) => {
    if (!online) throw new Error('Failed to fetch');
    return op.body.bad ? { status: 422, body: { detail: 'no' } } : { status: 201, id: 1, version: 1 };
  }, { now: () => clock, random: () => 0.5 });
  await box.add({ kind: 'create', plot: 'A', body: {} });
  await box.add({ kind: 'create', plot: 'B', body: { bad: true } });
  online = true;
  await box.sync(); // A is created, B refused
  await box.add({ kind: 'create', plot: 'C', body: {} });
  online = false;
  for (let i = 0; i < 4; i += 1) {
    clock += 60000; // past each back-off: four failed tries, the last one 8 s ago at most
    await box.sync();
  }
  const [waiting] = (await box.pending()).filter((o) => o.plot === 'C');
  assert.ok(waiting.nextAttemptAt > clock, 'backing off');
  online = true;
  assert.equal((await box.sync()).sent, 0); // still backing off
  await box.retryNow();
  const result = await box.sync();
  assert.equal(result.sent, 1);
  assert.equal(result.failed, 1);
  assert.deepEqual((await box.pending()).map((o) => [o.plot, o.state]), [['B', 'failed']]);
});

test('self-intersections: a bow tie crosses once, where it crosses; a touch and a fold-back are found; a clean ring has none', async () => {
  const { selfIntersections, isSimple } = await import('../src/rings.js');
  const at = (x, y) => [100 + x * 0.001, 15 + y * 0.001]; // about 107 m by 111 m cells
  const square = [at(0, 0), at(1, 0), at(1, 1), at(0, 1), at(0, 0)];
  assert.deepEqual(selfIntersections(square), []);
  assert.equal(isSimple(square), true);
  // Open, with a repeated vertex from a double tap: the same ring.
  assert.equal(isSimple([at(0, 0), at(1, 0), at(1, 0), at(1, 1), at(0, 1)]), true);

  const bowTie = [at(0, 0), at(1, 0), at(0, 1), at(1, 1)];
  const found = selfIntersections(bowTie);
  assert.equal(found.length, 1);
  assert.deepEqual(found[0].segments, [1, 3]);
  assert.ok(Math.abs(found[0].at[0] - 100.0005) < 1e-9 && Math.abs(found[0].at[1] - 15.0005) < 1e-9, String(found[0].at));
  assert.equal(isSimple(bowTie), false);

  // Vertex 3 lies on the edge from vertex 0 to 1: the ring touches itself there.
  const touch = [at(0, 0), at(2, 0), at(2, 1), at(1, 0), at(0, 1)];
  const touching = selfIntersections(touch);
  assert.ok(touching.some((t) => Math.abs(t.at[0] - 100.001) < 1e-9 && Math.abs(t.at[1] - 15) < 1e-9), JSON.stringify(touching));

  // A spike walked out and back along the same line folds over itself.
  const spike = [at(0, 0), at(1, 0), at(1, 1), at(1, 2), at(1, 1.5), at(0, 1)];
  assert.ok(selfIntersections(spike).length > 0);
  // Three points in a row are a degenerate ring, not a crossing; two points are no ring.
  assert.equal(isSimple([at(0, 0), at(1, 0)]), false);
});

test('days: Buddhist Era in Thai, typed BE or CE, Thai digits, today in Thai time', async () => {
  const { formatDay, parseDay, thaiDayOf, DateError } = await import('../src/dates.js');
  assert.equal(formatDay('2026-11-30', 'th'), '30 พ.ย. 2569');
  assert.equal(formatDay('2026-11-30', 'en'), '30 Nov 2026');
  assert.equal(parseDay('30/11/2569'), '2026-11-30');
  assert.equal(parseDay('๓๐/๑๑/๒๕๖๙'), '2026-11-30');
  assert.equal(parseDay('1.3.2026'), '2026-03-01');
  assert.equal(parseDay('2026-03-01'), '2026-03-01');
  assert.throws(() => parseDay('29/02/2569'), (e) => e instanceof DateError && e.code === 'no_such_day'); // 2026 is no leap year
  assert.equal(parseDay('29/02/2567'), '2024-02-29');
  assert.throws(() => parseDay('31/04/2026'), (e) => e.code === 'no_such_day');
  assert.throws(() => parseDay('next tuesday'), (e) => e.code === 'not_a_date');
  assert.throws(() => parseDay('01/12/2569', { today: '2026-11-30' }), (e) => e.code === 'future');
  assert.throws(() => parseDay('01/01/2532'), (e) => e.code === 'too_early'); // 1989
  // 06:30 in Bangkok on 1 December is still 30 November in UTC.
  assert.equal(thaiDayOf('2026-11-30T23:30:00Z'), '2026-12-01');
  assert.equal(thaiDayOf(new Date('2026-11-30T16:59:59Z')), '2026-11-30');
});

test('snapping: the nearest neighbouring corner within reach on screen, else none', async () => {
  const { nearestVertex, outerRings } = await import('../src/snap.js');
  const project = ([lon, lat]) => ({ x: (lon - 100) * 100000, y: (15 - lat) * 100000 }); // 1 px ≈ 1 m
  const rings = outerRings([
    { boundary: { type: 'Polygon', coordinates: [[[100, 15], [100.001, 15], [100.001, 14.999], [100, 15]]] } },
    { boundary: { type: 'MultiPolygon', coordinates: [[[[100.0002, 15], [100.0003, 15], [100.0003, 14.9999], [100.0002, 15]]]] } },
    { pin: { type: 'Point', coordinates: [100, 15] } },
  ]);
  assert.equal(rings.length, 2);
  assert.deepEqual(nearestVertex(21, 3, rings, project), [100.0002, 15]); // 3.2 px from it, 21 px from [100, 15]
  assert.deepEqual(nearestVertex(2, 2, rings, project), [100, 15]);
  assert.equal(nearestVertex(60, 60, rings, project), undefined);
  assert.deepEqual(nearestVertex(60, 60, rings, project, 100), [100.001, 14.999]); // 56.6 px; [100.0003, 14.9999] is 58.3
});

test('walking a boundary: bad fixes dropped but kept in the track; a hidden page makes a gap that is walked back or accepted; corners averaged', async () => {
  const { BoundaryWalk } = await import('../src/walk.js');
  const watchers = [];
  const geolocation = { watchPosition: (ok) => watchers.push(ok) - 1, clearWatch: () => {} };
  const send = (lon, lat, accuracy, time) => watchers.at(-1)({ coords: { longitude: lon, latitude: lat, accuracy }, timestamp: time });
  const m = 1 / 106000; // about a metre of longitude at 17° N
  const walk = new BoundaryWalk({ geolocation });
  walk.start('walk');
  send(100, 17, 4, 0);
  send(100 + 3 * m, 17, 4, 2000);
  send(100 + 4 * m, 17, 40, 3000); // inaccurate
  send(100 + 200 * m, 17, 4, 4000); // a jump
  send(100 + 6 * m, 17, 4, 5000);
  assert.equal(walk.vertices.length, 3);
  assert.equal(walk.track.length, 5);
  assert.deepEqual(walk.track.filter((f) => !f.kept).map((f) => f.reason), ['inaccurate', 'too_fast']);

  // The page is hidden; the next fix is 30 m on, a minute later: a gap, nothing joined.
  walk.hidden(6000);
  send(100 + 36 * m, 17, 4, 65000);
  assert.ok(walk.gap);
  assert.equal(walk.vertices.length, 3);
  // Walking back to the last point closes the gap by itself.
  send(100 + 20 * m, 17, 4, 75000);
  send(100 + 7 * m, 17, 4, 81000);
  assert.equal(walk.gap, null);
  send(100 + 10 * m, 17, 4, 83000);
  assert.equal(walk.vertices.length, 4);
  // Another silence, accepted knowingly this time: it is recorded with its size.
  send(100 + 40 * m, 17, 4, 140000);
  assert.ok(walk.gap);
  walk.acceptGap();
  assert.deepEqual(walk.gaps, [{ after: 3, seconds: 57, metres: 30, accepted: true }]);
  assert.equal(walk.vertices.length, 5);
  const { ring, accuracies, track } = walk.result();
  assert.equal(ring.length, 5);
  assert.deepEqual(accuracies, [4, 4, 4, 4, 4]);
  assert.equal(track.mode, 'walk');
  assert.equal(track.fixes.length, 10);

  // Corner mode: fixes while standing are averaged into one corner each.
  walk.start('corners');
  for (let i = 0; i < 6; i += 1) send(100 + (i % 2) * m, 17, 5, 1000 * (i + 1));
  const corner = walk.addCorner();
  assert.equal(corner.used, 6);
  assert.ok(Math.abs(walk.vertices[0].lon - (100 + 0.5 * m)) < 0.2 * m);
  assert.ok(walk.vertices[0].accuracy < 5);
  assert.equal(walk.addCorner(), null); // no fixes since: no corner
});

test('words: Thai and English have the same keys, and slots are filled', async () => {
  const { keys, setLanguage, t } = await import('../src/i18n.js');
  assert.deepEqual(keys('en').sort(), keys('th').sort());
  setLanguage('en');
  assert.equal(t('pin_fixes', { used: 5, all: 7, m: '3.2' }), '5 of 7 fixes used · ±3.2 m');
  setLanguage('th');
  assert.equal(t('outbox_waiting', { n: 2 }), 'รอส่ง 2 รายการ');
  assert.equal(t('no_such_key'), 'no_such_key');
});

import { conflictRows, editPatch, editableValues, resolvedPatch } from '../src/changes.js';

test('edits: only changed fields go; an untouched boundary is not a change; an emptied field clears', () => {
  const ring = [[99.1, 16.1], [99.1000000012, 16.2], [99.2, 16.2], [99.1, 16.1]];
  const stored = editableValues({ name: 'a', owner_phone: '081', village_no: 3, stage: 'surveyed', budget_year: 2025,
    boundary: { type: 'Polygon', coordinates: [ring] }, pin: null, code: 'x', id: 4 });
  assert.equal(stored.code, undefined); // not an editable field
  const redrawnSame = ring.map(([x, y]) => [Math.round(x * 1e9) / 1e9, Math.round(y * 1e9) / 1e9]);
  // The same boundary as the editor gives it back: rounded, members in another order.
  const after = { ...stored, name: 'b', owner_phone: null, boundary: { coordinates: [redrawnSame], type: 'Polygon' } };
  assert.deepEqual(editPatch(stored, after), { name: 'b', owner_phone: null });
  const moved = { ...after, boundary: { type: 'Polygon', coordinates: [[[99.1, 16.1], [99.1, 16.21], [99.2, 16.2], [99.1, 16.1]]] } };
  assert.deepEqual(Object.keys(editPatch(stored, moved)), ['name', 'owner_phone', 'boundary']);
});

test('conflicts: a field both changed is a clash; one only the officer changed, or both to the same value, is not', () => {
  const base = { name: 'a', owner_phone: '081', stage: 'surveyed' };
  const patch = { name: 'field', owner_phone: '089', stage: 'digging' };
  const server = { name: 'office', owner_phone: '081', stage: 'digging', notes: 'new' };
  const rows = conflictRows(patch, base, server);
  assert.deepEqual(rows.map((r) => [r.field, r.clash]), [['name', true], ['owner_phone', false], ['stage', false]]);
  assert.deepEqual(rows[0], { field: 'name', mine: 'field', base: 'a', theirs: 'office', clash: true });
  // The officer takes the server's name: the rest of theirs goes, the server's name stays.
  assert.deepEqual(resolvedPatch(patch, { name: 'theirs' }), { owner_phone: '089', stage: 'digging' });
  assert.deepEqual(resolvedPatch(patch, { name: 'theirs', owner_phone: 'theirs', stage: 'theirs' }), {});
});

test('outbox: a discarded operation lets the plot\'s queue go on', async () => {
  let n = 0;
  const { send, seen } = fakeServer([{ status: 415, body: { detail: 'not an image' } }, { status: 201 }]);
  const box = new Outbox(memoryStore(), send, { newKey: () => `k${(n += 1)}` });
  await box.add({ kind: 'photo', plot: 'A', plotId: 3, body: { uid: 'u1' } });
  await box.add({ kind: 'photo', plot: 'A', plotId: 3, body: { uid: 'u2' } });
  assert.deepEqual(await box.sync(), { sent: 0, waiting: 1, conflicts: 0, failed: 1, signedOut: false });
  await box.discard('k1');
  assert.equal((await box.sync()).sent, 1);
  assert.deepEqual(seen.map((s) => s.key), ['k1', 'k2']);
  assert.equal((await box.pending()).length, 0);
});

import { localPlots, pointInGeometry, tileRange, tilesFor } from '../src/offline.js';

test('offline district: tiles over a box, bounded by dropping the top zooms', () => {
  // Mueang Sukhothai's box, roughly.
  const box = [99.7, 16.9, 99.95, 17.15];
  assert.deepEqual(tileRange(box, 0), { z: 0, x0: 0, x1: 0, y0: 0, y1: 0, count: 1 });
  const r = tileRange(box, 14);
  assert.equal(r.x0, Math.floor(((99.7 + 180) / 360) * 2 ** 14));
  assert.ok(r.y0 <= r.y1);
  const all = tilesFor(box, 8, 16, 100000);
  assert.equal(all.maxZ, 16);
  const bounded = tilesFor(box, 8, 16, 1250);
  assert.ok(bounded.tiles.length <= 1250 && bounded.maxZ < 16 && bounded.maxZ >= 13, `${bounded.tiles.length} to ${bounded.maxZ}`);
  const next = tileRange(box, bounded.maxZ + 1).count;
  assert.ok(bounded.tiles.length + next > 1250, 'the next zoom would not have fitted');
  assert.equal(new Set(bounded.tiles.map((t) => t.join('/'))).size, bounded.tiles.length);
});

test('offline district: point in polygon with a hole and in a multipolygon; plots found by owner and village', () => {
  const square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
  const hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]];
  assert.equal(pointInGeometry([2, 2], { type: 'Polygon', coordinates: [square, hole] }), true);
  assert.equal(pointInGeometry([5, 5], { type: 'Polygon', coordinates: [square, hole] }), false);
  assert.equal(pointInGeometry([25, 5], { type: 'MultiPolygon', coordinates: [[square], [square.map(([x, y]) => [x + 20, y])]] }), true);
  assert.equal(pointInGeometry([15, 5], { type: 'MultiPolygon', coordinates: [[square]] }), false);
  const plots = [
    { id: 1, code: '640101-0001', name: 'แปลงนายสมชาย', owner_name: 'สมชาย ใจดี', village_no: 3, pin: { type: 'Point', coordinates: [99.8, 17.0] } },
    { id: 2, code: '640101-0002', name: null, owner_name: 'Somsri', village_no: 13,
      boundary: { type: 'Polygon', coordinates: [[[99.9, 17.1], [99.91, 17.1], [99.91, 17.11], [99.9, 17.1]]] } },
  ];
  assert.deepEqual(localPlots(plots, { text: 'ใจดี' }).map((p) => p.id), [1]);
  assert.deepEqual(localPlots(plots, { text: 'somsri' }).map((p) => p.id), [2]);
  assert.deepEqual(localPlots(plots, { text: 'หมู่ 3' }).map((p) => p.id), [1]);
  assert.deepEqual(localPlots(plots, { text: 'ม.13' }).map((p) => p.id), [2]);
  assert.deepEqual(localPlots(plots, { box: [99.905, 17.105, 99.95, 17.2] }).map((p) => p.id), [2]);
  assert.deepEqual(localPlots(plots, { box: [99.7, 16.9, 99.85, 17.05] }).map((p) => p.id), [1]);
});

test('outbox: operations queued together are kept together or, when the phone is full, not at all', async () => {
  const store = memoryStore();
  let n = 0;
  const box = new Outbox(store, async () => ({ status: 201 }), { newKey: () => `k${(n += 1)}` });
  await box.add({ kind: 'create', plot: 'A', body: {} });
  const full = { ...store, async putAll() { throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' }); } };
  const refusing = new Outbox(full, async () => ({ status: 201 }));
  await assert.rejects(refusing.addAll([{ kind: 'progress', plot: 'A', body: {} }, { kind: 'photo', plot: 'A', body: {} }]), { name: 'QuotaExceededError' });
  assert.equal((await box.pending()).length, 1);
  const both = await box.addAll([{ kind: 'progress', plot: 'A', body: {} }, { kind: 'photo', plot: 'A', body: {} }]);
  assert.deepEqual(both.map((o) => o.seq), [2, 3]);
});
