// Pinning a plot from GPS: fixes arrive while the officer stands still; their robust average
// (fixes.js) is shown live with how many were used and its 95 % accuracy; it is taken by
// itself once it is within the target accuracy from enough fixes, or when the officer accepts
// it earlier. Browsers give no fixes to a hidden page, so a pin is taken in the foreground.
import { averageFixes } from './fixes.js';

export const PIN_DEFAULTS = {
  targetM: 10, // take the average by itself at this accuracy (95 %) or better
  minFixes: 5, // ... from at least this many fixes
  maxFixAccuracyM: 50, // fixes worse than this are not averaged at all
  keepFixes: 60, // the most recent fixes averaged
};

export class GpsPin {
  /**
   * onUpdate({ average, fixes }) on every fix; onTaken(average) once, when it is taken;
   * onError(error) when the browser refuses or fails.
   */
  constructor({ geolocation = navigator.geolocation, options = {}, onUpdate, onTaken, onError }) {
    this.geolocation = geolocation;
    this.options = { ...PIN_DEFAULTS, ...options };
    this.onUpdate = onUpdate;
    this.onTaken = onTaken;
    this.onError = onError;
    this.fixes = [];
    this.watch = null;
  }

  start() {
    this.stop();
    this.fixes = [];
    this.watch = this.geolocation.watchPosition(
      (pos) => this.add({ lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy, t: pos.timestamp }),
      (err) => this.onError?.(err),
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 },
    );
  }

  get running() {
    return this.watch !== null;
  }

  add(fix) {
    this.fixes.push(fix);
    if (this.fixes.length > this.options.keepFixes) this.fixes.shift();
    const average = this.average();
    this.onUpdate?.({ average, fixes: this.fixes.length });
    if (average && average.accuracy <= this.options.targetM && average.used >= this.options.minFixes) this.take();
  }

  average() {
    return averageFixes(this.fixes, { maxAccuracy: this.options.maxFixAccuracyM });
  }

  /** Takes the current average (the officer accepts it); null if there is none yet. */
  take() {
    const average = this.average();
    if (!average) return null;
    this.stop();
    this.onTaken?.(average);
    return average;
  }

  stop() {
    if (this.watch !== null) this.geolocation.clearWatch(this.watch);
    this.watch = null;
  }
}
