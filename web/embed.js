// The read-only embeddable map: plotmap's default style, popups on plots, pins and
// clusters, a legend of stages. Thai first, English second.
(function () {
  'use strict';
  const stageNames = {
    surveyed: 'สำรวจแล้ว (surveyed)',
    digging: 'กำลังขุด (digging)',
    planting: 'กำลังปลูก (planting)',
    complete: 'เสร็จสมบูรณ์ (complete)'
  };
  const map = new maplibregl.Map({
    container: 'map',
    style: '/styles/default.json',
    center: [100.5, 15.0],
    zoom: 5,
    hash: true,
    attributionControl: { compact: true }
  });
  window.plotmapMap = map; // for tests and for pages that embed this one
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }));

  map.on('load', () => {
    const style = map.getStyle();
    const fill = style.layers.find((l) => l.id === 'plots-fill');
    const legend = document.getElementById('legend');
    const expr = fill.paint['fill-color']; // ["match", ["get", "stage"], stage, colour, ..., fallback]
    for (let i = 2; i + 1 < expr.length; i += 2) {
      const row = document.createElement('div');
      const swatch = document.createElement('span');
      swatch.style.background = expr[i + 1];
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(stageNames[expr[i]] || expr[i]));
      legend.appendChild(row);
    }
  });

  function describe(p) {
    const dl = document.createElement('dl');
    const add = (term, value) => {
      if (value === undefined || value === null || value === '') return;
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dl.append(dt, dd);
    };
    add('รหัส (code)', p.code);
    add('โครงการ (programme)', p.program);
    add('ขั้นตอน (stage)', stageNames[p.stage] || p.stage);
    add('พื้นที่ (area)', p.area_rai !== undefined ? p.area_rai + ' ไร่ (' + p.area_m2 + ' m²)' : undefined);
    add('ตำบล (subdistrict)', p.adm3_name);
    add('ปีงบประมาณ (budget year)', p.budget_year !== undefined ? (p.budget_year + 543) + ' (' + p.budget_year + ')' : undefined);
    const box = document.createElement('div');
    box.className = 'popup';
    box.appendChild(dl);
    return box;
  }

  let selected = null;
  for (const layer of ['plots-fill', 'pins']) {
    map.on('click', layer, (e) => {
      const f = e.features[0];
      if (selected !== null) map.setFeatureState({ source: 'plots', sourceLayer: 'plots', id: selected }, { selected: false });
      selected = f.id;
      map.setFeatureState({ source: 'plots', sourceLayer: 'plots', id: f.id }, { selected: true });
      new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(describe(f.properties)).addTo(map);
    });
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', 'clusters', (e) => {
    map.easeTo({ center: e.features[0].geometry.coordinates, zoom: map.getZoom() + 3 });
  });
})();
