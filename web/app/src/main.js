// The field app: sign in once, see plots near you on the map, pin a new plot from GPS or typed
// coordinates and fill in its record; every save goes to the outbox on the phone first and
// is sent, exactly once, when there is signal.
import 'maplibre-gl/dist/maplibre-gl.css';
import './app.css';
import { registerSW } from 'virtual:pwa-register';
import { call, get, sendOperation, setCsrf } from './api.js';
import { CoordError, parseLatLon, parseUtm } from './coords.js';
import { fromLonLat, previewLonLat } from './crs.js';
import { areaWithBand } from './area.js';
import { BE_OFFSET } from './dates.js';
import { distanceM } from './fixes.js';
import { language, setLanguage, t } from './i18n.js';
import { dropDraft, loadDraft, outboxStore, saveDraft } from './local.js';
import { Outbox } from './outbox.js';
import { GpsPin } from './pin.js';
import { BoundaryWalk } from './walk.js';
import { formatRaiNganWa, parseRaiNganWa } from './rai.js';
import { selfIntersections } from './rings.js';
import { outerRings } from './snap.js';

// MapLibre GL JS and Terra Draw are most of the app's bytes: they load after the page (and the
// sign-in form) is up, from their own chunks; the service worker keeps them for later starts.
let maplibregl = null;

const $ = (id) => document.getElementById(id);
const form = document.getElementById('plot-form');
const DEED_TYPES = ['none', 'chanote', 'ns3k', 'ns3', 'spk401', 'other'];
const SYNC_EVERY_MS = 30000;

const state = {
  session: null, // { username, role, scope, scope_name, csrf_token }
  programs: [],
  stages: [],
  stageColours: {},
  position: null, // the last "where am I" fix: { lon, lat, accuracy }
  pin: null, // { lon, lat, accuracy, source, crs?, coordinates? }
  boundary: null, // the boundary's corners [[lon, lat], ...] (open ring), as drawn or walked
  cornerAccuracy: {}, // "lon,lat" of a walked corner -> its GPS accuracy (95 %, m)
  track: null, // the raw GPS track of a walked boundary, sent with the plot
  editor: null, // BoundaryEditor, once the map is up
  map: null,
  marker: null,
  plots: [],
};

// What the last sync confirmed (uid, id, code), to tell the officer which code a plot got.
const confirmed = [];
async function sendAndNote(op) {
  const answer = await sendOperation(op);
  if (answer.status >= 200 && answer.status < 300) confirmed.push({ plot: op.plot, id: answer.id, code: answer.body?.code });
  return answer;
}
const outbox = new Outbox(outboxStore, sendAndNote);

// ---- words, language, contrast ----------------------------------------------------------

function applyWords() {
  document.documentElement.lang = language();
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('search').placeholder = t('search');
  $('contrast').title = t('contrast');
  $('contrast').setAttribute('aria-label', t('contrast'));
  fillSelect(document.querySelector('#plot-form [name=deed_type]'), DEED_TYPES, (d) => t(`deed_${d}`));
  fillSelect(document.querySelector('#plot-form [name=stage]'), state.stages, stageName);
  renderNet();
  renderPin();
  renderPlots();
  renderOutbox();
  if (state.session) $('whoami').textContent = t('signed_in_as', { user: state.session.username, scope: scopeText() });
}

function stageName(stage) {
  const key = `stage_${stage}`;
  const word = t(key);
  return word === key ? stage : word;
}

function scopeText() {
  return state.session.scope ? state.session.scope_name ?? state.session.scope : t('whole_country');
}

function fillSelect(select, values, label) {
  const keep = select.value;
  select.replaceChildren(...values.map((v) => new Option(label(v), v)));
  if (values.includes(keep)) select.value = keep;
}

function show(el, text, ok) {
  el.textContent = text;
  el.className = `message ${ok ? 'ok' : 'error'}`;
  el.hidden = false;
}

// ---- session ----------------------------------------------------------------------------

async function start() {
  setLanguage(localStorage.getItem('plotmap.lang') ?? 'th');
  if (localStorage.getItem('plotmap.contrast') === '1') setContrast(true);
  applyWords();
  let answer = null;
  try {
    answer = await call('GET', '/api/v1/session');
  } catch {
    // No signal: carry on with the session this phone last had, if any.
    const kept = localStorage.getItem('plotmap.session');
    if (kept) return enter(JSON.parse(kept));
  }
  if (answer?.status === 200) return enter(answer.body);
  localStorage.removeItem('plotmap.session');
  showSignIn();
}

function showSignIn() {
  $('work-view').hidden = true;
  $('sign-in-view').hidden = false;
}

async function enter(session) {
  state.session = session;
  setCsrf(session.csrf_token);
  localStorage.setItem('plotmap.session', JSON.stringify(session));
  $('sign-in-view').hidden = true;
  $('work-view').hidden = false;
  await loadRules();
  applyWords();
  try {
    await navigator.storage?.persist?.();
  } catch {
    // not offered: renderStorage says so
  }
  await restoreDraft();
  startMap();
  sync();
}

async function loadRules() {
  try {
    const q = await get('/collections/plots/queryables');
    state.programs = q.properties?.program?.enum ?? [];
    state.stages = q.properties?.stage?.enum ?? [];
    localStorage.setItem('plotmap.rules', JSON.stringify({ programs: state.programs, stages: state.stages }));
  } catch {
    const kept = JSON.parse(localStorage.getItem('plotmap.rules') ?? '{}');
    state.programs = kept.programs ?? [];
    state.stages = kept.stages ?? [];
  }
  fillSelect(document.querySelector('#plot-form [name=program]'), state.programs, (p) => p);
}

$('sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const answer = await call('POST', '/api/v1/session', { username: String(form.get('username')).trim().toLowerCase(), password: form.get('password') });
    if (answer.status !== 200 && answer.status !== 201) {
      show($('sign-in-message'), answer.body?.detail ?? `HTTP ${answer.status}`, false);
      return;
    }
    $('sign-in-message').hidden = true;
    ev.target.reset();
    await enter(answer.body);
  } catch (e) {
    show($('sign-in-message'), t('offline'), false);
  }
});

$('sign-out').addEventListener('click', async () => {
  const waiting = (await outbox.pending()).length;
  if (waiting > 0) {
    // Signing out on a shared phone must not strand an officer's unsent work.
    show($('footer-message'), t('cannot_sign_out', { n: waiting }), false);
    return;
  }
  $('footer-message').hidden = true;
  try {
    await call('DELETE', '/api/v1/session');
  } catch {
    // offline: the cookie ends on the server when it times out
  }
  localStorage.removeItem('plotmap.session');
  state.session = null;
  setCsrf(null);
  showSignIn();
});

$('lang').addEventListener('click', () => {
  setLanguage(language() === 'th' ? 'en' : 'th');
  localStorage.setItem('plotmap.lang', language());
  applyWords();
});

function setContrast(on) {
  document.documentElement.classList.toggle('contrast', on);
  $('contrast').setAttribute('aria-pressed', String(on));
}
$('contrast').addEventListener('click', () => {
  const on = !document.documentElement.classList.contains('contrast');
  setContrast(on);
  localStorage.setItem('plotmap.contrast', on ? '1' : '0');
});

for (const tab of document.querySelectorAll('#tabs button')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll('#tabs button')) other.setAttribute('aria-selected', String(other === tab));
    for (const name of ['near', 'new', 'outbox']) $(`tab-${name}`).hidden = name !== tab.dataset.tab;
    if (tab.dataset.tab === 'outbox') renderOutbox();
  });
}

// ---- map --------------------------------------------------------------------------------

async function startMap() {
  if (state.map) return;
  maplibregl ??= (await import('maplibre-gl')).default;
  if (state.map) return; // started meanwhile
  const map = new maplibregl.Map({ container: 'map', style: '/styles/default.json', center: [100.5, 15.0], zoom: 5, attributionControl: false });
  // Attribution folded to its (i) button: on a phone the open box covers a fifth of the map.
  const attribution = new maplibregl.AttributionControl({ compact: true });
  map.addControl(attribution);
  map.once('idle', () => map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show'));
  state.map = map;
  window.plotmapApp = { map, outbox, state }; // for the tests
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  const locate = new maplibregl.GeolocateControl({
    positionOptions: { enableHighAccuracy: true },
    trackUserLocation: true,
    showAccuracyCircle: true,
  });
  map.addControl(locate, 'top-right');
  locate.on('geolocate', (pos) => {
    state.position = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy };
    $('fix').textContent = t('accuracy', { m: Math.round(pos.coords.accuracy) });
    renderPlots();
  });
  $('locate').onclick = () => locate.trigger();
  map.on('load', async () => {
    const fill = map.getStyle().layers.find((l) => l.id === 'plots-fill');
    const expr = fill?.paint?.['fill-color'];
    if (Array.isArray(expr)) for (let i = 2; i + 1 < expr.length; i += 2) state.stageColours[expr[i]] = expr[i + 1];
    if (state.pin) placeMarker([state.pin.lon, state.pin.lat], true); // a draft from before
    map.addSource('crossings', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'crossings', type: 'circle', source: 'crossings',
      paint: { 'circle-radius': 9, 'circle-color': '#d50000', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } });
    map.addSource('walk', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'walk-line', type: 'line', source: 'walk', paint: { 'line-color': '#d32f2f', 'line-width': 3, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'walk-points', type: 'circle', source: 'walk', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#d32f2f', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } });
    const { BoundaryEditor } = await import('./draw.js');
    state.editor = new BoundaryEditor(map, { neighbours: () => outerRings(state.plots), onChange: boundaryChanged });
    $('draw-start').disabled = false;
    if (state.boundary) state.editor.edit(state.boundary);
    openOnScope();
  });
  map.on('moveend', () => loadPlots());
}

/** Opens the map on the officer's scope (a province, district or subdistrict), once. */
async function openOnScope() {
  const scope = state.session?.scope;
  if (!scope) return loadPlots();
  const key = `plotmap.scope-bounds.${scope}`;
  let box = JSON.parse(localStorage.getItem(key) ?? 'null');
  if (!box) {
    try {
      const level = scope.length / 2;
      const found = await get(`/collections/adm${level}/items?filter=${encodeURIComponent(`code = '${scope}'`)}&limit=1`);
      box = boundsOf(found.features?.[0]?.geometry);
      if (box) localStorage.setItem(key, JSON.stringify(box));
    } catch {
      // offline the first time: the country view stays
    }
  }
  if (box) state.map.fitBounds(box, { padding: 20, animate: false });
  loadPlots();
}

function boundsOf(geometry) {
  if (!geometry) return null;
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
    } else {
      c.forEach(walk);
    }
  };
  walk(geometry.coordinates);
  return Number.isFinite(b[0]) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}

// ---- plots near me ----------------------------------------------------------------------

let searchTimer = null;
$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(loadPlots, 300);
});

async function loadPlots() {
  if (!state.map) return;
  const text = $('search').value.trim();
  const params = new URLSearchParams({ limit: '200' });
  if (text) {
    params.set('q', text);
  } else {
    const b = state.map.getBounds();
    params.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','));
  }
  try {
    state.plots = (await get(`/api/v1/plots?${params}`)).plots ?? [];
  } catch {
    return; // offline: keep the last list
  }
  renderPlots();
}

function plotPoint(p) {
  if (p.pin) return p.pin.coordinates;
  const ring = p.boundary?.type === 'Polygon' ? p.boundary.coordinates[0] : p.boundary?.coordinates?.[0]?.[0];
  if (!ring) return null;
  return [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
}

function renderPlots() {
  const list = $('plots');
  if (!list) return;
  const from = state.position ?? (state.map ? { lon: state.map.getCenter().lng, lat: state.map.getCenter().lat } : null);
  const rows = state.plots
    .map((p) => ({ p, at: plotPoint(p) }))
    .filter((r) => r.at)
    .map((r) => ({ ...r, d: from ? distanceM(from, { lon: r.at[0], lat: r.at[1] }) : 0 }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 50);
  if (rows.length === 0) {
    const li = document.createElement('li');
    li.textContent = t('no_plots');
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(...rows.map(({ p, at, d }) => {
    const li = document.createElement('li');
    li.dataset.id = p.id;
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = state.stageColours[p.stage] ?? '#888';
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = `${p.code}${p.name ? ` · ${p.name}` : ''}`;
    const small = document.createElement('small');
    small.textContent = [stageName(p.stage), p.adm3_name, p.area_rai ? `${p.area_rai} ไร่` : null].filter(Boolean).join(' · ');
    what.appendChild(small);
    const far = document.createElement('span');
    far.className = 'far';
    far.textContent = d < 1000 ? t('distance_m', { d: Math.round(d) }) : t('distance_km', { d: (d / 1000).toFixed(1) });
    li.append(swatch, what, far);
    li.addEventListener('click', () => state.map.flyTo({ center: at, zoom: Math.max(state.map.getZoom(), 16) }));
    return li;
  }));
}

// ---- a new plot: its position -------------------------------------------------------------

const gps = new GpsPin({
  onUpdate: ({ average, fixes }) => {
    $('pin-live').hidden = false;
    $('pin-status').textContent = average
      ? t('pin_fixes', { used: average.used, all: fixes, m: average.accuracy.toFixed(1) })
      : t('pin_waiting', { target: gps.options.targetM });
    if (average) placeMarker([average.lon, average.lat], false);
  },
  onTaken: (average) => {
    $('pin-live').hidden = true;
    setPin({ lon: average.lon, lat: average.lat, accuracy: average.accuracy, source: 'gps' });
  },
  onError: (err) => {
    // GeolocationPositionError: 1 denied; 2 unavailable and 3 timed out read the same to an officer.
    $('pin-status').textContent = t(err.code === 1 ? 'gps_denied' : 'gps_unavailable');
  },
});

$('pin-gps').addEventListener('click', () => {
  $('typed').hidden = true;
  $('pin-live').hidden = false;
  $('pin-status').textContent = t('pin_waiting', { target: gps.options.targetM });
  gps.start();
});
$('pin-accept').addEventListener('click', () => gps.take());
$('pin-typed-toggle').addEventListener('click', () => {
  gps.stop();
  $('pin-live').hidden = true;
  $('typed').hidden = !$('typed').hidden;
});

$('typed').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    const typed = String(f.get('latlon')).trim()
      ? parseLatLon(f.get('latlon'))
      : parseUtm(f.get('easting'), f.get('northing'), f.get('zone'), f.get('datum'));
    const [lon, lat] = await previewLonLat(typed);
    const coordinates = typed.crs === 'EPSG:4326' ? [typed.lon, typed.lat] : [typed.x, typed.y];
    $('typed-message').hidden = true;
    setPin({ lon, lat, accuracy: null, source: 'typed', crs: typed.crs, coordinates });
  } catch (e) {
    show($('typed-message'), e instanceof CoordError ? t(`err_${e.code}`) : e.message, false);
  }
});

function placeMarker(lonlat, draggable) {
  if (!state.map) return;
  if (!state.marker) {
    state.marker = new maplibregl.Marker({ color: '#d32f2f', draggable: true }).setLngLat(lonlat).addTo(state.map);
    state.marker.on('dragend', () => {
      const at = state.marker.getLngLat();
      setPin({ lon: at.lng, lat: at.lat, accuracy: null, source: 'map' });
    });
  }
  state.marker.setLngLat(lonlat);
  state.marker.setDraggable(draggable);
}

function setPin(pin) {
  state.pin = pin;
  placeMarker([pin.lon, pin.lat], true);
  state.map?.easeTo({ center: [pin.lon, pin.lat], zoom: Math.max(state.map.getZoom(), 17) });
  renderPin();
  keepDraft();
}

function renderPin() {
  const el = $('pin-summary');
  if (!state.pin) {
    el.textContent = '';
    return;
  }
  const p = state.pin;
  el.textContent = `${t('pin_accepted', { m: p.accuracy ? p.accuracy.toFixed(1) : '–', source: t(`source_${p.source}`) })} · ${p.lat.toFixed(6)}, ${p.lon.toFixed(6)}`;
}

// ---- a new plot: its boundary, drawn on the imagery ---------------------------------------

$('draw-start').addEventListener('click', () => {
  state.editor?.begin();
  $('draw-hint').hidden = false;
});
$('draw-undo').addEventListener('click', () => state.editor?.undo());
$('draw-redo').addEventListener('click', () => state.editor?.redo());
$('draw-clear').addEventListener('click', () => {
  state.editor?.clear();
  $('draw-hint').hidden = true;
});
form.elements.declared_area_rai.addEventListener('input', () => renderArea());

function boundaryChanged(ring) {
  state.boundary = ring && ring.length >= 3 ? ring : null;
  renderArea();
  keepDraft();
}

/** The live area panel: area and perimeter, the GPS error band when the corners have one,
 * the difference from the deed's area, and where the boundary crosses itself. */
function renderArea() {
  const ring = state.boundary;
  $('draw-undo').disabled = !state.editor?.canUndo();
  $('draw-redo').disabled = !state.editor?.canRedo();
  $('draw-clear').disabled = !ring;
  $('area-live').hidden = !ring;
  const crossings = ring ? selfIntersections(ring) : [];
  state.map?.getSource('crossings')?.setData({
    type: 'FeatureCollection',
    features: crossings.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c.at }, properties: {} })),
  });
  if (!ring) return;
  // Walked corners carry their GPS accuracy; corners placed on the imagery none of their own.
  const { area, perimeter, band95: band } = areaWithBand(ring, ring.map((v) => state.cornerAccuracy[cornerKey(v)] ?? 0));
  $('area-text').textContent = t('area_live', {
    rai: formatRaiNganWa(area),
    m2: Math.round(area).toLocaleString('th-TH'),
    perimeter: Math.round(perimeter).toLocaleString('th-TH'),
  });
  $('area-band').textContent = band > 0 ? t('area_band', { band: Math.round(band).toLocaleString('th-TH') }) : '';
  let deed = null;
  try {
    deed = form.elements.declared_area_rai.value.trim() ? parseRaiNganWa(form.elements.declared_area_rai.value) : null;
  } catch {
    deed = null;
  }
  $('area-deed').textContent = deed ? t('deed_diff', { pct: `${area >= deed ? '+' : ''}${((100 * (area - deed)) / deed).toFixed(1)}` }) : '';
  $('area-crossings').hidden = crossings.length === 0;
  $('area-crossings').textContent = t('crossings', { n: crossings.length });
}

// ---- a new plot: its boundary, walked ------------------------------------------------------

/** A corner's key to its accuracy, to 9 decimals (the precision the editor keeps). */
function cornerKey([lon, lat]) {
  return `${lon.toFixed(9)},${lat.toFixed(9)}`;
}

let wakeLock = null;
async function keepAwake(on) {
  try {
    if (on && !wakeLock && 'wakeLock' in navigator) {
      wakeLock = await navigator.wakeLock.request('screen');
      wakeLock.addEventListener('release', () => { wakeLock = null; });
    } else if (!on && wakeLock) {
      await wakeLock.release();
    }
  } catch {
    // refused (battery saver): the walk goes on, the officer keeps the screen on
  }
}

const walk = new BoundaryWalk({ onUpdate: renderWalk });

function startWalk(mode) {
  gps.stop();
  state.editor?.clear();
  state.track = null;
  walk.start(mode);
  keepAwake(true);
}
$('walk-start').addEventListener('click', () => startWalk('walk'));
$('walk-corners').addEventListener('click', () => startWalk('corners'));
$('walk-corner').addEventListener('click', () => walk.addCorner());
$('walk-accept-gap').addEventListener('click', () => walk.acceptGap());
$('walk-finish').addEventListener('click', () => {
  walk.stop();
  keepAwake(false);
  const { ring, accuracies, track } = walk.result();
  state.cornerAccuracy = Object.fromEntries(ring.map((v, i) => [cornerKey(v), accuracies[i]]));
  state.track = track;
  state.map?.getSource('walk')?.setData({ type: 'FeatureCollection', features: [] });
  $('walk-live').hidden = true;
  if (ring.length >= 3) state.editor?.edit(ring); // adjustable like a drawn one
});
document.addEventListener('visibilitychange', () => {
  if (!walk.recording) return;
  if (document.visibilityState === 'hidden') walk.hidden(Date.now());
  else keepAwake(true); // the lock is released with the page; take it again
});

function renderWalk(w) {
  $('walk-live').hidden = !w.recording;
  if (!w.recording) return;
  $('walk-status').textContent = w.mode === 'corners'
    ? `${t('walk_recording', { n: w.vertices.length })} · ${t('walk_corner_fixes', { n: w.cornerFixes.length })}`
    : t('walk_recording', { n: w.vertices.length });
  $('walk-corner').hidden = w.mode !== 'corners';
  $('walk-accept-gap').hidden = !w.gap;
  $('walk-gap').hidden = !w.gap;
  if (w.gap) {
    const last = w.vertices[w.vertices.length - 1];
    const now = w.lastKept;
    $('walk-gap').textContent = t('walk_gap', { s: Math.round((now.time - w.gap.since) / 1000), m: Math.round(distanceM(last, now)) });
  }
  const dropped = w.track.filter((f) => !f.kept).length;
  $('walk-notes').textContent = [dropped ? t('walk_dropped', { n: dropped }) : null,
    w.gaps.length ? t('walk_gaps_accepted', { n: w.gaps.length }) : null].filter(Boolean).join(' · ');
  const line = w.vertices.map((v) => [v.lon, v.lat]);
  state.map?.getSource('walk')?.setData({
    type: 'FeatureCollection',
    features: [
      ...(line.length > 1 ? [{ type: 'Feature', geometry: { type: 'LineString', coordinates: line }, properties: {} }] : []),
      ...line.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} })),
    ],
  });
  const here = line[line.length - 1];
  if (here && state.map && !state.map.getBounds().contains(here)) state.map.easeTo({ center: here }); // keep the walker in view
  // The live area while walking, with the band from each corner's accuracy.
  state.cornerAccuracy = Object.fromEntries(w.vertices.map((v) => [cornerKey([v.lon, v.lat]), v.accuracy]));
  state.boundary = line.length >= 3 ? line : null;
  renderArea();
}

// ---- a new plot: its record, kept as a draft, saved to the outbox ---------------------------

function formValues() {
  return Object.fromEntries(new FormData(form).entries());
}

async function keepDraft() {
  await saveDraft('new', { fields: formValues(), pin: state.pin, boundary: state.boundary, track: state.track, cornerAccuracy: state.cornerAccuracy });
}
form.addEventListener('input', keepDraft);

async function restoreDraft() {
  const draft = await loadDraft('new');
  if (!draft) return;
  for (const [name, value] of Object.entries(draft.fields ?? {})) {
    if (form.elements[name]) form.elements[name].value = value;
  }
  state.pin = draft.pin ?? null;
  state.boundary = draft.boundary ?? null;
  state.track = draft.track ?? null;
  state.cornerAccuracy = draft.cornerAccuracy ?? {};
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const message = $('save-message');
  if (!state.pin && !state.boundary) {
    show(message, t('need_pin_or_boundary'), false);
    return;
  }
  if (state.boundary && selfIntersections(state.boundary).length > 0) {
    show(message, t('crossings', { n: selfIntersections(state.boundary).length }), false);
    return;
  }
  const v = formValues();
  const body = { uid: crypto.randomUUID(), program: v.program, stage: v.stage, deed_type: v.deed_type };
  for (const name of ['name', 'owner_name', 'owner_phone', 'deed_no']) if (v[name].trim()) body[name] = v[name].trim();
  if (v.village_no) body.village_no = Number(v.village_no);
  if (v.notes.trim()) body.notes = v.notes.trim();
  if (v.budget_year_be) body.budget_year = Number(v.budget_year_be) - BE_OFFSET; // typed in BE, stored in CE
  if (v.declared_area_rai.trim()) {
    try {
      parseRaiNganWa(v.declared_area_rai);
    } catch (e) {
      show(message, e.message, false);
      return;
    }
    body.declared_area_rai = v.declared_area_rai.trim();
  }
  const p = state.pin;
  if (p?.source === 'typed') {
    body.crs = p.crs; // the values as typed, for the server's PROJ
    body.pin = { type: 'Point', coordinates: p.coordinates };
  } else if (p) {
    body.pin = { type: 'Point', coordinates: [p.lon, p.lat] };
    if (p.accuracy) body.pin_accuracy_m = Math.round(p.accuracy * 10) / 10;
  }
  if (p) body.pin_source = p.source;
  if (state.boundary) {
    // One CRS per request: with a typed pin, the drawn corners go in its CRS too (proj4 there,
    // the server's PROJ back: the same datum shift), so the pin stays exactly as typed.
    const corners = [...state.boundary, state.boundary[0]];
    body.boundary = { type: 'Polygon', coordinates: [body.crs ? await Promise.all(corners.map((c) => fromLonLat(body.crs, c))) : corners] };
    if (state.track) body.track = state.track; // the raw walk, kept in the plot's history
  }
  await outbox.add({ kind: 'create', plot: body.uid, body });
  await dropDraft('new');
  form.reset();
  state.pin = null;
  state.marker?.remove();
  state.marker = null;
  state.editor?.clear();
  state.track = null;
  state.cornerAccuracy = {};
  $('draw-hint').hidden = true;
  renderPin();
  show(message, t('saved_offline'), true);
  const sent = await sync();
  const done = sent?.confirmed?.find((c) => c.plot === body.uid);
  if (done) show(message, t('saved_sent', { code: done.code ?? done.id }), true);
});

// ---- sending ------------------------------------------------------------------------------

/** Sends what waits, from one tab at a time (Web Locks): two open tabs never send an operation twice at once. */
function sync() {
  if (!state.session) return Promise.resolve(null);
  if (!navigator.locks) return syncHere();
  return navigator.locks.request('plotmap-sync', { ifAvailable: true }, (lock) => (lock ? syncHere() : null));
}

async function syncHere() {
  confirmed.length = 0;
  let result;
  try {
    result = await outbox.sync();
  } catch {
    return null;
  }
  if (result.signedOut) {
    show($('save-message'), t('signed_out_keep'), false);
    localStorage.removeItem('plotmap.session');
  }
  if (result.sent > 0) {
    const plots = state.map?.getSource('plots');
    if (plots?.tiles) plots.setTiles(plots.tiles); // fetch the plot tiles again: the new plot shows
    loadPlots();
  }
  await renderOutbox();
  return { ...result, confirmed: [...confirmed] };
}

/** Asks the browser to keep the app's data (it may evict it under pressure otherwise) and
 * says how much room there is; warns when little is left. */
async function renderStorage() {
  if (!navigator.storage?.estimate) return;
  const persisted = await navigator.storage.persisted?.();
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const mb = (b) => (b / 1048576).toFixed(b < 10485760 ? 1 : 0);
  $('storage').textContent = t(persisted ? 'storage_kept' : 'storage_not_kept', { used: mb(usage), total: mb(quota) });
  $('storage-low').hidden = !(quota > 0 && usage / quota > 0.8);
}

async function renderOutbox() {
  renderStorage();
  const ops = await outbox.pending();
  const waiting = ops.filter((o) => o.state === 'waiting').length;
  const failed = ops.length - waiting;
  const badge = $('outbox-badge');
  badge.hidden = ops.length === 0;
  badge.textContent = failed ? t('outbox_failed', { n: failed }) : t('outbox_waiting', { n: waiting });
  $('outbox-summary').textContent = ops.length === 0 ? t('outbox_empty') : [
    waiting ? t('outbox_waiting', { n: waiting }) : null,
    failed ? t('outbox_failed', { n: failed }) : null,
  ].filter(Boolean).join(' · ');
  $('outbox-list').replaceChildren(...ops.map((o) => {
    const li = document.createElement('li');
    li.className = o.state;
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = `${t(`op_${o.kind}`)}: ${o.body?.name ?? o.body?.owner_name ?? o.plot.slice(0, 8)}`;
    const st = document.createElement('span');
    st.className = 'state';
    // A refusal says why (the server's words); a wait says how often it was tried.
    st.textContent = o.state === 'waiting'
      ? (o.attempts ? t('no_signal', { n: o.attempts }) : t('state_waiting'))
      : `${t(`state_${o.state}`)}${o.lastError ? ` · ${o.lastError}` : ''}`;
    li.append(what, st);
    return li;
  }));
}
$('outbox-badge').addEventListener('click', () => document.querySelector('#tabs [data-tab=outbox]').click());
$('sync').addEventListener('click', async () => {
  await outbox.retryNow();
  sync();
});

function renderNet() {
  const net = $('net');
  net.textContent = navigator.onLine ? t('online') : t('offline');
  net.classList.toggle('offline', !navigator.onLine);
}
window.addEventListener('online', async () => {
  renderNet();
  await outbox.retryNow();
  sync();
});
window.addEventListener('offline', renderNet);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') sync();
});
setInterval(sync, SYNC_EVERY_MS);

registerSW({ immediate: true });
start();
