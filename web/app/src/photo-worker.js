// Downsizes one photo off the page's thread: decoded upright (EXIF orientation applied), scaled
// so its longer side is at most `maxPx`, and encoded as JPEG. A 12-megapixel camera photo
// becomes a few hundred kilobytes before it is queued, so the outbox stays small and the
// upload fits a weak signal.
self.onmessage = async ({ data: { file, maxPx, quality } }) => {
  let bitmap = null;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d');
    g.imageSmoothingQuality = 'high';
    g.drawImage(bitmap, 0, 0, width, height);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
    self.postMessage({ blob, width, height, originalWidth: bitmap.width, originalHeight: bitmap.height });
  } catch (e) {
    self.postMessage({ error: 'not_image', detail: String(e?.message ?? e) });
  } finally {
    bitmap?.close();
  }
};
