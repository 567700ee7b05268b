// The embed builder (/embed/builder): choose an area, stages, a programme, the basemap, the
// language and where the plots come from (the live tiles, one of this server's baked PMTiles
// archives, or a PMTiles file on another host); see the map; copy the <iframe> snippet, the TileJSON and style URLs and the
// QGIS connection strings. The embed page (/embed, embed.js) reads the same URL parameters.
(function () {
  'use strict';
  const form = document.getElementById('builder');
  const f = form.elements;
  const origin = location.origin;
  const boxes = {}; // area code -> [minLon, minLat, maxLon, maxLat]
  let tilejson = null;
  const archives = {}; // file -> { name, tilejson, style, doc } of this server's PMTiles archives (GET /archives)
  const ARCHIVE_URL = /^https?:\/\/[^\s"'<>]{1,2000}\.pmtiles$/; // what the embed page takes (embed.js)
  let debounce = null;

  const round = (v) => Math.round(v * 1e4) / 1e4;
  function bboxOf(geometry) {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (c) => {
      if (typeof c[0] === 'number') {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    };
    walk(geometry.coordinates);
    return b.map(round);
  }

  async function json(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.json();
  }

  /** Fills a select with the areas of a collection (names in Thai and English), keeping their boxes. */
  async function fillAreas(select, url, first) {
    const items = await json(url);
    const options = items.features.map((ft) => {
      boxes[ft.properties.code] = bboxOf(ft.geometry);
      return new Option(`${ft.properties.name_th} (${ft.properties.name_en})`, ft.properties.code);
    }).sort((a, b) => a.text.localeCompare(b.text, 'th'));
    select.replaceChildren(new Option(first, ''), ...options);
  }

  function chosenStages() {
    return [...document.querySelectorAll('#stages input:checked')].map((i) => i.value);
  }

  /** The embed page's URL for what is chosen. */
  function embedUrl() {
    const q = new URLSearchParams();
    const area = f.adm2.value || f.adm1.value;
    if (area && boxes[area]) q.set('bbox', boxes[area].join(','));
    const all = document.querySelectorAll('#stages input').length;
    const stages = chosenStages();
    if (stages.length && stages.length < all) q.set('stage', stages.join(','));
    if (f.program.value) q.set('program', f.program.value);
    if (f.basemap.value) q.set('basemap', f.basemap.value);
    if (f.lang.value) q.set('lang', f.lang.value);
    const archive = chosenArchive();
    if (archive) q.set('archive', archive);
    if (f.token.value.trim()) q.set('token', f.token.value.trim());
    return `${origin}/embed${q.size ? `?${q.toString().replace(/%2C/gi, ',')}` : ''}`; // commas need no escape in a query
  }

  /** The embed page's archive parameter for the source chosen: a file of this server's, a URL, or null. */
  function chosenArchive() {
    if (f.source.value === 'url') return ARCHIVE_URL.test(f.archive_url.value.trim()) ? f.archive_url.value.trim() : null;
    return archives[f.source.value] ? f.source.value : null;
  }

  const escape = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

  function update() {
    const url = embedUrl();
    const width = /^\d{2,4}(px|%)?$/.test(f.width.value.trim()) ? f.width.value.trim() : '100%';
    const height = Math.min(2000, Math.max(200, Number(f.height.value) || 480));
    document.getElementById('snippet').value =
      `<iframe src="${escape(url)}" width="${escape(width)}" height="${height}" style="border:0" loading="lazy" ` +
      `title="แผนที่แปลงโคก หนอง นา (Khok Nong Na plots)" allowfullscreen></iframe>`;
    const token = f.token.value.trim();
    const withToken = (u) => (token ? `${u}${u.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : u);
    const onServer = archives[f.source.value]; // a baked archive of this server's: its own TileJSON
    document.getElementById('tilejson').value = withToken(onServer ? onServer.tilejson : `${origin}/tiles/plots.json`);
    const styleUrl = onServer?.style ?? `${origin}/styles/default.json`;
    document.getElementById('style').value = withToken(styleUrl);
    const source = onServer ? onServer.doc : tilejson;
    const template = source?.tiles?.[0] ?? `${origin}/tiles/plots/{z}/{x}/{y}.mvt`;
    const maxzoom = source?.maxzoom ?? 14;
    // QGIS's vector tile connection, as its "Vector Tile Connection" dialog writes it.
    document.getElementById('qgis').value =
      `type=xyz&url=${encodeURIComponent(withToken(template)).replace(/%7B/g, '{').replace(/%7D/g, '}')}` +
      `&zmin=0&zmax=${maxzoom}&styleUrl=${encodeURIComponent(withToken(styleUrl))}`;
    document.getElementById('oapif').value = withToken(`${origin}/`);
    document.getElementById('token-warning').hidden = !token;
    document.getElementById('archive-url').hidden = f.source.value !== 'url';
    document.getElementById('archive-warning').hidden = f.source.value !== 'url' || ARCHIVE_URL.test(f.archive_url.value.trim());
    document.getElementById('archive-note').hidden = !chosenArchive();
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const frame = document.getElementById('preview');
      if (frame.src !== url) frame.src = url;
    }, 300);
  }

  form.addEventListener('input', update);
  form.addEventListener('change', async (e) => {
    if (e.target.name === 'adm1') {
      f.adm2.disabled = !f.adm1.value;
      f.adm2.replaceChildren(new Option('ทั้งจังหวัด (whole province)', ''));
      if (f.adm1.value) await fillAreas(f.adm2, `/collections/adm2/items?limit=1000&adm1=${f.adm1.value}`, 'ทั้งจังหวัด (whole province)');
    }
    update();
  });
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', async () => {
      const box = document.getElementById(button.dataset.copy);
      box.select();
      try {
        await navigator.clipboard.writeText(box.value);
      } catch {
        document.execCommand('copy'); // pages served over plain http have no clipboard API
      }
      button.textContent = 'คัดลอกแล้ว ✓';
      setTimeout(() => { button.textContent = 'คัดลอก Copy'; }, 1500);
    });
  }

  const stageWords = { surveyed: 'สำรวจแล้ว', digging: 'กำลังขุด', planting: 'กำลังปลูก', complete: 'เสร็จสมบูรณ์' };
  (async () => {
    const [queryables] = await Promise.all([
      json('/collections/plots/queryables'),
      fillAreas(f.adm1, '/collections/adm1/items?limit=1000', 'ทั้งประเทศ (Thailand)'),
      json('/tiles/plots.json').then((t) => { tilejson = t; }).catch(() => {}),
      json('/archives').then(async (list) => {
        // The PMTiles ones (what MapLibre's pmtiles:// reads), before the "another host" choice.
        for (const a of list.archives.filter((x) => x.format === 'pmtiles')) {
          archives[a.file] = { name: a.name, tilejson: a.tilejson, style: a.style, doc: await json(a.tilejson).catch(() => null) };
          f.source.insertBefore(new Option(`${a.name} · ไฟล์ที่อบไว้ (baked)`, a.file), f.source.querySelector('option[value=url]'));
        }
      }).catch(() => {}),
    ]);
    for (const stage of queryables.properties?.stage?.enum ?? []) {
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = stage;
      box.checked = true;
      label.append(box, `${stageWords[stage] ?? stage} (${stage})`);
      document.getElementById('stages').append(label);
    }
    for (const p of queryables.properties?.program?.enum ?? []) f.program.append(new Option(p, p));
    update();
    window.plotmapBuilderReady = true; // for the tests
  })();
})();
