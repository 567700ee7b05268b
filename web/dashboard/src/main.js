// The dashboard (/dashboard/): the programme's progress for the signed-in user's scope, from
// the country down to subdistricts: totals, a choropleth of the share of plots at or past a
// chosen stage (numbers joined to plotmap's admin tiles by feature-state, never baked in), the
// same numbers in a table, and stages per area as a stacked bar chart. Click a row or an area
// to go down; the breadcrumbs go back up. The view is kept in the URL.
import 'maplibre-gl/dist/maplibre-gl.css';
import './dashboard.css';
import maplibregl from 'maplibre-gl';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { NO_PLOTS, SHARE_STEPS, levelUnder, rai, reached, reachedShare, shareExpression } from './numbers.js';
import { language, setLanguage, t } from './words.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const $ = (id) => document.getElementById(id);
const THAILAND = [[97.3, 5.6], [105.7, 20.5]];
const STAGE_COLOURS = ['#bdbdbd', '#8d6e63', '#66bb6a', '#1b5e20', '#1565c0', '#6a1b9a'];
const BE = 543;

const state = {
  session: null,
  path: [], // [{ code, name_th, name_en }] from the country down to the area shown
  stats: null,
  programs: [],
  stages: [],
  map: null,
  chart: null,
  shown: [], // codes with feature-state set
  layersReady: false,
  areaBounds: null, // the area shown, to keep it in view when the map is resized
  layerMinZoom: {}, // adm1..adm3: the zoom from which the admin tiles carry each level
};
window.plotmapDashboard = state; // for the tests

async function api(url, options = {}) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json', ...options.headers }, ...options });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.detail ?? `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

const nameOf = (row) => (language() === 'th' ? row.name_th : row.name_en);
const stageName = (s) => (t(`stage_${s}`) === `stage_${s}` ? s : t(`stage_${s}`));
const number = (n) => n.toLocaleString(language() === 'th' ? 'th-TH' : 'en-GB');

// ---- the view in the URL ---------------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.search);
  const f = $('filters').elements;
  for (const name of ['program', 'stage', 'reached']) if (q.get(name)) f[name].value = q.get(name);
  if (q.get('budget_year')) f.budget_year_be.value = Number(q.get('budget_year')) + BE;
  const area = q.get('area');
  return area && /^\d{2}(\d{2})?$/.test(area) ? area : null; // a province or district code, else the top
}

function writeUrl() {
  const q = new URLSearchParams();
  const f = $('filters').elements;
  const area = state.path.at(-1)?.code;
  if (area) q.set('area', area);
  for (const name of ['program', 'stage', 'reached']) if (f[name].value) q.set(name, f[name].value);
  if (f.budget_year_be.value) q.set('budget_year', Number(f.budget_year_be.value) - BE);
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
}

// ---- loading -----------------------------------------------------------------------------------

async function load() {
  const parent = state.path.at(-1)?.code;
  const f = $('filters').elements;
  const q = new URLSearchParams({ by: `adm${levelUnder(parent)}` });
  if (parent) q.set('parent', parent);
  if (f.program.value) q.set('program', f.program.value);
  if (f.stage.value) q.set('stage', f.stage.value);
  if (f.budget_year_be.value) q.set('budget_year', String(Number(f.budget_year_be.value) - BE));
  try {
    state.stats = await api(`/api/v1/stats?${q}`);
    $('message').hidden = true;
  } catch (e) {
    $('message').textContent = t('load_failed', { detail: e.message });
    $('message').hidden = false;
    return;
  }
  writeUrl();
  render();
}

/** Goes down into an area (a row of the current level), unless it is a subdistrict. */
function drill(row) {
  if (!row.code || row.code.length >= 6) return;
  state.path.push({ code: row.code, name_th: row.name_th, name_en: row.name_en });
  load().then(fitArea);
}

/** Opens on an area given by its code (from the URL), naming each level on the way. */
async function openArea(code) {
  state.path = [];
  for (let len = 2; code && len <= Math.min(code.length, 4); len += 2) {
    const part = code.slice(0, len);
    const level = len / 2;
    try {
      const found = await api(`/collections/adm${level}/items?limit=1&filter=${encodeURIComponent(`code = '${part}'`)}`);
      const p = found.features?.[0]?.properties;
      if (!p) break;
      state.path.push({ code: part, name_th: p.name_th, name_en: p.name_en });
    } catch {
      break;
    }
  }
}

// ---- drawing -----------------------------------------------------------------------------------

function render() {
  const { stats } = state;
  if (!stats) return;
  const reachedStage = $('filters').elements.reached.value || state.stages.at(-1);
  renderCrumbs();
  renderTotals(stats.total, reachedStage);
  renderTable(stats, reachedStage);
  renderChart(stats);
  renderMap(stats, reachedStage);
}

function renderCrumbs() {
  const crumbs = [{ code: null, name_th: t('country'), name_en: t('country') }, ...state.path];
  $('crumbs').replaceChildren(...crumbs.map((c, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'crumb';
    b.textContent = i === 0 ? t('country') : nameOf(c);
    b.disabled = i === crumbs.length - 1;
    b.addEventListener('click', () => {
      state.path = state.path.slice(0, i);
      load().then(fitArea);
    });
    return b;
  }));
}

function card(label, value, id) {
  const div = document.createElement('div');
  div.className = 'card';
  if (id) div.id = id;
  const v = document.createElement('strong');
  v.textContent = value;
  const l = document.createElement('span');
  l.textContent = label;
  div.append(v, l);
  return div;
}

function renderTotals(total, reachedStage) {
  const share = reachedShare(total, state.stages, reachedStage);
  $('totals').replaceChildren(
    card(t('plots'), number(total.plots), 'total-plots'),
    card(t('area_rai'), number(rai(total.area_m2))),
    card(t('mean_rai'), total.with_boundary ? number(rai(total.area_m2 / total.with_boundary)) : '–'),
    card(t('with_boundary'), number(total.with_boundary)),
    card(t('reached', { stage: stageName(reachedStage) }), share === null ? '–' : `${Math.round(share * 100)}%`),
    ...state.stages.map((s) => card(stageName(s), number(total.by_stage[s] ?? 0), `stage-${s}`)),
  );
}

function renderTable(stats, reachedStage) {
  const head = document.createElement('tr');
  for (const label of [t('area'), t('plots'), t('area_rai'), t('with_boundary'), ...state.stages.map(stageName), t('reached', { stage: stageName(reachedStage) })]) {
    const th = document.createElement('th');
    th.textContent = label;
    head.append(th);
  }
  $('rows').tHead.replaceChildren(head);
  // Most plots first; areas without any after them, in code order; plots without an area last.
  const rows = [...stats.rows].sort((a, b) => (!a.code) - (!b.code) || b.plots - a.plots || a.code.localeCompare(b.code));
  $('rows').tBodies[0].replaceChildren(...rows.map((row) => {
    const tr = document.createElement('tr');
    tr.dataset.code = row.code ?? '';
    if (row.code && row.code.length < 6) {
      tr.className = 'drill';
      tr.tabIndex = 0;
      tr.addEventListener('click', () => drill(row));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') drill(row); });
    }
    const share = reachedShare(row, state.stages, reachedStage);
    const cells = [nameOf(row), number(row.plots), number(rai(row.area_m2)), number(row.with_boundary),
      ...state.stages.map((s) => number(row.by_stage[s] ?? 0)), share === null ? '–' : `${Math.round(share * 100)}%`];
    for (const [i, text] of cells.entries()) {
      const td = document.createElement('td');
      td.textContent = text;
      if (i > 0) td.className = 'num';
      tr.append(td);
    }
    return tr;
  }));
}

function renderChart(stats) {
  const rows = stats.rows.filter((r) => r.plots > 0).sort((a, b) => b.plots - a.plots).slice(0, 25);
  const data = {
    labels: rows.map(nameOf),
    datasets: state.stages.map((s, i) => ({ label: stageName(s), data: rows.map((r) => r.by_stage[s] ?? 0),
      backgroundColor: STAGE_COLOURS[i % STAGE_COLOURS.length] })),
  };
  if (state.chart) {
    state.chart.data = data;
    state.chart.update();
    return;
  }
  state.chart = new Chart($('stages-chart'), {
    type: 'bar',
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}

function startMap() {
  const map = new maplibregl.Map({
    container: 'map',
    bounds: THAILAND,
    attributionControl: { compact: true },
    style: {
      version: 8,
      sources: { admin: { type: 'vector', url: `${location.origin}/tiles/admin.json`, promoteId: { adm1: 'code', adm2: 'code', adm3: 'code' } } },
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f1e8' } }],
    },
  });
  state.map = map;
  // The attribution folded to its (i) button: open, it covers the legend on a phone.
  map.once('idle', () => map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show'));
  map.on('load', () => {
    for (const level of [1, 2, 3]) {
      map.addLayer({ id: `areas-${level}`, type: 'fill', source: 'admin', 'source-layer': `adm${level}`,
        layout: { visibility: 'none' }, paint: { 'fill-color': shareExpression(), 'fill-opacity': 0.85 } });
      map.addLayer({ id: `lines-${level}`, type: 'line', source: 'admin', 'source-layer': `adm${level}`,
        layout: { visibility: 'none' }, paint: { 'line-color': '#555', 'line-width': 0.8 } });
      map.on('click', `areas-${level}`, (e) => {
        const code = e.features?.[0]?.properties?.code;
        const row = state.stats?.rows.find((r) => r.code === code);
        if (row) drill(row);
      });
      map.on('mouseenter', `areas-${level}`, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', `areas-${level}`, () => { map.getCanvas().style.cursor = ''; });
    }
    state.layersReady = true;
    render();
    fitArea();
  });
  // A phone turned, a window resized: the area shown stays in view.
  map.on('resize', () => showBounds(state.areaBounds));
  api('/tiles/admin.json').then((tj) => {
    for (const l of tj.vector_layers ?? []) state.layerMinZoom[l.id] = l.minzoom ?? 0;
    showBounds(state.areaBounds);
  }).catch(() => {});
}

/** The numbers onto the map: the level's areas shown (only those in the table), each coloured by its feature-state. */
function renderMap(stats, reachedStage) {
  const map = state.map;
  if (!state.layersReady) return; // renders again once the map's layers are there
  const level = levelUnder(state.path.at(-1)?.code);
  for (const code of state.shown) map.removeFeatureState({ source: 'admin', sourceLayer: `adm${code.length / 2}`, id: code });
  const codes = stats.rows.filter((r) => r.code).map((r) => r.code);
  for (const row of stats.rows) {
    if (!row.code) continue;
    map.setFeatureState({ source: 'admin', sourceLayer: `adm${level}`, id: row.code }, { share: reachedShare(row, state.stages, reachedStage) ?? -1 });
  }
  state.shown = codes;
  for (const l of [1, 2, 3]) {
    for (const id of [`areas-${l}`, `lines-${l}`]) {
      map.setLayoutProperty(id, 'visibility', l === level ? 'visible' : 'none');
      map.setFilter(id, ['in', ['get', 'code'], ['literal', codes]]);
    }
  }
  renderLegend(reachedStage);
}

function renderLegend(reachedStage) {
  const items = SHARE_STEPS.map(([from, colour], i) => {
    const to = SHARE_STEPS[i + 1]?.[0] ?? 1;
    return [colour, `${Math.round(from * 100)}–${Math.round(to * 100)}%`];
  });
  items.push([NO_PLOTS, t('no_plots')]);
  const title = document.createElement('strong');
  title.textContent = t('reached', { stage: stageName(reachedStage) });
  $('legend').replaceChildren(title, ...items.map(([colour, label]) => {
    const span = document.createElement('span');
    const sw = document.createElement('i');
    sw.style.background = colour;
    span.append(sw, label);
    return span;
  }));
}

/**
 * Fits the map to `bounds`, but never below the zoom from which the admin tiles carry the level
 * shown (on a narrow phone a district fits at a zoom where its subdistricts are not in the tiles).
 */
function showBounds(bounds) {
  const map = state.map;
  if (!map || !bounds) return;
  state.areaBounds = bounds;
  map.fitBounds(bounds, { padding: 20, animate: false });
  const need = state.layerMinZoom[`adm${levelUnder(state.path.at(-1)?.code)}`] ?? 0;
  if (map.getZoom() < need) map.jumpTo({ zoom: need });
}

/** Fits the map to the area shown (the country at the top). */
async function fitArea() {
  const area = state.path.at(-1)?.code;
  if (!state.map) return;
  if (!area) {
    showBounds(THAILAND);
    return;
  }
  try {
    const found = await api(`/collections/adm${area.length / 2}/items?limit=1&filter=${encodeURIComponent(`code = '${area}'`)}`);
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (c) => (typeof c[0] === 'number'
      ? (b[0] = Math.min(b[0], c[0]), b[1] = Math.min(b[1], c[1]), b[2] = Math.max(b[2], c[0]), b[3] = Math.max(b[3], c[1]))
      : c.forEach(walk));
    walk(found.features[0].geometry.coordinates);
    showBounds([[b[0], b[1]], [b[2], b[3]]]);
  } catch {
    // the numbers stand without the zoom
  }
}

// ---- words, filters, session -------------------------------------------------------------------

function fillSelect(select, values, label, allLabel) {
  const keep = select.value;
  const options = values.map((v) => new Option(label(v), v));
  if (allLabel) options.unshift(new Option(allLabel, ''));
  select.replaceChildren(...options);
  if (keep && values.includes(keep)) select.value = keep;
}

function applyWords() {
  document.documentElement.lang = language();
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  $('lang').textContent = t('language');
  const f = $('filters').elements;
  fillSelect(f.program, state.programs, (p) => p, t('all'));
  fillSelect(f.stage, state.stages, stageName, t('all'));
  const reachedKeep = f.reached.value;
  fillSelect(f.reached, state.stages, stageName, null);
  f.reached.value = state.stages.includes(reachedKeep) ? reachedKeep : state.stages.at(-1) ?? ''; // the last stage unless chosen
  render();
}

$('lang').addEventListener('click', () => {
  setLanguage(language() === 'th' ? 'en' : 'th');
  localStorage.setItem('plotmap.lang', language());
  applyWords();
});
$('filters').addEventListener('change', (e) => (e.target.name === 'reached' ? (writeUrl(), render()) : load()));

$('sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await api('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: String(f.get('username')).trim().toLowerCase(), password: f.get('password') }) });
    start();
  } catch (e) {
    $('sign-in-message').textContent = e.message;
    $('sign-in-message').hidden = false;
  }
});

async function start() {
  setLanguage(localStorage.getItem('plotmap.lang') ?? 'th');
  try {
    state.session = await api('/api/v1/session');
  } catch {
    applyWords();
    $('sign-in-view').hidden = false;
    $('board').hidden = true;
    return;
  }
  $('sign-in-view').hidden = true;
  $('board').hidden = false;
  const q = await api('/collections/plots/queryables');
  state.programs = q.properties?.program?.enum ?? [];
  state.stages = q.properties?.stage?.enum ?? [];
  applyWords();
  const scope = state.session.scope ?? null;
  const area = readUrl() ?? (scope ? scope.slice(0, 4) : null); // a subdistrict officer opens on their district
  await openArea(area);
  await load();
  startMap();
}

start();
