// Coordinates as officers type them: decimal degrees in either order (as Google Maps copies
// them, "17.0078, 99.8231"), degrees-minutes-seconds in English or Thai, or UTM easting and
// northing with zone 47/48 and datum WGS 84 or Indian 1975 as printed on title-deed survey
// sheets. The result names its CRS; the server's PROJ transform is the one that is stored,
// so UTM values are sent as typed, with their CRS.

/** A typed coordinate that cannot be read; `code` selects the message in each language. */
export class CoordError extends Error {
  constructor(code, detail = '') {
    super(detail ? `${code}: ${detail}` : code);
    this.code = code;
  }
}

// Thailand with a margin: latitudes and longitudes here do not overlap, so the order of a
// typed pair can be told.
const LAT = [5, 21];
const LON = [97, 106];

const thaiDigits = (s) => s.replace(/[๐-๙]/g, (d) => String(d.charCodeAt(0) - 0x0e50));

function inRange(v, [lo, hi]) {
  return v >= lo && v <= hi;
}

/** One angle: "17.0078", "17°00'28.1\"N", "17 0 28.1", "17 องศา 0 ลิปดา 28.1 ฟิลิปดา เหนือ". */
export function parseAngle(text) {
  let s = thaiDigits(String(text)).trim().toUpperCase();
  let sign = 1;
  const hemisphere = s.match(/[NSEW]|เหนือ|ใต้|ตะวันออก|ตะวันตก/);
  if (hemisphere) {
    if (['S', 'W', 'ใต้', 'ตะวันตก'].includes(hemisphere[0])) sign = -1;
    s = s.replace(hemisphere[0], ' ');
  }
  if (s.trim().startsWith('-')) {
    sign = -sign;
    s = s.replace('-', ' ');
  }
  const numbers = s
    .replace(/องศา|ลิปดา|ฟิลิปดา|[°º'’′"”″]/g, ' ')
    .trim()
    .split(/[\s,]+/)
    .filter((p) => p !== '');
  if (numbers.length === 0 || numbers.length > 3 || !numbers.every((n) => /^\d+(\.\d+)?$/.test(n))) {
    throw new CoordError('not_a_coordinate', String(text));
  }
  const [d, m = 0, sec = 0] = numbers.map(Number);
  if (numbers.length > 1 && (m >= 60 || sec >= 60 || !Number.isInteger(d))) throw new CoordError('bad_minutes', String(text));
  return sign * (d + m / 60 + sec / 3600);
}

/** A latitude/longitude pair in either order: { crs: 'EPSG:4326', lon, lat }. */
export function parseLatLon(text) {
  const s = thaiDigits(String(text)).trim();
  // Split into two angles: at a comma or semicolon, else after the first hemisphere letter,
  // else in the middle of whitespace-separated numbers.
  let parts = s.split(/\s*[,;]\s*/).filter((p) => p !== '');
  if (parts.length !== 2) {
    const m = s.match(/^(.*?[NSEWnsew])\s+(.*)$/);
    if (m) parts = [m[1], m[2]];
  }
  if (parts.length !== 2) {
    const words = s.split(/\s+/);
    if (words.length % 2 === 0) parts = [words.slice(0, words.length / 2).join(' '), words.slice(words.length / 2).join(' ')];
  }
  if (parts.length !== 2) throw new CoordError('need_two_numbers', s);
  const a = parseAngle(parts[0]);
  const b = parseAngle(parts[1]);
  if (inRange(a, LAT) && inRange(b, LON)) return { crs: 'EPSG:4326', lat: a, lon: b };
  if (inRange(a, LON) && inRange(b, LAT)) return { crs: 'EPSG:4326', lat: b, lon: a };
  throw new CoordError('outside_thailand', s);
}

const utmCrs = {
  'WGS84:47': 'EPSG:32647',
  'WGS84:48': 'EPSG:32648',
  'INDIAN1975:47': 'EPSG:24047',
  'INDIAN1975:48': 'EPSG:24048',
};

/**
 * UTM easting and northing in zone 47 or 48, datum 'WGS84' or 'INDIAN1975':
 * { crs, x, y }. Eastings run 166,000-834,000 m in a zone; Thailand's northings 550,000-2,330,000.
 */
export function parseUtm(easting, northing, zone, datum) {
  const e = Number(thaiDigits(String(easting)).replace(/[,\s]/g, ''));
  const n = Number(thaiDigits(String(northing)).replace(/[,\s]/g, ''));
  if (!Number.isFinite(e) || !Number.isFinite(n) || String(easting).trim() === '' || String(northing).trim() === '') {
    throw new CoordError('not_a_coordinate', `${easting} ${northing}`);
  }
  const crs = utmCrs[`${datum}:${zone}`];
  if (!crs) throw new CoordError('bad_zone', `${zone} ${datum}`);
  if (e < 100000 || e > 900000) {
    throw new CoordError(n >= 100000 && n <= 900000 && e > 900000 ? 'swapped' : 'easting_range', String(e));
  }
  if (n < 550000 || n > 2330000) throw new CoordError('outside_thailand', String(n));
  return { crs, x: e, y: n };
}
