// Thai land units: 1 rai = 4 ngan = 400 square wa = 1,600 m²; 1 ngan = 400 m²; 1 wa² = 4 m².
// Areas are written "rai-ngan-wa", e.g. "3-0-12.5" (the server's geo/rai_ngan_wa does the same).

export const M2_PER_RAI = 1600;
export const M2_PER_NGAN = 400;
export const M2_PER_WA2 = 4;

/** m² as [rai, ngan, wa²] with wa² rounded to `decimals` (carried up when it rounds to 100). */
export function toRaiNganWa(m2, decimals = 1) {
  if (!Number.isFinite(m2) || m2 < 0) throw new RangeError('area must be a non-negative number of m²');
  const scale = 10 ** decimals;
  let wa = Math.round((m2 / M2_PER_WA2) * scale) / scale; // total square wa
  const rai = Math.floor(wa / 400);
  wa -= rai * 400;
  const ngan = Math.floor(wa / 100);
  wa = Math.round((wa - ngan * 100) * scale) / scale;
  return [rai, ngan, wa];
}

/** "3-0-12.5" for m². */
export function formatRaiNganWa(m2, decimals = 1) {
  const [rai, ngan, wa] = toRaiNganWa(m2, decimals);
  return `${rai}-${ngan}-${Number.isInteger(wa) ? wa : wa.toFixed(decimals)}`;
}

/**
 * m² from "3-0-12.5", "3 ไร่ 0 งาน 12.5 ตารางวา", "3-2" (rai-ngan) or "3" (rai). Thai digits
 * are read. Throws an Error with a message naming what is wrong.
 */
export function parseRaiNganWa(text) {
  const normal = String(text)
    .replace(/[๐-๙]/g, (d) => String(d.charCodeAt(0) - 0x0e50))
    .replace(/ตารางวา|ตร\.?ว\.?|ไร่|งาน/g, ' ')
    .trim();
  const parts = normal.split(/[\s\-–/]+/).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > 3) throw new Error('write the area as rai-ngan-wa, like 3-0-12.5');
  const numbers = parts.map((p) => {
    if (!/^\d+(\.\d+)?$/.test(p)) throw new Error(`"${p}" is not a number (area as rai-ngan-wa, like 3-0-12.5)`);
    return Number(p);
  });
  const [rai, ngan = 0, wa = 0] = numbers;
  if (parts.length >= 2 && ngan >= 4) throw new Error('ngan must be 0 to 3 (4 ngan make a rai)');
  if (parts.length === 3 && wa >= 100) throw new Error('square wa must be under 100 (100 wa² make a ngan)');
  return rai * M2_PER_RAI + ngan * M2_PER_NGAN + wa * M2_PER_WA2;
}
