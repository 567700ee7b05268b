// The dashboard (/dashboard/): the programme's progress for the signed-in user's scope, from
// the country down to subdistricts: totals, a choropleth of the share of plots at or past a
// chosen stage (numbers joined to plotmap's admin tiles by feature-state, never baked in), the
// same numbers in a table, and stages per area as a stacked bar chart. Click a row or an area
// to go down; the breadcrumbs go back up. The view is kept in the URL. Below them: plots
// reaching each stage per month, data-quality findings (each count opens its list), and the
// monthly report (an A4 print view, XLSX, CSV). ?mode=warroom is the office-TV view: no
// controls, refreshed and cycling through the areas in scope; ?view=report is the print view.
import 'maplibre-gl/dist/maplibre-gl.css';
import './dashboard.css';
import maplibregl from 'maplibre-gl';
import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip } from 'chart.js';
import { NO_PLOTS, SHARE_STEPS, levelUnder, rai, reached, reachedShare, shareExpression } from './numbers.js';
import { bboxOf } from '../../shared/geometry.js';
import { startReview } from './review.js';
import { language, setLanguage, t } from './words.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, LineController, LineElement, PointElement);

const $ = (id) => document.getElementById(id);
const THAILAND = [[97.3, 5.6], [105.7, 20.5]];
const STAGE_COLOURS = ['#bdbdbd', '#8d6e63', '#66bb6a', '#1b5e20', '#1565c0', '#6a1b9a'];
const BE = 543;
const page = new URLSearchParams(location.search);
const VIEWS = { report: 'report', review: 'review' };
const MODE = VIEWS[page.get('view')] ?? (page.get('mode') === 'warroom' ? 'warroom' : 'board');
const KEPT_PARAMS = ['view', 'mode', 'month', 'cycle']; // the page's own, kept when the view is written to the URL

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
  trend: null,
  trendChart: null,
  quality: null,
  loads: 0, // numbers loaded so far (the war room's refreshes, for the tests)
  numbersOf: undefined, // the area whose numbers were loaded last (null: the whole scope)
  report: null, // the print view's report
  reportReady: false, // the print view is complete, its map picture included
};
window.plotmapDashboard = state; // for the tests

async function api(url, options = {}) {
  const res = await fetch(url, { credentials: 'same-origin', ...options, headers: { Accept: 'application/json', ...options.headers } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.detail ?? `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

/** POSTs JSON as the signed-in user (CSRF token, If-Match of the version it acts on). */
function send(url, body, version) {
  return api(url, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'If-Match': `"${version}"`, 'X-CSRF-Token': state.session.csrf_token },
    body: JSON.stringify(body),
  });
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
  for (const name of KEPT_PARAMS) if (page.get(name)) q.set(name, page.get(name));
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
    [state.stats] = await Promise.all([api(`/api/v1/stats?${q}`), MODE === 'report' ? null : loadExtras()]);
    $('message').hidden = true;
  } catch (e) {
    $('message').textContent = t('load_failed', { detail: e.message });
    $('message').hidden = false;
    return;
  }
  state.loads += 1;
  state.numbersOf = parent ?? null; // whose numbers are on the screen (the war room moves on before they come)
  $('updated').textContent = t('updated', { time: new Date().toLocaleTimeString(language() === 'th' ? 'th-TH' : 'en-GB', { hour: '2-digit', minute: '2-digit' }) });
  writeUrl();
  render();
}

/** The area and the filters that apply to every number (not the stage: trends and findings cover all stages). */
function filterParams() {
  const q = new URLSearchParams();
  const f = $('filters').elements;
  const area = state.path.at(-1)?.code;
  if (area) q.set('area', area);
  if (f.program.value) q.set('program', f.program.value);
  if (f.budget_year_be.value) q.set('budget_year', String(Number(f.budget_year_be.value) - BE));
  return q;
}

/** The trend and the findings of the area shown. */
async function loadExtras() {
  const q = filterParams();
  [state.trend, state.quality] = await Promise.all([api(`/api/v1/stats/trend?${q}`), api(`/api/v1/stats/quality?${q}`)]);
  $('quality-list').hidden = true;
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
  renderTrend();
  renderQuality();
  renderReportLinks();
}

/** A month "2026-11" in the page's language: "พ.ย. 69" (short, Buddhist Era in Thai) or "พฤศจิกายน 2569". */
function monthName(month, long = false) {
  const [y, m] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(language() === 'th' ? 'th-TH' : 'en-GB',
    { month: long ? 'long' : 'short', year: long ? 'numeric' : '2-digit', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 15)));
}

function renderTrend() {
  const trend = state.trend;
  if (!trend || MODE === 'report') return;
  const data = {
    labels: trend.months.map((m) => monthName(m)),
    datasets: state.stages.map((s, i) => ({ label: stageName(s), data: trend.by_stage[s] ?? [], tension: 0,
      borderColor: STAGE_COLOURS[i % STAGE_COLOURS.length], backgroundColor: STAGE_COLOURS[i % STAGE_COLOURS.length] })),
  };
  if (state.trendChart) {
    state.trendChart.data = data;
    state.trendChart.update();
    return;
  }
  state.trendChart = new Chart($('trend-chart'), {
    type: 'line',
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: 'bottom' } } },
  });
}

const FINDINGS = ['no_boundary', 'no_recent_photo', 'area_mismatch', 'overlap', 'outside_subdistrict'];

function findingName(name) {
  const rules = state.quality?.rules ?? {};
  return t(`q_${name}`, { days: rules.photo_recent_days, share: Math.round((rules.area_mismatch_share ?? 0) * 100) });
}

function renderQuality() {
  const quality = state.quality;
  if (!quality) return;
  $('quality').replaceChildren(...FINDINGS.map((name) => {
    const n = quality.findings[name];
    const b = card(findingName(name), n === null ? '–' : number(n), `finding-${name}`);
    if (n === null) {
      b.title = t('q_choose_district');
      b.querySelector('span').textContent += ` (${t('q_choose_district')})`;
    } else if (n > 0) {
      b.classList.add('link');
      b.tabIndex = 0;
      b.setAttribute('role', 'button');
      b.addEventListener('click', () => openFinding(name, n));
      b.addEventListener('keydown', (e) => { if (e.key === 'Enter') openFinding(name, n); });
    }
    return b;
  }));
}

/** The plots behind a finding's count, each linking to its page in the field app. */
async function openFinding(name, total) {
  const q = filterParams();
  q.set('limit', '200');
  let list;
  try {
    list = await api(`/api/v1/stats/quality/${name}?${q}`);
  } catch (e) {
    $('message').textContent = t('load_failed', { detail: e.message });
    $('message').hidden = false;
    return;
  }
  $('quality-list-title').textContent = `${findingName(name)} · ${list.plots.length < total ? t('q_more', { shown: number(list.plots.length), total: number(total) }) : number(total)}`;
  const table = $('quality-list').querySelector('table');
  table.tHead.replaceChildren(row([t('code'), t('name'), t('subdistrict'), t('detail')], 'th'));
  table.tBodies[0].replaceChildren(...list.plots.map((p) => {
    const tr = row(['', p.name, p.adm3_name, p.detail ?? '']);
    const a = document.createElement('a');
    a.href = `/app/?plot=${p.id}`;
    a.textContent = p.code;
    tr.firstChild.append(a);
    return tr;
  }));
  if (!list.plots.length) table.tBodies[0].replaceChildren(row([t('q_none'), '', '', '']));
  $('quality-list').hidden = false;
  $('quality-list').scrollIntoView({ block: 'nearest' });
}

/** A table row of text cells. */
function row(cells, tag = 'td') {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const cell = document.createElement(tag);
    cell.textContent = text;
    tr.append(cell);
  }
  return tr;
}

/** The last 24 months (Thai time), newest first. */
function recentMonths() {
  const now = new Date(Date.now() + 7 * 3600 * 1000);
  const out = [];
  for (let i = 0; i < 24; i += 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return out;
}

function renderReportLinks() {
  const select = $('report-month');
  const keep = select.value;
  select.replaceChildren(...recentMonths().map((m) => new Option(monthName(m, true), m)));
  if (keep) select.value = keep;
  const q = filterParams();
  q.set('month', select.value);
  $('report-xlsx').href = `/api/v1/reports/monthly?${q}&format=xlsx`;
  $('report-csv').href = `/api/v1/reports/monthly?${q}&format=csv`;
  const v = new URLSearchParams(q);
  v.set('view', 'report');
  $('report-open').href = `/dashboard/?${v}`;
  const w = filterParams();
  w.set('mode', 'warroom');
  $('warroom-open').href = `/dashboard/?${w}`;
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
    // The print view turns the drawn map into a picture: the drawing must outlast the frame.
    canvasContextAttributes: { preserveDrawingBuffer: MODE === 'report' },
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
    fitArea().then(() => { if (MODE === 'report') pictureMap(); });
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
    const b = bboxOf(found.features[0].geometry);
    if (b) showBounds([[b[0], b[1]], [b[2], b[3]]]);
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
  renderReport();
}

$('lang').addEventListener('click', () => {
  setLanguage(language() === 'th' ? 'en' : 'th');
  localStorage.setItem('plotmap.lang', language());
  applyWords();
});
$('filters').addEventListener('change', (e) => (e.target.name === 'reached' ? (writeUrl(), render()) : load()));
$('report-month').addEventListener('change', renderReportLinks);
$('quality-close').addEventListener('click', () => { $('quality-list').hidden = true; });
$('report-print').addEventListener('click', () => window.print());

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
  $('board').hidden = MODE === 'report' || MODE === 'review';
  $(MODE === 'review' ? 'tab-review' : 'tab-board').classList.add('active');
  const q = await api('/collections/plots/queryables');
  state.programs = q.properties?.program?.enum ?? [];
  state.stages = q.properties?.stage?.enum ?? [];
  applyWords();
  const scope = state.session.scope ?? null;
  const area = readUrl() ?? (scope ? scope.slice(0, 4) : null); // a subdistrict officer opens on their district
  await openArea(area);
  if (MODE === 'report') {
    await startReport();
    return;
  }
  if (MODE === 'review') {
    document.body.classList.add('review-view');
    $('review-page').hidden = false;
    await startReview({ api, send, t, language, stageName, $ });
    return;
  }
  await load();
  startMap();
  if (MODE === 'warroom') startWarroom();
}

// ---- the war room ------------------------------------------------------------------------------

/**
 * The office TV: no controls, and every `cycle` seconds (30 unless given) the next area in
 * scope with plots, then the whole scope again, each time with fresh numbers.
 */
function startWarroom() {
  document.body.classList.add('warroom');
  $('fullscreen').hidden = false;
  $('fullscreen').addEventListener('click', () => document.documentElement.requestFullscreen?.().catch(() => {}));
  const seconds = Math.min(3600, Math.max(3, Number(page.get('cycle')) || 30));
  const base = [...state.path];
  const areas = state.stats.rows.filter((r) => r.code && r.code.length < 6 && r.plots > 0)
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((r) => ({ code: r.code, name_th: r.name_th, name_en: r.name_en }));
  let next = 0;
  setInterval(() => {
    state.path = next < areas.length ? [...base, areas[next]] : [...base];
    next = (next + 1) % (areas.length + 1);
    load().then(fitArea);
  }, seconds * 1000);
}

// ---- the print view ----------------------------------------------------------------------------

const REPORT_ROWS = 200; // per section on paper; the XLSX has them all

async function startReport() {
  document.body.classList.add('report-view');
  $('report-page').hidden = false;
  const month = /^\d{4}-\d{2}$/.test(page.get('month') ?? '') ? page.get('month') : recentMonths()[0];
  const q = filterParams();
  q.set('month', month);
  let report;
  try {
    report = await api(`/api/v1/reports/monthly?${q}`);
  } catch (e) {
    $('report-message').textContent = t('load_failed', { detail: e.message });
    $('report-message').hidden = false;
    return;
  }
  state.report = report;
  const back = filterParams();
  $('report-back').href = `/dashboard/${back.size ? `?${back}` : ''}`;
  renderReport();
  // The choropleth of the area's parts, drawn once and kept as a picture for the paper.
  $('report-figure').prepend($('map-box'));
  await load();
  startMap();
}

function renderReport() {
  const r = state.report;
  if (!r) return;
  document.title = `${t('report_title')} · ${language() === 'th' ? r.area.name_th : r.area.name_en} · ${monthName(r.month, true)}`;
  $('report-area').textContent = language() === 'th' ? r.area.name_th : r.area.name_en;
  $('report-month-name').textContent = monthName(r.month, true);
  $('report-printed').textContent = new Intl.DateTimeFormat(language() === 'th' ? 'th-TH' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Asia/Bangkok' })
    .format(new Date());
  const s = r.summary;
  const summary = document.createElement('table');
  summary.className = 'summary';
  summary.append(
    row([t('r_total'), number(s.plots)]),
    row([t('with_boundary'), number(s.with_boundary)]),
    ...state.stages.map((st) => row([stageName(st), number(s.by_stage[st] ?? 0)])),
    row([t('r_stage_changes'), number(s.stage_changes)]),
    row([t('r_new_plots'), number(s.new_plots)]),
    row([t('r_without_boundary'), number(s.without_boundary)]),
    row([t('r_without_photos'), number(s.without_photos)]),
    row([t('r_area_mismatches'), number(s.area_mismatches)]),
    row([t('r_approved'), number(s.approved)]),
    row([t('r_sent_back'), number(s.sent_back)]),
    row([t('r_waiting'), number(s.waiting)]),
  );
  for (const tr of summary.rows) tr.lastChild.className = 'num';
  $('report-summary').replaceChildren(summary);
  const day = (at) => new Intl.DateTimeFormat(language() === 'th' ? 'th-TH' : 'en-GB', { dateStyle: 'medium', timeZone: 'Asia/Bangkok' }).format(new Date(at));
  const raiText = (m2) => (m2 === null || m2 === undefined ? '' : number(rai(m2)));
  const sections = [
    ['stage_changes', [t('code'), t('name'), t('subdistrict'), t('r_from_to'), t('r_date'), t('r_by')],
      (p) => [p.code, p.name, p.adm3_name, `${stageName(p.from)} → ${stageName(p.to)}`, day(p.at), p.by ?? '']],
    ['new_plots', [t('code'), t('name'), t('subdistrict'), t('stage'), t('r_date'), t('r_by')],
      (p) => [p.code, p.name, p.adm3_name, stageName(p.to), day(p.at), p.by ?? '']],
    ['area_mismatches', [t('code'), t('name'), t('subdistrict'), t('r_measured'), t('r_declared'), t('detail')],
      (p) => [p.code, p.name, p.adm3_name, raiText(p.area_m2), raiText(p.declared_area_m2), p.detail ?? '']],
    ['without_boundary', [t('code'), t('name'), t('subdistrict'), t('stage')], (p) => [p.code, p.name, p.adm3_name, stageName(p.stage)]],
    ['without_photos', [t('code'), t('name'), t('subdistrict'), t('stage')], (p) => [p.code, p.name, p.adm3_name, stageName(p.stage)]],
    ['approved', [t('code'), t('name'), t('subdistrict'), t('r_date'), t('r_by')], (p) => [p.code, p.name, p.adm3_name, day(p.at), p.by ?? '']],
    ['sent_back', [t('code'), t('name'), t('subdistrict'), t('r_date'), t('r_by'), t('detail')],
      (p) => [p.code, p.name, p.adm3_name, day(p.at), p.by ?? '', p.detail ?? '']],
    ['waiting', [t('code'), t('name'), t('subdistrict'), t('r_since'), t('r_by')], (p) => [p.code, p.name, p.adm3_name, day(p.at), p.by ?? '']],
  ];
  $('report-sections').replaceChildren(...sections.map(([key, headers, cells]) => {
    const section = document.createElement('section');
    section.id = `report-${key}`;
    const h = document.createElement('h2');
    h.textContent = `${t(`r_${key}`)} (${number(r[key].length)})`;
    section.append(h);
    if (!r[key].length) return section;
    const table = document.createElement('table');
    table.append(document.createElement('thead'), document.createElement('tbody'));
    table.tHead.append(row(headers, 'th'));
    table.tBodies[0].append(...r[key].slice(0, REPORT_ROWS).map((p) => row(cells(p))));
    section.append(table);
    if (r[key].length > REPORT_ROWS) {
      const more = document.createElement('p');
      more.textContent = t('r_more', { n: number(r[key].length - REPORT_ROWS) });
      section.append(more);
    }
    return section;
  }));
}

/** Once the map has drawn the area, its picture replaces it (a WebGL canvas does not print reliably). */
function pictureMap() {
  const map = state.map;
  const reachedStage = $('filters').elements.reached.value || state.stages.at(-1);
  $('report-map-caption').textContent = t('r_map', { stage: stageName(reachedStage) });
  map.once('idle', () => {
    $('report-map').src = map.getCanvas().toDataURL('image/png');
    $('report-figure').append($('legend'));
    $('map-box').hidden = true;
    state.reportReady = true;
  });
  map.triggerRepaint();
}

start();
