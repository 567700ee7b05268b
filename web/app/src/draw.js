// Drawing a boundary by tapping its corners on the imagery, with Terra Draw: tap to add
// corners, tap the first one to close; then drag corners, drag a midpoint to insert one, long
// press (right click) a corner to delete it; undo and redo both while drawing and after;
// corners snap to the corners of neighbouring plots.
import { TerraDraw, TerraDrawPolygonMode, TerraDrawSelectMode, TerraDrawModeUndoRedo, TerraDrawSessionUndoRedo } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { nearestVertex } from './snap.js';

export class BoundaryEditor {
  /**
   * neighbours(): outer rings of the plots around, to snap to; onChange(ring or null) whenever
   * the boundary changes (ring open, [lon, lat] corners).
   */
  constructor(map, { neighbours, onChange }) {
    this.map = map;
    this.onChange = onChange;
    const snapping = {
      toCoordinate: true,
      toCustom: (event) => nearestVertex(event.containerX, event.containerY, neighbours(), (v) => map.project(v)),
    };
    this.draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new TerraDrawPolygonMode({
          snapping,
          pointerDistance: 30, // fingers, not mouse pointers
          styles: { fillColor: '#ffeb3b', fillOpacity: 0.3, outlineColor: '#d32f2f', outlineWidth: 3, closingPointWidth: 8 },
        }),
        new TerraDrawSelectMode({
          pointerDistance: 30,
          flags: {
            polygon: {
              feature: {
                coordinates: { draggable: true, midpoints: true, deletable: true, snappable: snapping },
              },
            },
          },
          styles: { selectedPolygonColor: '#ffeb3b', selectedPolygonOutlineColor: '#d32f2f', selectedPolygonOutlineWidth: 3 },
        }),
      ],
      undoRedo: { modeLevel: new TerraDrawModeUndoRedo(), sessionLevel: new TerraDrawSessionUndoRedo() },
    });
    this.started = false;
    this.draw.on('change', () => this.onChange(this.ring()));
    this.draw.on('finish', (id, context) => {
      if (context.action === 'draw') {
        this.draw.setMode('select');
        this.draw.selectFeature(id);
      }
      this.onChange(this.ring());
    });
  }

  /** Starts drawing a new boundary (what was there is removed). */
  begin() {
    if (!this.started) {
      this.draw.start();
      this.started = true;
    }
    this.draw.clear();
    this.draw.setMode('polygon');
    this.onChange(null);
  }

  /** Opens an existing ring (a draft) for editing. */
  edit(ring) {
    this.begin();
    // Terra Draw holds coordinates to 9 decimals (0.1 mm) and refuses finer ones.
    const round = (v) => Math.round(v * 1e9) / 1e9;
    const corners = ring.map(([lon, lat]) => [round(lon), round(lat)]);
    const closed = [...corners, corners[0]];
    const [result] = this.draw.addFeatures([{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [closed] }, properties: { mode: 'polygon' } }]);
    if (result?.valid) {
      this.draw.setMode('select');
      this.draw.selectFeature(result.id);
    }
    this.onChange(this.ring());
  }

  /** The finished boundary's corners, or the corners tapped so far while drawing; null if none. */
  ring() {
    if (!this.started) return null;
    const feature = this.draw.getSnapshot().find((f) => f.geometry.type === 'Polygon');
    if (!feature) return null;
    const ring = feature.geometry.coordinates[0];
    return ring.length > 1 ? ring.slice(0, -1) : ring;
  }

  /** Whether the polygon is closed (drawing finished), rather than still being tapped. */
  finished() {
    return this.started && this.draw.getMode() === 'select' && this.ring() !== null;
  }

  undo() {
    if (this.started) this.draw.undo();
    this.onChange(this.ring());
  }

  redo() {
    if (this.started) this.draw.redo();
    this.onChange(this.ring());
  }

  canUndo() { return this.started && this.draw.canUndo(); }
  canRedo() { return this.started && this.draw.canRedo(); }

  clear() {
    if (this.started) this.draw.clear();
    this.onChange(null);
  }
}
