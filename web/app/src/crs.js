// Typed UTM coordinates shown on the map before they are sent. The preview uses proj4 with the
// same datum shift PROJ picks for Thailand onshore (Indian 1975 to WGS 84 (4), EPSG:1812,
// 3 m); what is stored is the server's own PROJ transform of the values as typed.

/** proj4, loaded the first time a typed UTM coordinate needs it (it is a third of the app). */
let proj4 = null;
async function projector() {
  proj4 ??= (await import('proj4')).default;
  return proj4;
}

const defs = {
  'EPSG:32647': '+proj=utm +zone=47 +datum=WGS84 +units=m +no_defs',
  'EPSG:32648': '+proj=utm +zone=48 +datum=WGS84 +units=m +no_defs',
  'EPSG:24047': '+proj=utm +zone=47 +ellps=evrst30 +towgs84=293,836,318,0.5,1.6,-2.8,2.1 +units=m +no_defs',
  'EPSG:24048': '+proj=utm +zone=48 +ellps=evrst30 +towgs84=293,836,318,0.5,1.6,-2.8,2.1 +units=m +no_defs',
};

/** [lon, lat] (WGS 84) of a parsed coordinate: { crs: 'EPSG:4326', lon, lat } or { crs, x, y }. */
export async function previewLonLat(c) {
  if (c.crs === 'EPSG:4326') return [c.lon, c.lat];
  const def = defs[c.crs];
  if (!def) throw new Error(`no preview for ${c.crs}`);
  return (await projector())(def, 'EPSG:4326', [c.x, c.y]);
}

/** [x, y] in `crs` (one of the UTM CRSs above, or EPSG:4326) of a WGS 84 [lon, lat]. */
export async function fromLonLat(crs, lonLat) {
  if (crs === 'EPSG:4326') return lonLat;
  const def = defs[crs];
  if (!def) throw new Error(`no transform to ${crs}`);
  return (await projector())('EPSG:4326', def, lonLat);
}
