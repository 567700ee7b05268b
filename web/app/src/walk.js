// Walking a boundary: GPS fixes recorded while the officer walks the perimeter, each judged
// (fixes.js: too inaccurate, faster than walking, a duplicate); or, in corner mode, fixes
// averaged while standing on each corner. Browsers give a hidden page no fixes, so a silence
// is a gap: the boundary does not go on until the officer walks back to the last point (it
// goes on by itself) or accepts the gap knowingly (it is recorded as such). Every fix
// received is kept in the raw track, with why it was dropped if it was.
import { averageFixes, distanceM, judgeFix, walkingDefaults } from './fixes.js';

export class BoundaryWalk {
  /**
   * onUpdate(walk) after every fix or change. options: walkingDefaults (maxAccuracy, maxSpeed,
   * gapSeconds) and minSpacingM (a walked vertex at least this far from the last).
   */
  constructor({ geolocation = navigator.geolocation, options = {}, onUpdate = () => {} } = {}) {
    this.geolocation = geolocation;
    this.options = { ...walkingDefaults, minSpacingM: 2, ...options };
    this.onUpdate = onUpdate;
    this.reset();
  }

  reset() {
    this.mode = 'walk';
    this.vertices = []; // { lon, lat, accuracy }: the boundary's corners so far
    this.track = []; // every fix received: { lon, lat, accuracy, time, kept, reason? }
    this.gaps = []; // { after: vertex index, seconds, metres, accepted: true }
    this.gap = null; // an open gap: { since, lastVertex }, until walked back or accepted
    this.cornerFixes = [];
    this.lastKept = null;
    this.watch = null;
  }

  /** Starts recording: mode 'walk' (every good fix a vertex) or 'corners' (addCorner()). */
  start(mode = 'walk') {
    this.stop();
    this.reset();
    this.mode = mode;
    this.watch = this.geolocation.watchPosition(
      (pos) => this.add({ lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy, time: pos.timestamp }),
      () => {},
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 },
    );
    this.onUpdate(this);
  }

  get recording() {
    return this.watch !== null;
  }

  /** The page was hidden: whatever comes next may be far away. */
  hidden(time) {
    if (this.recording && this.vertices.length > 0 && !this.gap) this.gap = { since: time };
  }

  add(fix) {
    const previous = this.lastKept;
    const verdict = judgeFix(previous, fix, this.options);
    this.track.push({ ...fix, kept: verdict.keep, ...(verdict.reason ? { reason: verdict.reason } : {}) });
    if (!verdict.keep) return this.onUpdate(this);
    this.lastKept = fix;
    if (verdict.gap && this.vertices.length > 0 && !this.gap) this.gap = { since: previous.time };
    if (this.gap) {
      // Back where the boundary stopped (within the fixes' accuracy): it goes on from there.
      const last = this.vertices[this.vertices.length - 1];
      if (distanceM(last, fix) <= Math.max(fix.accuracy, last.accuracy, 5)) this.gap = null;
      return this.onUpdate(this);
    }
    if (this.mode === 'corners') {
      this.cornerFixes.push(fix);
    } else {
      const last = this.vertices[this.vertices.length - 1];
      if (!last || distanceM(last, fix) >= this.options.minSpacingM) {
        this.vertices.push({ lon: fix.lon, lat: fix.lat, accuracy: fix.accuracy });
      }
    }
    return this.onUpdate(this);
  }

  /** Corner mode: the average of the fixes since the last corner becomes a corner. */
  addCorner() {
    const average = averageFixes(this.cornerFixes, { maxAccuracy: this.options.maxAccuracy });
    if (!average) return null;
    this.vertices.push({ lon: average.lon, lat: average.lat, accuracy: average.accuracy, fixes: average.used });
    this.cornerFixes = [];
    this.onUpdate(this);
    return average;
  }

  /** The officer accepts an open gap: the boundary joins straight across it, and says so. */
  acceptGap() {
    if (!this.gap) return;
    const last = this.vertices[this.vertices.length - 1];
    const now = this.lastKept;
    this.gaps.push({
      after: this.vertices.length - 1,
      seconds: Math.round((now.time - this.gap.since) / 1000),
      metres: Math.round(distanceM(last, now)),
      accepted: true,
    });
    this.gap = null;
    if (this.mode === 'walk') this.vertices.push({ lon: now.lon, lat: now.lat, accuracy: now.accuracy });
    this.onUpdate(this);
  }

  /** Drops the last corner (a wrong tap in corner mode, or a walked vertex). */
  undoCorner() {
    this.vertices.pop();
    this.onUpdate(this);
  }

  stop() {
    if (this.watch !== null) this.geolocation.clearWatch(this.watch);
    this.watch = null;
  }

  /** The ring ([lon, lat] corners), each corner's accuracy (95 %, m), and the raw track. */
  result() {
    return {
      ring: this.vertices.map((v) => [v.lon, v.lat]),
      accuracies: this.vertices.map((v) => v.accuracy),
      track: { mode: this.mode, fixes: this.track, gaps: this.gaps },
    };
  }
}
