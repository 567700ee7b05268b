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
import { distanceM } from './fixes.js';
import { language, setLanguage, t } from './i18n.js';
import { dropDraft, loadAreas, loadDraft, outboxStore, saveArea, saveDraft } from './local.js';
import { bboxOf } from '../../shared/geometry.js';
import { downloadDistrict, localPlots, pointInGeometry, villageOf } from './offline.js';
import { keepPack } from './packs.js';
import { Outbox } from './outbox.js';
import { GpsPin } from './pin.js';
import { BoundaryWalk } from './walk.js';
import { formatRaiNganWa, parseRaiNganWa } from './rai.js';
import { selfIntersections } from './rings.js';
import { EDIT_FIELDS, conflictRows, editPatch, editableValues, resolvedPatch } from './changes.js';
import { BE_OFFSET, DateError, formatDay, parseDay, thaiDayOf } from './dates.js';
import { PhotoError, captureFix, downsize, localTime } from './photo.js';
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
  sentBack: [], // plots the supervisor sent back, with their reasons (GET /api/v1/reviews?state=needs_fix)
  position: null, // the last "where am I" fix: { lon, lat, accuracy }
  pin: null, // { lon, lat, accuracy, source, crs?, coordinates? }
  boundary: null, // the boundary's corners [[lon, lat], ...] (open ring), as drawn or walked
  cornerAccuracy: {}, // "lon,lat" of a walked corner -> its GPS accuracy (95 %, m)
  track: null, // the raw GPS track of a walked boundary, sent with the plot
  editor: null, // BoundaryEditor, once the map is up
  map: null,
  marker: null,
  plots: [],
  scopeSubdistricts: [], // the subdistrict polygons of the officer's scope, kept at sign-in
  areas: [], // districts kept on the phone for use without signal (offline.js)
  pendingPlots: [], // plots saved on this phone, not yet confirmed by the server
  current: null, // the plot whose page is open
  picked: [], // photos taken for the progress entry being written: { uid, blob, width, height, taken_at, location, accuracy_m }
  editing: null, // { uid, id, version, code, base, keepBoundary } while an existing plot is in the form
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
  if (state.session) renderAreas();
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
  applyFieldSettings(session.field);
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
  await renderAreas();
  await keepScopeSubdistricts();
  await restoreDraft();
  startMap();
  sync();
  openLinkedPlot();
  loadSentBack();
}

/** A link from elsewhere (the dashboard's lists) names a plot: /app/?plot=ID opens its page. */
async function openLinkedPlot() {
  const id = new URLSearchParams(location.search).get('plot');
  if (!/^\d{1,15}$/.test(id ?? '')) return;
  try {
    openPlot(await get(`/api/v1/plots/${id}`));
  } catch {
    // gone, outside the scope, or no signal: the app opens as usual
  }
}

/**
 * The server's `[field]` settings (config/plotmap.toml), sent with the session: the accuracy a
 * GPS pin waits for, from how many fixes, and the worst fix a walked boundary keeps.
 */
function applyFieldSettings(field) {
  if (!field) return;
  if (field.pin_accuracy_m) gps.options.targetM = field.pin_accuracy_m;
  if (field.pin_min_fixes) gps.options.minFixes = field.pin_min_fixes;
  if (field.walk_max_accuracy_m) walk.options.maxAccuracy = field.walk_max_accuracy_m;
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

/** Shows one part of the sheet: a tab ('near', 'new', 'outbox') or a plot's page ('plot'). */
function selectTab(name) {
  for (const tab of document.querySelectorAll('#tabs button')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
  for (const part of ['near', 'new', 'outbox', 'plot']) $(`tab-${part}`).hidden = part !== name;
  if (name === 'outbox') renderOutbox();
  $('sheet').scrollTop = 0;
}
for (const tab of document.querySelectorAll('#tabs button')) tab.addEventListener('click', () => selectTab(tab.dataset.tab));

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
    state.position = { lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy, time: pos.timestamp };
    $('fix').textContent = t('accuracy', { m: Math.round(pos.coords.accuracy) });
    renderPlots();
  });
  $('locate').onclick = () => locate.trigger();
  map.on('load', async () => {
    const fill = map.getStyle().layers.find((l) => l.id === 'plots-fill');
    const expr = fill?.paint?.['fill-color'];
    if (Array.isArray(expr)) for (let i = 2; i + 1 < expr.length; i += 2) state.stageColours[expr[i]] = expr[i + 1];
    if (state.pin) placeMarker([state.pin.lon, state.pin.lat], true); // a draft from before
    showReviewStates(map, fill);
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
  map.on('click', async (ev) => {
    if (!$('tab-new').hidden) return; // taps there place corners
    const hit = map.queryRenderedFeatures(ev.point, { layers: ['plots-fill', 'pins'] }).find((f) => f.id !== undefined);
    if (!hit) return;
    const known = state.plots.find((p) => p.id === hit.id);
    try {
      openPlot(known ?? await get(`/api/v1/plots/${hit.id}`));
    } catch {
      // offline and never listed: nothing to show
    }
  });
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
  const b = bboxOf(geometry);
  return b ? [[b[0], b[1]], [b[2], b[3]]] : null;
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
  const b = state.map.getBounds();
  const box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  const village = villageOf(text);
  if (village) params.set('village_no', village); // "หมู่ 3": that village in the map's view
  else if (text) params.set('q', text); // code, name, and owners in the officer's scope
  if (!text || village) params.set('bbox', box.map((v) => v.toFixed(6)).join(','));
  // Districts kept on the phone answer without signal, and search their owners and villages
  // (the server's search looks at codes and names).
  const kept = state.areas.flatMap((a) => a.plots);
  const local = kept.length ? localPlots(kept, { box, text }) : [];
  try {
    const found = (await get(`/api/v1/plots?${params}`)).plots ?? [];
    const ids = new Set(found.map((p) => p.id));
    state.plots = text ? [...found, ...local.filter((p) => !ids.has(p.id))] : found;
  } catch {
    if (kept.length === 0) return; // offline, nothing kept: the last list stays
    state.plots = local;
  }
  renderPlots();
}

// ---- a district kept for use without signal -------------------------------------------------

async function renderAreas() {
  state.areas = await loadAreas();
  const mb = (bytes) => (bytes / 1048576).toFixed(1);
  $('areas').replaceChildren(...state.areas.map((a) => {
    const li = document.createElement('li');
    li.textContent = t('download_done', { name: language() === 'th' ? a.name_th : a.name_en, plots: a.plots.length,
      subs: a.subdistricts.length, tiles: a.tiles, z: a.maxZoom, mb: mb(a.bytes), when: formatDay(thaiDayOf(new Date(a.savedAt)), language()) });
    return li;
  }));
}

/**
 * The subdistrict polygons of the officer's scope, kept on the phone at sign-in (refreshed when
 * there is signal), so a plot's subdistrict is found without signal anywhere in the scope.
 */
async function keepScopeSubdistricts() {
  const scope = state.session?.scope;
  const kept = await loadDraft('scope-subdistricts');
  state.scopeSubdistricts = kept?.scope === scope ? kept.features : [];
  if (!scope) return;
  const query = scope.length === 2 ? `adm1=${scope}` : `adm2=${scope.slice(0, 4)}`;
  const refresh = async () => {
    try {
      const found = await get(`/collections/adm3/items?${query}&limit=1000`);
      state.scopeSubdistricts = found.features ?? [];
      await saveDraft('scope-subdistricts', { scope, features: state.scopeSubdistricts });
    } catch {
      // no signal: the copy from last time (if any) serves
    }
  };
  refresh(); // behind the map: the page does not wait for it
}

/** The district under [lon, lat], from the server's district polygons. */
async function districtAt([lon, lat]) {
  const d = 0.0001;
  const found = await get(`/collections/adm2/items?limit=10&bbox=${[lon - d, lat - d, lon + d, lat + d].map((v) => v.toFixed(6)).join(',')}`);
  return (found.features ?? []).find((f) => pointInGeometry([lon, lat], f.geometry)) ?? null;
}

$('download').addEventListener('click', async () => {
  const button = $('download');
  const bar = $('download-progress');
  const status = $('download-status');
  button.disabled = true;
  try {
    const c = state.map.getCenter();
    const district = await districtAt([c.lng, c.lat]);
    if (!district) {
      status.textContent = t('download_none');
      return;
    }
    bar.hidden = false;
    const fetchBytes = async (url) => {
      const res = await fetch(url, { credentials: 'same-origin' }); // through the service worker, which keeps it
      return res.ok ? (await res.arrayBuffer()).byteLength : 0;
    };
    const area = await downloadDistrict(district, {
      get,
      fetchBytes,
      keepPack,
      onProgress: ({ phase, done, total, bytes }) => {
        bar.max = Math.max(1, total);
        bar.value = done;
        status.textContent = t(`download_${phase}`, { done, total, mb: (bytes / 1048576).toFixed(1) });
      },
    });
    await saveArea(area);
    status.textContent = '';
    await renderAreas();
    renderStorage();
  } catch (e) {
    status.textContent = t('download_failed', { detail: e.message });
  } finally {
    bar.hidden = true;
    button.disabled = false;
  }
});

/** Where each plot stands in its review, on the map: an outline per state on plots, a ring on pins. */
const REVIEW_COLOURS = ['match', ['get', 'review_state'], 'submitted', '#f9a825', 'approved', '#1b5e20', 'needs_fix', '#d50000', '#ffffff'];
function showReviewStates(map, fill) {
  if (!fill) return;
  map.addLayer({ id: 'review-outline', type: 'line', source: fill.source, 'source-layer': fill['source-layer'], minzoom: fill.minzoom ?? 0,
    filter: ['!=', ['coalesce', ['get', 'review_state'], 'unchecked'], 'unchecked'],
    paint: { 'line-color': REVIEW_COLOURS, 'line-width': 3 } });
  if (map.getLayer('pins')) {
    map.setPaintProperty('pins', 'circle-stroke-color', REVIEW_COLOURS);
    map.setPaintProperty('pins', 'circle-stroke-width', ['match', ['get', 'review_state'], 'submitted', 3, 'approved', 3, 'needs_fix', 3, 1]);
  }
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
  const rows = [...state.pendingPlots, ...state.plots]
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
    li.dataset.id = p.id ?? '';
    li.dataset.uid = p.uid;
    if (p.pending) li.className = 'pending';
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = state.stageColours[p.stage] ?? '#888';
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = p.pending ? `${p.name ?? ''} (${t('not_sent_yet')})` : `${p.code}${p.name ? ` · ${p.name}` : ''}`;
    const small = document.createElement('small');
    small.textContent = [stageName(p.stage), p.adm3_name, p.area_rai ? `${p.area_rai} ไร่` : null].filter(Boolean).join(' · ');
    what.appendChild(small);
    const far = document.createElement('span');
    far.className = 'far';
    far.textContent = d < 1000 ? t('distance_m', { d: Math.round(d) }) : t('distance_km', { d: (d / 1000).toFixed(1) });
    li.append(swatch, what, far);
    li.addEventListener('click', () => {
      state.map.flyTo({ center: at, zoom: Math.max(state.map.getZoom(), 16) });
      openPlot(p);
    });
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
  suggestAdmin();
  keepDraft();
}

// ---- where the plot is: its subdistrict, from the location, correctable ---------------------

let admAsked = 0;

/**
 * Fills the subdistrict choice from where the plot is: from the polygons of a district kept on
 * the phone (no signal needed), else from the server's; the district's other subdistricts are
 * the choices. `chosen` (a draft's or the stored record's code) is kept. With no answer the
 * choice is "let the server find it", which it does from the location when the plot arrives.
 */
async function suggestAdmin(chosen) {
  const at = state.pin ? [state.pin.lon, state.pin.lat] : centroid(state.boundary);
  const asked = (admAsked += 1);
  let here = null;
  let options = [];
  if (at) {
    const kept = [...new Map([...state.scopeSubdistricts, ...state.areas.flatMap((a) => a.subdistricts)]
      .map((f) => [f.properties.code, f])).values()];
    here = kept.find((f) => pointInGeometry(at, f.geometry)) ?? null;
    if (here) {
      options = kept.filter((f) => f.properties.adm2 === here.properties.adm2);
    } else {
      try {
        const d = 0.0001;
        const near = await get(`/collections/adm3/items?limit=10&bbox=${[at[0] - d, at[1] - d, at[0] + d, at[1] + d].map((v) => v.toFixed(6)).join(',')}`);
        here = (near.features ?? []).find((f) => pointInGeometry(at, f.geometry)) ?? null;
        if (here) options = (await get(`/collections/adm3/items?adm2=${here.properties.adm2}&limit=1000`)).features ?? [];
      } catch {
        // no signal and no district kept here: the server finds it when the plot arrives
      }
    }
  }
  if (asked !== admAsked) return; // the location changed meanwhile
  const select = form.elements.adm3;
  const name = (f) => (language() === 'th' ? f.properties.name_th : f.properties.name_en) ?? f.properties.code;
  const choices = options.map((f) => new Option(`${name(f)} (${f.properties.code})`, f.properties.code))
    .sort((a, b) => a.text.localeCompare(b.text, 'th'));
  const value = chosen || here?.properties.code || '';
  if (value && !options.some((f) => f.properties.code === value)) choices.unshift(new Option(value, value));
  select.replaceChildren(new Option(t('adm_from_server'), ''), ...choices);
  select.value = value;
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
  const had = Boolean(state.boundary);
  state.boundary = ring && ring.length >= 3 ? ring : null;
  if (!state.pin && state.boundary && !had) suggestAdmin(); // the first closed boundary places a plot with no pin
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
  await saveDraft('new', { fields: formValues(), pin: state.pin, boundary: state.boundary, track: state.track,
    cornerAccuracy: state.cornerAccuracy, editing: state.editing });
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
  state.editing = draft.editing ?? null;
  renderEditing();
  suggestAdmin(draft.fields?.adm3);
}

/**
 * The record as the form, pin and boundary hold it: { body, crs }. Geometry is in WGS 84
 * lon/lat here; `crs` is the typed pin's CRS, into which the geometry goes before sending.
 * Throws a message for the officer when something cannot be saved.
 */
function recordFromForm() {
  if (!state.pin && !state.boundary && !state.editing?.keepBoundary) throw new Error(t('need_pin_or_boundary'));
  if (state.boundary && selfIntersections(state.boundary).length > 0) throw new Error(t('crossings', { n: selfIntersections(state.boundary).length }));
  const v = formValues();
  const text = (name) => v[name].trim() || null;
  if (text('declared_area_rai')) parseRaiNganWa(v.declared_area_rai); // throws its own message
  const body = {
    program: v.program, stage: v.stage, deed_type: v.deed_type,
    name: text('name'), owner_name: text('owner_name'), owner_phone: text('owner_phone'), deed_no: text('deed_no'),
    village_no: v.village_no ? Number(v.village_no) : null,
    notes: text('notes'),
    budget_year: v.budget_year_be ? Number(v.budget_year_be) - BE_OFFSET : null, // typed in BE, stored in CE
    declared_area_rai: text('declared_area_rai'),
  };
  // The subdistrict chosen (or found from the location); its district and province are its code's prefixes.
  const adm3 = v.adm3 || state.editing?.base.adm3 || null;
  Object.assign(body, adm3 ? { adm1: adm3.slice(0, 2), adm2: adm3.slice(0, 4), adm3 } : { adm1: null, adm2: null, adm3: null });
  const p = state.pin;
  // A pin typed here goes as typed (p.crs); one from GPS, the map or the stored record in lon/lat.
  body.pin = p ? { type: 'Point', coordinates: p.crs ? p.coordinates : [p.lon, p.lat] } : null;
  if (p && !p.crs && p.accuracy) body.pin_accuracy_m = Math.round(p.accuracy * 10) / 10;
  if (p) body.pin_source = p.source;
  if (state.boundary) body.boundary = { type: 'Polygon', coordinates: [[...state.boundary, state.boundary[0]]] };
  else if (!state.editing?.keepBoundary) body.boundary = null;
  return { body, crs: p?.crs ?? null };
}

/**
 * One CRS per request: with a typed pin, the values go as typed (for the server's PROJ) and
 * drawn corners in that CRS too (proj4 here, the server's PROJ back: the same datum shift).
 */
async function inTypedCrs(body, crs) {
  if (!crs) return body;
  const out = { ...body, crs };
  if (body.boundary) out.boundary = { type: 'Polygon', coordinates: [await Promise.all(body.boundary.coordinates[0].map((c) => fromLonLat(crs, c)))] };
  return out;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const message = $('save-message');
  let record;
  try {
    record = recordFromForm();
  } catch (e) {
    show(message, e.message, false);
    return;
  }
  const editing = state.editing;
  let uid;
  let op;
  if (editing) {
    // Only what the officer changed goes (a merge patch): what others changed meanwhile stays.
    const patch = editPatch(editing.base, record.body);
    if (patch.pin !== undefined && record.body.pin_source) {
      patch.pin_source = record.body.pin_source;
      if (record.body.pin_accuracy_m) patch.pin_accuracy_m = record.body.pin_accuracy_m;
    }
    if (patch.boundary && state.track) patch.track = state.track;
    if (Object.keys(patch).length === 0) {
      show(message, t('nothing_changed'), true);
      return;
    }
    uid = editing.uid;
    op = { kind: 'edit', plot: uid, plotId: editing.id, baseVersion: editing.version, code: editing.code,
      base: Object.fromEntries(Object.keys(patch).map((f) => [f, editing.base[f] ?? null])),
      body: await inTypedCrs(patch, patch.pin ? record.crs : null) };
  } else {
    const body = { uid: crypto.randomUUID() };
    for (const [k, v] of Object.entries(record.body)) if (v !== null) body[k] = v;
    if (state.boundary && state.track) body.track = state.track; // the raw walk, kept in the plot's history
    uid = body.uid;
    const at = state.pin ? [state.pin.lon, state.pin.lat] : centroid(state.boundary);
    op = { kind: 'create', plot: uid, at, body: await inTypedCrs(body, record.crs) };
  }
  if (!await queue([op], message)) return; // the form keeps everything typed
  await dropDraft('new');
  clearForm();
  show(message, t('saved_offline'), true);
  const sent = await sync();
  const done = sent?.confirmed?.find((c) => c.plot === uid);
  if (done) show(message, t('saved_sent', { code: done.code ?? done.id }), true);
});

/**
 * Puts operations in the outbox, all or none; when the phone's storage refuses them, says so
 * and answers false: nothing on the screen is cleared, so nothing typed is lost.
 */
async function queue(ops, message) {
  try {
    await outbox.addAll(ops);
    return true;
  } catch (e) {
    show(message, e?.name === 'QuotaExceededError' ? t('storage_full') : t('storage_failed', { detail: e?.message ?? e }), false);
    return false;
  }
}

function clearForm() {
  form.reset();
  state.pin = null;
  state.marker?.remove();
  state.marker = null;
  state.editor?.clear();
  state.boundary = null;
  state.track = null;
  state.cornerAccuracy = {};
  state.editing = null;
  form.elements.adm3.replaceChildren(new Option(t('adm_from_server'), ''));
  $('draw-hint').hidden = true;
  renderPin();
  renderEditing();
}

function centroid(ring) {
  return ring ? [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length] : null;
}

// ---- an existing plot: edited in the same form ----------------------------------------------

/**
 * The plot as the officer last left it: the server's record with what still waits on the phone
 * for it laid over (edits, stage changes), so a second edit starts from the first. Geometry
 * typed in another CRS stays the server's until it is sent.
 */
async function withPending(plot) {
  const ops = (await outbox.pending()).filter((o) => o.plot === plot.uid);
  let out = plot;
  for (const o of ops) {
    if (o.kind === 'edit') {
      const { crs, track, ...fields } = o.body;
      if (crs && crs !== 'EPSG:4326') {
        delete fields.pin;
        delete fields.boundary;
      }
      out = { ...out, ...fields };
    } else if (o.kind === 'progress') {
      out = { ...out, stage: o.body.stage };
    }
  }
  return out;
}

/** Opens the plot's record in the form (its pin on the map, its boundary in the editor). */
async function editPlot(shown) {
  const plot = await withPending(shown);
  clearForm();
  state.editing = { uid: plot.uid, id: plot.id, version: plot.version, code: plot.code ?? '', base: editableValues(plot),
    keepBoundary: plot.boundary?.type === 'MultiPolygon' };
  const f = form.elements;
  for (const name of ['program', 'name', 'owner_name', 'owner_phone', 'village_no', 'deed_type', 'deed_no', 'declared_area_rai', 'stage', 'notes']) {
    f[name].value = plot[name] ?? '';
  }
  f.budget_year_be.value = plot.budget_year ? plot.budget_year + BE_OFFSET : '';
  if (plot.pin) {
    const [lon, lat] = plot.pin.coordinates;
    state.pin = { lon, lat, accuracy: plot.pin_accuracy_m ?? null, source: plot.pin_source ?? 'map' };
    placeMarker([lon, lat], true);
  }
  if (plot.boundary?.type === 'Polygon') {
    state.boundary = plot.boundary.coordinates[0].slice(0, -1);
    state.editor?.edit(state.boundary);
  }
  renderPin();
  renderEditing();
  renderArea();
  suggestAdmin(plot.adm3);
  selectTab('new');
  keepDraft();
}

function renderEditing() {
  $('editing').hidden = !state.editing;
  if (state.editing) $('editing-title').textContent = t('editing', { code: state.editing.code });
}

$('edit-cancel').addEventListener('click', async () => {
  clearForm();
  await dropDraft('new');
  renderArea();
});

// ---- a plot's page: what it is, its timeline, progress with photos ---------------------------

/** Plots saved on this phone and not yet on the server, as the list shows them. */
function pendingPlots(ops) {
  return ops.filter((o) => o.kind === 'create' && o.at).map((o) => ({
    uid: o.plot, code: t('not_sent_yet'), name: o.body.name ?? null, stage: o.body.stage, pin: { type: 'Point', coordinates: o.at },
    owner_name: o.body.owner_name ?? null, version: undefined, pending: true,
  }));
}

async function openPlot(plot) {
  state.current = plot;
  state.picked = [];
  $('progress-form').hidden = true;
  $('progress-open').hidden = false;
  $('plot-edit').hidden = Boolean(plot.pending);
  $('plot-title').textContent = `${plot.pending ? '' : plot.code}${plot.name ? `${plot.pending ? '' : ' · '}${plot.name}` : ''}` || plot.code;
  renderPlotFacts();
  renderReview();
  selectTab('plot');
  const draft = await loadDraft(`progress:${plot.uid}`);
  if (draft) openProgress(draft); // a progress entry this phone had not finished
  renderTimeline();
}

function renderPlotFacts() {
  const p = state.current;
  if (!p) return;
  $('plot-facts').textContent = [
    p.pending ? t('not_sent_yet') : null,
    stageName(p.stage),
    p.owner_name,
    p.area_rai ? `${p.area_rai} ${t('rai_ngan_wa')}` : null,
    [p.adm3_name, p.adm2_name, p.adm1_name].filter(Boolean).join(', ') || null,
    p.version ? t('version', { v: p.version }) : null,
  ].filter(Boolean).join(' · ');
}

// ---- verification: where the plot stands, sending it to the supervisor, plots sent back ----

/** The plot's review state, why it was sent back, and the button that submits it. */
async function renderReview() {
  const p = state.current;
  if (!p) return;
  const reviewState = p.review_state ?? 'unchecked';
  const waiting = (await outbox.pending()).some((o) => o.kind === 'review' && o.plot === p.uid);
  $('review-pill').textContent = waiting ? t('review_queued') : t(`review_${reviewState}`);
  $('review-pill').dataset.state = waiting ? 'submitted' : reviewState;
  $('review-submit').hidden = Boolean(p.pending) || waiting || !['unchecked', 'needs_fix'].includes(reviewState);
  $('review-reasons').hidden = true;
  if (!waiting && $('review-message').classList.contains('ok')) $('review-message').hidden = true; // sent: the pill says so
  if (reviewState !== 'needs_fix' || p.id === undefined) return;
  const sent = state.sentBack.find((s) => s.id === p.id);
  const reasons = sent?.review?.reasons ?? (await get(`/api/v1/plots/${p.id}/review`).catch(() => null))?.steps?.at(-1)?.reasons;
  if (!reasons || state.current?.uid !== p.uid) return;
  $('review-reasons').replaceChildren(...Object.entries(reasons).map(([item, why]) => {
    const li = document.createElement('li');
    li.textContent = `${t(`reason_${item}`)}: ${why}`;
    return li;
  }));
  $('review-reasons').hidden = false;
}

$('review-submit').addEventListener('click', async () => {
  const p = state.current;
  $('review-submit').disabled = true;
  try {
    const op = { kind: 'review', plot: p.uid, plotId: p.id, baseVersion: p.version, code: p.code, body: { action: 'submit' } };
    if (await queue([op], $('review-message'))) {
      show($('review-message'), t('review_sent'), true);
      sync();
    }
  } finally {
    $('review-submit').disabled = false;
  }
  renderReview();
});

/** Plots the supervisor sent back to this officer's area, with why (needs a signal). */
async function loadSentBack() {
  try {
    state.sentBack = (await get('/api/v1/reviews?state=needs_fix&limit=200')).plots;
  } catch {
    return; // offline: the last list stays
  }
  $('sent-back').hidden = state.sentBack.length === 0;
  $('sent-back-title').textContent = t('sent_back_title', { n: state.sentBack.length });
  $('sent-back-list').replaceChildren(...state.sentBack.map((s) => {
    const li = document.createElement('li');
    li.dataset.id = s.id;
    const what = document.createElement('strong');
    what.textContent = `${s.code}${s.name ? ` · ${s.name}` : ''}`;
    const why = document.createElement('small');
    why.textContent = Object.entries(s.review?.reasons ?? {}).map(([item, text]) => `${t(`reason_${item}`)}: ${text}`).join(' · ');
    li.append(what, why);
    li.addEventListener('click', async () => {
      try {
        openPlot(await get(`/api/v1/plots/${s.id}`));
      } catch {
        // gone meanwhile
      }
    });
    return li;
  }));
}

$('plot-back').addEventListener('click', () => selectTab('near'));
$('plot-edit').addEventListener('click', () => editPlot(state.current));
$('progress-open').addEventListener('click', () => openProgress(null));
$('progress-cancel').addEventListener('click', async () => {
  await dropDraft(`progress:${state.current.uid}`);
  state.picked = [];
  $('progress-form').hidden = true;
  $('progress-open').hidden = false;
});

const progressForm = $('progress-form');

function todayText() {
  const [y, m, d] = thaiDayOf(new Date()).split('-');
  return language() === 'th' ? `${Number(d)}/${Number(m)}/${Number(y) + BE_OFFSET}` : `${Number(d)}/${Number(m)}/${y}`;
}

function openProgress(draft) {
  fillSelect(progressForm.elements.stage, state.stages, stageName);
  progressForm.elements.stage.value = draft?.stage ?? state.current.stage;
  progressForm.elements.date.value = draft?.date ?? todayText();
  progressForm.elements.note.value = draft?.note ?? '';
  state.picked = draft?.photos ?? [];
  $('progress-message').hidden = true;
  $('progress-form').hidden = false;
  $('progress-open').hidden = true;
  renderDay();
  renderPicked();
}

function renderDay() {
  try {
    const day = parseDay(progressForm.elements.date.value, { today: thaiDayOf(new Date()) });
    $('progress-day').textContent = formatDay(day, language());
    $('progress-day').className = 'muted';
  } catch (e) {
    $('progress-day').textContent = e instanceof DateError ? t(`err_date_${e.code}`) : e.message;
    $('progress-day').className = 'muted error-text';
  }
}

/** The progress entry as typed so far, with its photos, kept on the phone at every change. */
async function keepProgressDraft() {
  const f = progressForm.elements;
  await saveDraft(`progress:${state.current.uid}`, { stage: f.stage.value, date: f.date.value, note: f.note.value, photos: state.picked });
}
progressForm.addEventListener('input', () => {
  renderDay();
  keepProgressDraft();
});

$('photo-input').addEventListener('change', async (ev) => {
  const files = [...ev.target.files];
  ev.target.value = '';
  const fix = await captureFix(state.position); // where the officer stands as the photos are taken
  const takenAt = localTime();
  const refused = [];
  for (const file of files) {
    try {
      const small = await downsize(file);
      state.picked.push({
        uid: crypto.randomUUID(), blob: small.blob, width: small.width, height: small.height, taken_at: takenAt,
        location: fix ? [fix.lon, fix.lat] : null, accuracy_m: fix ? Math.round(fix.accuracy * 10) / 10 : null,
      });
    } catch (e) {
      refused.push(t(e instanceof PhotoError ? `err_photo_${e.code}` : 'err_photo_not_image', { name: file.name }));
    }
  }
  if (refused.length) show($('progress-message'), refused.join(' '), false);
  else $('progress-message').hidden = true;
  renderPicked();
  keepProgressDraft();
});

function photoItem(src, caption, stateClass) {
  const li = document.createElement('li');
  if (stateClass) li.className = stateClass;
  const img = document.createElement('img');
  img.src = src;
  img.alt = caption;
  img.loading = 'lazy';
  const small = document.createElement('small');
  small.textContent = caption;
  li.append(img, small);
  return li;
}

function renderPicked() {
  const list = $('photo-picked');
  for (const img of list.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  list.replaceChildren(...state.picked.map((ph, i) => {
    const li = photoItem(URL.createObjectURL(ph.blob), ph.location ? t('photo_fix', { m: Math.round(ph.accuracy_m ?? 0) }) : t('photo_no_fix'));
    const drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'secondary drop';
    drop.textContent = '×';
    drop.setAttribute('aria-label', t('remove_photo'));
    drop.addEventListener('click', () => {
      state.picked.splice(i, 1);
      renderPicked();
      keepProgressDraft();
    });
    li.append(drop);
    return li;
  }));
}

progressForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = progressForm.elements;
  const plot = state.current;
  let day;
  try {
    day = parseDay(f.date.value, { today: thaiDayOf(new Date()) });
  } catch (e) {
    show($('progress-message'), e instanceof DateError ? t(`err_date_${e.code}`) : e.message, false);
    return;
  }
  // The event first (it changes the stage), then each photo linked to it: every one its own
  // outbox operation with its own key, so a weak signal sends what it can and loses nothing.
  const event = { uid: crypto.randomUUID(), stage: f.stage.value, date: day };
  if (f.note.value.trim()) event.note = f.note.value.trim();
  const ops = [{ kind: 'progress', plot: plot.uid, plotId: plot.id, baseVersion: plot.version, code: plot.code,
    base: { stage: plot.stage }, body: event }];
  for (const ph of state.picked) {
    const meta = { uid: ph.uid, taken_at: ph.taken_at, stage: event.stage, progress_uid: event.uid };
    if (ph.location) Object.assign(meta, { location: ph.location, accuracy_m: ph.accuracy_m });
    ops.push({ kind: 'photo', plot: plot.uid, plotId: plot.id, code: plot.code, file: ph.blob, body: meta });
  }
  if (!await queue(ops, $('progress-message'))) return;
  await dropDraft(`progress:${plot.uid}`);
  state.picked = [];
  renderPicked();
  $('progress-form').hidden = true;
  $('progress-open').hidden = false;
  show($('timeline-note'), t('progress_saved'), true);
  await renderTimeline();
  await sync();
});

/** The plot's timeline: what waits on this phone first (with each photo's state), then what
 * the server has, newest first. Offline, the last copy the phone saw (or only what waits). */
async function renderTimeline() {
  const plot = state.current;
  if (!plot || $('tab-plot').hidden) return;
  const ops = (await outbox.pending()).filter((o) => o.plot === plot.uid && o.kind !== 'create');
  const items = ops.map((o) => {
    const li = document.createElement('li');
    li.className = `pending ${o.state}`;
    const head = document.createElement('span');
    head.className = 'what';
    const stateWord = o.state === 'waiting' ? (o.attempts ? t('no_signal', { n: o.attempts }) : t('state_waiting')) : t(`state_${o.state}`);
    if (o.kind === 'progress') head.textContent = `${formatDay(o.body.date, language())} · ${stageName(o.body.stage)}${o.body.note ? ` · ${o.body.note}` : ''}`;
    else if (o.kind === 'edit') head.textContent = `${t('op_edit')}: ${Object.keys(o.body).filter((k) => k !== 'crs').map(fieldName).join(', ')}`;
    else head.textContent = t('op_photo');
    li.append(head);
    if (o.kind === 'photo') {
      const photos = document.createElement('ol');
      photos.className = 'photos';
      photos.append(photoItem(URL.createObjectURL(o.file), stateWord, o.state));
      li.append(photos);
    } else {
      const st = document.createElement('small');
      st.textContent = stateWord;
      li.append(st);
    }
    return li;
  });
  let note = null;
  if (plot.id === undefined) {
    note = t('timeline_after_send');
  } else {
    try {
      const { entries } = await get(`/api/v1/plots/${plot.id}/timeline`);
      items.push(...entries.slice().reverse().map(timelineItem));
    } catch {
      note = t('timeline_offline');
    }
  }
  if (state.current !== plot) return; // another plot was opened meanwhile
  $('timeline').replaceChildren(...items);
  if (note) show($('timeline-note'), note, true);
  else if ($('timeline-note').classList.contains('ok') && !/progress/.test($('timeline-note').dataset.kind ?? '')) $('timeline-note').hidden = true;
}

function fieldName(field) {
  const key = { name: 'plot_name', declared_area_rai: 'declared_area', budget_year: 'budget_year', pin: 'field_pin', boundary: 'field_boundary' }[field] ?? field;
  return t(key);
}

function timelineItem(e) {
  const li = document.createElement('li');
  const head = document.createElement('span');
  head.className = 'what';
  const day = formatDay(thaiDayOf(e.at), language());
  if (e.kind === 'progress') {
    head.textContent = `${day} · ${e.stage_from && e.stage_from !== e.stage_to ? `${stageName(e.stage_from)} → ` : ''}${stageName(e.stage_to)}${e.note ? ` · ${e.note}` : ''}`;
  } else if (e.kind === 'photo') {
    head.textContent = `${day} · ${t('op_photo')}`;
  } else if (e.kind === 'review') {
    const step = e.details.review;
    const reasons = Object.entries(step.reasons ?? {}).map(([item, why]) => `${t(`reason_${item}`)}: ${why}`).join('; ');
    head.textContent = [day, t(`review_step_${step.action}`), reasons, step.note].filter(Boolean).join(' · ');
  } else {
    const changed = e.changes && e.kind !== 'created' ? Object.keys(e.changes).filter((k) => EDIT_FIELDS.includes(k)).map(fieldName).join(', ') : '';
    head.textContent = `${day} · ${t(`kind_${e.kind}`)}${changed ? `: ${changed}` : ''}`;
  }
  li.append(head);
  const photos = e.kind === 'photo' ? [e.photo ?? e] : e.photos ?? [];
  if (photos.length) {
    const list = document.createElement('ol');
    list.className = 'photos';
    list.append(...photos.filter((ph) => ph.links?.thumbnail).map((ph) => photoItem(ph.links.thumbnail, t('state_sent'), 'sent')));
    li.append(list);
  }
  if (e.by) {
    const by = document.createElement('small');
    by.textContent = typeof e.by === 'string' ? e.by : e.by.username ?? '';
    li.append(by);
  }
  return li;
}

// ---- conflicts: someone else changed the plot first ----------------------------------------

let conflictOpen = null; // { op, server, rows, choice }

async function openConflict(op) {
  let server;
  try {
    server = await get(`/api/v1/plots/${op.plotId}`);
  } catch (e) {
    show($('footer-message'), e.message, false);
    return;
  }
  const patch = op.kind === 'progress' ? { stage: op.body.stage } : op.body;
  const rows = conflictRows(patch, op.base, server).filter((r) => r.field !== 'crs' && r.field !== 'track');
  conflictOpen = { op, server, rows, choice: Object.fromEntries(rows.map((r) => [r.field, r.clash ? null : 'mine'])) };
  $('conflict-title').textContent = t('conflict_title', { code: op.code ?? server.code });
  renderConflict();
  $('conflict').hidden = false;
  $('conflict').scrollIntoView();
}

function shownValue(field, v) {
  if (v === null || v === undefined || v === '') return '–';
  if (field === 'pin') return `${v.coordinates[1].toFixed(6)}, ${v.coordinates[0].toFixed(6)}`;
  if (field === 'boundary') return t('boundary_corners', { n: (v.coordinates?.[0]?.length ?? 1) - 1 });
  if (field === 'stage') return stageName(v);
  if (field === 'budget_year') return String(v + BE_OFFSET);
  if (field === 'deed_type') return t(`deed_${v}`);
  return String(v);
}

function renderConflict() {
  const c = conflictOpen;
  $('conflict-fields').tBodies[0].replaceChildren(...c.rows.map((r) => {
    const tr = document.createElement('tr');
    if (r.clash) tr.className = 'clash';
    const name = document.createElement('th');
    name.textContent = fieldName(r.field);
    tr.append(name);
    for (const side of ['mine', 'theirs']) {
      const td = document.createElement('td');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'choice';
      b.dataset.field = r.field;
      b.dataset.side = side;
      b.setAttribute('aria-pressed', String(c.choice[r.field] === side));
      b.textContent = shownValue(r.field, side === 'mine' ? r.mine : r.theirs);
      b.addEventListener('click', () => {
        c.choice[r.field] = side;
        renderConflict();
      });
      td.append(b);
      tr.append(td);
    }
    return tr;
  }));
  const undecided = c.rows.filter((r) => !c.choice[r.field]).length;
  $('conflict-save').disabled = undecided > 0;
  if (undecided) show($('conflict-message'), t('conflict_choose', { n: undecided }), false);
  else $('conflict-message').hidden = true;
}

function chooseAll(side) {
  for (const r of conflictOpen.rows) conflictOpen.choice[r.field] = side;
  renderConflict();
}
$('conflict-mine').addEventListener('click', () => chooseAll('mine'));
$('conflict-theirs').addEventListener('click', () => chooseAll('theirs'));
$('conflict-save').addEventListener('click', async () => {
  const { op, server, choice } = conflictOpen;
  await resolveConflict(op, server, choice);
  conflictOpen = null;
  $('conflict').hidden = true;
  await sync();
});

/**
 * Sends the operation again on the server's version with what the officer chose. An edit whose
 * every field went to the server's value has nothing left to send; a progress event is never
 * dropped (its day, note and photos stay), only its stage can follow the server's.
 */
async function resolveConflict(op, server, choice) {
  if (op.kind === 'review') { // a submission asks nothing of the plot's fields: it goes on the new version
    await outbox.resolve(op.key, { body: op.body, baseVersion: server.version, base: {} });
    return;
  }
  if (op.kind === 'progress') {
    const body = { ...op.body, stage: choice.stage === 'theirs' ? server.stage : op.body.stage };
    await outbox.resolve(op.key, { body, baseVersion: server.version, base: { stage: server.stage } });
    return;
  }
  const body = resolvedPatch(op.body, choice);
  if (body.crs && !body.pin && !body.boundary) delete body.crs;
  if (body.pin_source && !body.pin) {
    delete body.pin_source;
    delete body.pin_accuracy_m;
  }
  if (body.track && !body.boundary) delete body.track;
  if (Object.keys(body).filter((k) => k !== 'crs').length === 0) await outbox.discard(op.key);
  else await outbox.resolve(op.key, { body, baseVersion: server.version, base: editableValues(server) });
}

/** A conflict where the server changed only other fields (or the same to the same values) is
 * no conflict: sent again on the server's version without asking. */
async function settleConflicts() {
  let settled = 0;
  for (const op of await outbox.pending()) {
    if (op.state !== 'conflict' || op.plotId === undefined) continue;
    let server;
    try {
      server = await get(`/api/v1/plots/${op.plotId}`);
    } catch {
      return settled;
    }
    const patch = op.kind === 'progress' ? { stage: op.body.stage } : op.kind === 'review' ? {} : op.body;
    if (conflictRows(patch, op.base, server).some((r) => r.clash && r.field !== 'crs' && r.field !== 'track')) continue;
    await resolveConflict(op, server, {});
    settled += 1;
  }
  return settled;
}

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
    // The session ended (expired, or ended elsewhere): sign in again; everything waiting stays
    // in the outbox and goes with the new session.
    localStorage.removeItem('plotmap.session');
    state.session = null;
    setCsrf(null);
    showSignIn();
    show($('sign-in-message'), t('signed_out_keep'), false);
    await renderOutbox();
    return { ...result, confirmed: [] };
  }
  if (result.conflicts > 0 && await settleConflicts() > 0) result = await outbox.sync();
  if (result.sent > 0) {
    const plots = state.map?.getSource('plots');
    if (plots?.tiles) plots.setTiles(plots.tiles); // fetch the plot tiles again: the new plot shows
    loadPlots();
  }
  await renderOutbox();
  if (result.sent > 0) {
    refreshCurrent();
    loadSentBack();
  }
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
  state.pendingPlots = pendingPlots(ops);
  renderPlots();
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
    what.textContent = `${t(`op_${o.kind}`)}: ${o.kind === 'create' ? o.body?.name ?? o.body?.owner_name ?? o.plot.slice(0, 8) : o.code ?? o.plotId}`;
    const st = document.createElement('span');
    st.className = 'state';
    // A refusal says why (the server's words); a wait says how often it was tried.
    st.textContent = o.state === 'waiting'
      ? (o.attempts ? t('no_signal', { n: o.attempts }) : t('state_waiting'))
      : [t(`state_${o.state}`), refusalWords(o.lastStatus), o.lastError].filter(Boolean).join(' · ');
    li.append(what, st);
    if (o.state === 'conflict') li.append(outboxAction(t('resolve'), () => openConflict(o)));
    if (o.state === 'failed') {
      // Two taps: a refused operation the officer cannot fix (a photo the server will not take)
      // would otherwise hold the plot's queue for ever.
      const b = outboxAction(t('discard'), async () => {
        if (b.dataset.armed !== '1') {
          b.dataset.armed = '1';
          b.textContent = t('discard_confirm');
          return;
        }
        await outbox.discard(o.key);
        renderOutbox();
        sync();
      });
      li.append(b);
    }
    return li;
  }));
}

/** What a refusal means, in the officer's language; the server's own words follow it. */
function refusalWords(status) {
  const key = `refused_${status}`;
  return status && t(key) !== key ? t(key) : null;
}

function outboxAction(label, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** After a sync, the open plot's page shows what the server now has. */
async function refreshCurrent() {
  const p = state.current;
  if (!p || $('tab-plot').hidden) return;
  const id = p.id ?? confirmed.find((c) => c.plot === p.uid)?.id;
  if (id === undefined) return renderTimeline();
  try {
    const fresh = await get(`/api/v1/plots/${id}`);
    if (state.current?.uid === fresh.uid) state.current = fresh;
    renderPlotFacts();
    renderReview();
  } catch {
    // the timeline says it is offline
  }
  return renderTimeline();
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
