// Days as officers see and type them: Buddhist Era years in Thai (2569 = 2026 CE), Common
// Era in English, and "today" in Thailand's time (UTC+7), which is not the UTC date for the
// first seven hours of a Thai day. The server stores days as ISO dates (CE).

export const BE_OFFSET = 543;
const THAI_DIGITS = '๐๑๒๓๔๕๖๗๘๙';

export class DateError extends Error {
  /** @param {string} code for the message in each language: not_a_date, no_such_day, future, too_early */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const formats = {
  th: new Intl.DateTimeFormat('th-TH-u-ca-buddhist', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }),
};

/** An ISO day ("2026-11-30") as "30 พ.ย. 2569" (th) or "30 Nov 2026" (en). */
export function formatDay(isoDay, lang = 'th') {
  const [y, m, d] = checkedParts(isoDay);
  return (formats[lang] ?? formats.th).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The day of an instant (Date or RFC 3339 text) in Thailand. */
export function thaiDayOf(instant) {
  const t = instant instanceof Date ? instant.getTime() : Date.parse(instant);
  if (Number.isNaN(t)) throw new DateError('not_a_date', `not a time: ${instant}`);
  return new Date(t + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

/**
 * A typed day as an ISO day: "2026-11-30", or day/month/year with "/", "-" or "." in Thai or
 * Arabic digits, the year in BE (2400 and up) or CE. `today` (ISO, Thai time) and `earliest`
 * bound it, as the server does for progress dates.
 */
export function parseDay(text, { today, earliest = '1990-01-01' } = {}) {
  const s = String(text ?? '').trim().replace(/[๐-๙]/g, (c) => String(THAI_DIGITS.indexOf(c)));
  let y;
  let m;
  let d;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (match) {
    [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s))) {
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else {
    throw new DateError('not_a_date', `not a day: "${text}" (day/month/year, e.g. 30/11/2569)`);
  }
  if (y >= 2400) y -= BE_OFFSET;
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  checkedParts(iso);
  if (today && iso > today) throw new DateError('future', `${iso} is after today (${today})`);
  if (iso < earliest) throw new DateError('too_early', `${iso} is before ${earliest}`);
  return iso;
}

function checkedParts(isoDay) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDay ?? '');
  if (!match) throw new DateError('not_a_date', `not an ISO day: "${isoDay}"`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || m > 12 || date.getUTCDate() !== d || date.getUTCMonth() !== m - 1) {
    throw new DateError('no_such_day', `there is no day ${isoDay}`);
  }
  return [y, m, d];
}
