// The review queue (/dashboard/?view=review): plots submitted in the supervisor's scope, the
// longest waiting first; for the one chosen its checklist (what plotmap computed, and the
// items a person ticks), the plot on the map over the configured imagery, its photos and its
// steps so far; approve it or send it back with a reason per item. Keys for a desk of
// hundreds: j / k (or ↓ / ↑) next and previous, a approve, s send back.
import maplibregl from 'maplibre-gl';

const REASON_ITEMS = ['deed_no', 'deed_type', 'declared_area', 'location', 'boundary', 'photos'];
const STATES = ['submitted', 'needs_fix', 'approved', 'unchecked'];

export function startReview({ api, send, t, language, stageName, $ }) {
  const state = { list: [], index: -1, current: null, map: null, queueState: 'submitted', busy: false };
  window.plotmapReview = state; // for the tests

  const when = (at) => (at ? new Intl.DateTimeFormat(language() === 'th' ? 'th-TH' : 'en-GB', { dateStyle: 'medium', timeZone: 'Asia/Bangkok' }).format(new Date(at)) : '');
  const days = (at) => (at ? Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 86400000)) : 0);

  $('queue-state').replaceChildren(...STATES.map((s) => new Option(t(`review_${s}`), s)));
  $('queue-state').addEventListener('change', () => { state.queueState = $('queue-state').value; load(); });
  $('reasons').replaceChildren(...REASON_ITEMS.map((item) => {
    const label = document.createElement('label');
    label.className = 'reason';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = `reason-${item}`;
    const span = document.createElement('span');
    span.textContent = t(`reason_${item}`);
    const why = document.createElement('input');
    why.name = `why-${item}`;
    why.maxLength = 1000;
    why.placeholder = t('reason_why');
    why.addEventListener('input', () => { box.checked = why.value.trim() !== ''; });
    label.append(box, span, why);
    return label;
  }));

  async function load() {
    const q = new URLSearchParams({ state: state.queueState, limit: '200' });
    const area = new URLSearchParams(location.search).get('area');
    if (area && /^\d{2}(\d{2}(\d{2})?)?$/.test(area)) q.set('area', area);
    const answer = await api(`/api/v1/reviews?${q}`);
    state.list = answer.plots;
    renderQueue();
    if (state.list.length) choose(0);
    else {
      state.index = -1;
      $('review-plot').hidden = true;
    }
  }

  function renderQueue() {
    $('queue-title').textContent = `${t(`review_${state.queueState}`)} (${state.list.length})`;
    $('queue-empty').hidden = state.list.length > 0;
    $('queue').replaceChildren(...state.list.map((p, i) => {
      const li = document.createElement('li');
      li.tabIndex = 0;
      li.dataset.id = p.id;
      li.className = i === state.index ? 'chosen' : '';
      const strong = document.createElement('strong');
      strong.textContent = p.code;
      const small = document.createElement('small');
      small.textContent = `${p.name} · ${p.adm3_name} · ${t('waiting_days', { n: days(p.review_changed_at ?? p.at) })}${p.by ? ` · ${p.by}` : ''}`;
      li.append(strong, small);
      li.addEventListener('click', () => choose(i));
      return li;
    }));
  }

  async function choose(i) {
    if (i < 0 || i >= state.list.length) return;
    state.index = i;
    for (const [n, li] of [...$('queue').children].entries()) li.className = n === i ? 'chosen' : '';
    $('queue').children[i]?.scrollIntoView({ block: 'nearest' });
    const item = state.list[i];
    const [plot, review, photos] = await Promise.all([
      api(`/api/v1/plots/${item.id}`), api(`/api/v1/plots/${item.id}/review`), api(`/api/v1/plots/${item.id}/photos`).catch(() => ({ photos: [] })),
    ]);
    if (state.list[state.index]?.id !== item.id) return; // another was chosen meanwhile
    state.current = { plot, review };
    renderPlot(plot, review, photos.photos ?? []);
  }

  function renderPlot(plot, review, photos) {
    $('review-plot').hidden = false;
    $('review-message').hidden = true;
    $('send-back').hidden = true;
    $('review-title').textContent = `${plot.code} · ${plot.name ?? ''}`;
    $('review-state').textContent = t(`review_${review.state}`);
    $('review-state').dataset.state = review.state;
    $('review-facts').textContent = [
      plot.owner_name, `${plot.adm3_name ?? ''} ${plot.adm2_name ?? ''}`.trim(), stageName(plot.stage),
      plot.area_rai ? `${t('measured')} ${plot.area_rai}` : null, plot.declared_area_rai ? `${t('declared')} ${plot.declared_area_rai}` : null,
    ].filter(Boolean).join(' · ');
    $('checklist').replaceChildren(...review.checklist.map((c) => {
      const li = document.createElement('li');
      li.dataset.key = c.key;
      if (c.manual) {
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.name = `check-${c.key}`;
        label.append(box, ` ${t(`check_${c.key}`)}`);
        li.append(label);
        li.className = 'manual';
      } else {
        li.className = c.ok === true ? 'ok' : c.ok === false ? 'bad' : 'unknown';
        li.textContent = `${c.ok === true ? '✓' : c.ok === false ? '✗' : '–'} ${t(`check_${c.key}`)}${c.detail ? ` (${c.detail})` : ''}`;
      }
      return li;
    }));
    $('review-photos').replaceChildren(...photos.slice(0, 12).map((ph) => {
      const a = document.createElement('a');
      a.href = ph.links?.display ?? '#';
      a.target = '_blank';
      const img = document.createElement('img');
      img.loading = 'lazy';
      img.alt = ph.caption ?? '';
      img.src = ph.links?.thumbnail ?? '';
      a.append(img);
      return a;
    }));
    if (!photos.length) $('review-photos').textContent = t('no_photos');
    $('review-steps').replaceChildren(...review.steps.map((s) => {
      const li = document.createElement('li');
      const reasons = s.reasons ? Object.entries(s.reasons).map(([k, v]) => `${t(`reason_${k}`)}: ${v}`).join('; ') : '';
      const changed = s.changed ? `${t('changed')}: ${s.changed.join(', ')}` : '';
      li.textContent = [when(s.at), s.by, t(`step_${s.action}`), reasons, changed, s.note].filter(Boolean).join(' · ');
      return li;
    }));
    $('approve').disabled = !review.allowed.includes('approve');
    $('send-back-open').disabled = !review.allowed.includes('send_back');
    $('approve').title = review.allowed.includes('approve') ? '' : t('cannot_approve');
    for (const el of $('reasons').querySelectorAll('input')) {
      if (el.type === 'checkbox') el.checked = false;
      else el.value = '';
    }
    $('review-form').elements.note.value = '';
    drawMap(plot);
  }

  function drawMap(plot) {
    const feature = { type: 'Feature', geometry: plot.boundary ?? plot.pin, properties: {} };
    if (!feature.geometry) return;
    const bounds = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === 'number' ? bounds.extend(c) : c.forEach(walk));
    walk(feature.geometry.coordinates);
    if (!state.map) {
      state.map = new maplibregl.Map({ container: 'review-map', style: '/styles/default.json', bounds, fitBoundsOptions: { padding: 40, maxZoom: 17 },
        attributionControl: { compact: true } });
      // Folded attribution: open, it covers a fifth of a small map.
      state.map.once('idle', () => state.map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show'));
      state.map.on('load', () => {
        state.map.resize(); // the panel got its size after the map was made
        state.map.fitBounds(bounds, { padding: 40, maxZoom: 17, animate: false });
        state.map.addSource('review', { type: 'geojson', data: feature });
        state.map.addLayer({ id: 'review-line', type: 'line', source: 'review', paint: { 'line-color': '#d81b60', 'line-width': 3 } });
        state.map.addLayer({ id: 'review-point', type: 'circle', source: 'review', filter: ['==', ['geometry-type'], 'Point'],
          paint: { 'circle-color': '#d81b60', 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
      });
      return;
    }
    state.map.getSource('review')?.setData(feature);
    state.map.fitBounds(bounds, { padding: 40, maxZoom: 17, animate: false });
  }

  async function act(action, extra = {}) {
    if (state.busy || !state.current) return;
    state.busy = true;
    const { plot } = state.current;
    try {
      await send(`/api/v1/plots/${plot.id}/review`, { action, ...extra }, plot.version);
      const done = state.list.splice(state.index, 1)[0];
      $('review-message').textContent = t(action === 'approve' ? 'approved_msg' : 'sent_back_msg', { code: done.code });
      renderQueue();
      if (state.list.length) await choose(Math.min(state.index, state.list.length - 1));
      else $('review-plot').hidden = true;
      $('review-message').className = 'message ok';
      $('review-message').hidden = false;
    } catch (e) {
      $('review-message').textContent = e.message;
      $('review-message').className = 'message error';
      $('review-message').hidden = false;
    } finally {
      state.busy = false;
    }
  }

  function approve() {
    const checks = {};
    for (const box of $('checklist').querySelectorAll('input[type=checkbox]')) checks[box.name.slice(6)] = box.checked;
    act('approve', { checks });
  }

  function openSendBack() {
    $('send-back').hidden = false;
    $('reasons').querySelector('input[type=text], input:not([type])')?.focus();
  }

  $('approve').addEventListener('click', approve);
  $('send-back-open').addEventListener('click', openSendBack);
  $('review-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reasons = {};
    for (const item of REASON_ITEMS) {
      const why = $('review-form').elements[`why-${item}`].value.trim();
      if ($('review-form').elements[`reason-${item}`].checked && why) reasons[item] = why;
    }
    if (!Object.keys(reasons).length) {
      $('review-message').textContent = t('reason_needed');
      $('review-message').className = 'message error';
      $('review-message').hidden = false;
      return;
    }
    const note = $('review-form').elements.note.value.trim();
    act('send_back', note ? { reasons, note } : { reasons });
  });
  document.addEventListener('keydown', (e) => {
    if (e.target.closest?.('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); choose(state.index + 1); }
    else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); choose(state.index - 1); }
    else if (e.key === 'a' && !$('approve').disabled) approve();
    else if (e.key === 's' && !$('send-back-open').disabled) { e.preventDefault(); openSendBack(); }
  });

  return load();
}
