// The read-only embeddable map: plotmap's default style, popups on plots, pins and
// clusters, a legend of stages. URL parameters (what /embed/builder writes):
//   bbox=minLon,minLat,maxLon,maxLat  or  center=lon,lat&zoom=z   the view (a #zoom/lat/lon hash wins)
//   stage=digging,planting   program=HLM                           only those plots
//   lang=th|en                                                      words (both when absent)
//   basemap=none                                                    leave out the configured basemap
//   token=...                                                       an API token: popups add the
//                                                                   personal fields its scope may see
//   archive=plots.pmtiles  or  archive=https://host/plots.pmtiles   plots from a baked PMTiles archive
//                                                                   (`plotmap tiles`; a name is one of
//                                                                   this server's tiles.archives) instead
//                                                                   of the live tiles
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const lang = ['th', 'en'].includes(params.get('lang')) ? params.get('lang') : null;
  const token = params.get('token');
  const stageFilter = (params.get('stage') || '').split(',').map((s) => s.trim()).filter((s) => /^[a-z_]{1,40}$/.test(s));
  const program = /^[A-Za-z0-9_-]{1,40}$/.test(params.get('program') || '') ? params.get('program') : null;
  const numbers = (name, count) => {
    const v = (params.get(name) || '').split(',').map(Number);
    return v.length === count && v.every(Number.isFinite) ? v : null;
  };
  const bbox = numbers('bbox', 4);
  const center = numbers('center', 2);
  const zoom = Number(params.get('zoom'));

  const words = {
    surveyed: ['สำรวจแล้ว', 'surveyed'],
    digging: ['กำลังขุด', 'digging'],
    planting: ['กำลังปลูก', 'planting'],
    complete: ['เสร็จสมบูรณ์', 'complete'],
    code: ['รหัส', 'code'],
    programme: ['โครงการ', 'programme'],
    stage: ['ขั้นตอน', 'stage'],
    area: ['พื้นที่', 'area'],
    rai: ['ไร่', 'rai'],
    subdistrict: ['ตำบล', 'subdistrict'],
    budget_year: ['ปีงบประมาณ', 'budget year'],
    owner: ['เจ้าของ', 'owner'],
    phone: ['โทรศัพท์', 'phone'],
    deed: ['เลขที่เอกสารสิทธิ์', 'title deed no.'],
    zoom_in: ['ซูมเข้าเพื่อดูแปลงตามตัวกรอง', 'zoom in to see the filtered plots'],
  };
  /** Thai, English, or "Thai (English)" when the page was given no language. */
  const say = (key) => {
    const w = words[key];
    if (!w) return key;
    return lang === 'th' ? w[0] : lang === 'en' ? w[1] : `${w[0]} (${w[1]})`;
  };
  if (lang) document.documentElement.lang = lang;

  const archiveParam = params.get('archive') || '';
  const archive = /^[A-Za-z0-9_-]{1,80}\.pmtiles$/.test(archiveParam)
    ? `${location.origin}/archives/${archiveParam}`
    : /^https?:\/\/[^\s"'<>]{1,2000}\.pmtiles$/.test(archiveParam) ? archiveParam : null;
  const styleUrl = '/styles/default.json' + (token ? `?token=${encodeURIComponent(token)}` : '');

  const options = {
    container: 'map',
    style: archive ? undefined : styleUrl,
    center: [100.5, 15.0],
    zoom: 5,
    hash: true,
    attributionControl: { compact: true },
  };
  if (bbox) {
    options.bounds = [[bbox[0], bbox[1]], [bbox[2], bbox[3]]];
    options.fitBoundsOptions = { padding: 20 };
  } else if (center) {
    options.center = center;
    options.zoom = Number.isFinite(zoom) ? zoom : 12;
  }
  const map = new maplibregl.Map(options);
  window.plotmapMap = map; // for tests and for pages that embed this one
  if (archive) {
    // The style's plots source read from the archive in byte ranges (MapLibre's pmtiles://).
    const protocol = new pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
    map.setStyle(new URL(styleUrl, location.href).href, {
      transformStyle: (_, next) => ({ ...next, sources: { ...next.sources, plots: { type: 'vector', url: `pmtiles://${archive}` } } }),
    });
  }
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));
  // The attribution folded to its (i) button: open, it covers the legend in a small frame.
  map.once('idle', () => map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show'));

  /** The filters onto the style's plot layers; clusters count only the chosen stages. */
  function applyFilters() {
    if (!stageFilter.length && !program) return;
    const conditions = [];
    if (stageFilter.length) conditions.push(['in', ['get', 'stage'], ['literal', stageFilter]]);
    if (program) conditions.push(['==', ['get', 'program'], program]);
    for (const id of ['plots-fill', 'plots-outline', 'pins', 'plot-codes']) {
      if (!map.getLayer(id)) continue;
      const existing = map.getFilter(id);
      map.setFilter(id, existing ? ['all', existing, ...conditions] : ['all', ...conditions]);
    }
    // Clusters carry a count per stage but not per programme: with a programme chosen they
    // are left out (the plots appear from the zoom where pins are drawn one by one).
    if (program) {
      for (const id of ['clusters', 'cluster-count']) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
      const note = document.createElement('div');
      note.className = 'note';
      note.textContent = say('zoom_in');
      document.getElementById('legend').appendChild(note);
      return;
    }
    const chosen = ['+', ...stageFilter.map((s) => ['coalesce', ['get', s], 0]), 0];
    for (const id of ['clusters', 'cluster-count']) {
      if (!map.getLayer(id)) continue;
      map.setFilter(id, ['all', ['has', 'point_count'], ['>', chosen, 0]]);
    }
    if (map.getLayer('cluster-count')) map.setLayoutProperty('cluster-count', 'text-field', ['to-string', chosen]);
    if (map.getLayer('clusters')) {
      map.setPaintProperty('clusters', 'circle-radius', ['step', chosen, 10, 10, 14, 100, 18, 1000, 24, 10000, 30]);
    }
  }

  map.on('load', () => {
    if (params.get('basemap') === 'none' && map.getLayer('basemap')) map.setLayoutProperty('basemap', 'visibility', 'none');
    applyFilters();
    const style = map.getStyle();
    const fill = style.layers.find((l) => l.id === 'plots-fill');
    const legend = document.getElementById('legend');
    const expr = fill.paint['fill-color']; // ["match", ["get", "stage"], stage, colour, ..., fallback]
    for (let i = 2; i + 1 < expr.length; i += 2) {
      if (stageFilter.length && !stageFilter.includes(expr[i])) continue;
      const row = document.createElement('div');
      const swatch = document.createElement('span');
      swatch.style.background = expr[i + 1];
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(say(expr[i])));
      legend.insertBefore(row, legend.querySelector('.note'));
    }
    if (program) legend.insertBefore(document.createTextNode(`${say('programme')}: ${program}`), legend.firstChild);
  });

  function describe(p, personal) {
    const dl = document.createElement('dl');
    const add = (term, value) => {
      if (value === undefined || value === null || value === '') return;
      const dt = document.createElement('dt');
      dt.textContent = say(term);
      const dd = document.createElement('dd');
      dd.textContent = value;
      dl.append(dt, dd);
    };
    add('code', p.code);
    add('programme', p.program);
    add('stage', say(p.stage));
    add('area', p.area_rai !== undefined ? p.area_rai + ' ' + say('rai') + ' (' + p.area_m2 + ' m²)' : undefined);
    add('subdistrict', p.adm3_name);
    add('budget_year', p.budget_year !== undefined ? (p.budget_year + 543) + ' (' + p.budget_year + ')' : undefined);
    if (personal) {
      add('owner', personal.owner_name);
      add('phone', personal.owner_phone);
      add('deed', personal.deed_no);
    }
    const box = document.createElement('div');
    box.className = 'popup';
    box.appendChild(dl);
    return box;
  }

  /** With a token, the plot's own record: its personal fields when the token's scope holds it. */
  async function personalOf(id) {
    if (!token) return null;
    try {
      const res = await fetch(`/api/v1/plots/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${token}` } });
      return res.ok ? await res.json() : null;
    } catch {
      return null;
    }
  }

  let selected = null;
  for (const layer of ['plots-fill', 'pins']) {
    map.on('click', layer, async (e) => {
      const f = e.features[0];
      if (selected !== null) map.setFeatureState({ source: 'plots', sourceLayer: 'plots', id: selected }, { selected: false });
      selected = f.id;
      map.setFeatureState({ source: 'plots', sourceLayer: 'plots', id: f.id }, { selected: true });
      const popup = new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(describe(f.properties, null)).addTo(map);
      const personal = await personalOf(f.id);
      if (personal) popup.setDOMContent(describe(f.properties, personal));
    });
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', 'clusters', (e) => {
    map.easeTo({ center: e.features[0].geometry.coordinates, zoom: map.getZoom() + 3 });
  });
})();
