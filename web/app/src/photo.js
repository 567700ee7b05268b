// Photos as the field app takes them: checked, downsized in a worker (photo-worker.js) to about
// 1,600 px, and stamped with the phone's own GPS fix and the time of capture (browsers strip
// the camera's EXIF position from uploads, so the app sends its own; see docs/photos.md).

export const MAX_INPUT_BYTES = 40 * 1024 * 1024; // a camera photo is 2-12 MB; more is not a photo
export const DISPLAY_PX = 1600;

export class PhotoError extends Error {
  /** @param {string} code for the message in each language: not_image, too_big */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Refuses what cannot be a camera photo before anything is decoded. */
export function checkPhotoFile(file) {
  if (file.size > MAX_INPUT_BYTES) throw new PhotoError('too_big', `${file.name}: ${file.size} bytes`);
  if (file.type && !file.type.startsWith('image/')) throw new PhotoError('not_image', `${file.name}: ${file.type}`);
}

/** The photo at most `maxPx` on its longer side, as a JPEG Blob: { blob, width, height }. */
export function downsize(file, { maxPx = DISPLAY_PX, quality = 0.85 } = {}) {
  checkPhotoFile(file);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./photo-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new PhotoError(data.error, `${file.name}: ${data.detail}`));
      else resolve(data);
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new PhotoError('not_image', `${file.name}: ${e.message}`));
    };
    worker.postMessage({ file, maxPx, quality });
  });
}

/** An instant as RFC 3339 with the phone's own offset ("2026-03-03T10:12:00+07:00"). */
export function localTime(date = new Date()) {
  const off = -date.getTimezoneOffset();
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(date.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

/**
 * One GPS fix for a photo, at most `maxAgeMs` old: the freshest the app already has, else a
 * new one within `timeoutMs`; null when the phone gives none (the photo is kept without it).
 */
export function captureFix(last, { maxAgeMs = 60000, timeoutMs = 8000, now = Date.now() } = {}) {
  if (last && now - last.time <= maxAgeMs) return Promise.resolve(last);
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy, time: pos.timestamp }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: maxAgeMs },
    );
  });
}
