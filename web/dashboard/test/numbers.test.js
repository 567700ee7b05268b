// The dashboard's arithmetic (Vitest): the share of plots at or past a stage, its colour
// classes (the same in the legend, the table and the map's expression), rai, levels.
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { NO_PLOTS, SHARE_STEPS, levelUnder, rai, reached, reachedShare, shareColour, shareExpression } from '../src/numbers.js';
import { keys } from '../src/words.js';

const stages = ['surveyed', 'digging', 'planting', 'complete'];

test('plots at or past a stage, and their share', () => {
  const row = { plots: 10, by_stage: { surveyed: 4, digging: 3, planting: 2, complete: 1 } };
  assert.equal(reached(row, stages, 'surveyed'), 10);
  assert.equal(reached(row, stages, 'planting'), 3);
  assert.equal(reached(row, stages, 'complete'), 1);
  assert.equal(reached(row, stages, 'unknown'), 0);
  assert.equal(reachedShare(row, stages, 'digging'), 0.6);
  assert.equal(reachedShare({ plots: 0, by_stage: {} }, stages, 'complete'), null);
});

test('colour classes: lower bounds, no plots grey, and the map expression agrees', () => {
  assert.equal(shareColour(null), NO_PLOTS);
  assert.equal(shareColour(0), SHARE_STEPS[0][1]);
  assert.equal(shareColour(0.19), SHARE_STEPS[0][1]);
  assert.equal(shareColour(0.2), SHARE_STEPS[1][1]);
  assert.equal(shareColour(1), SHARE_STEPS[4][1]);
  const expr = shareExpression();
  assert.equal(expr[0], 'step');
  assert.equal(expr[2], NO_PLOTS); // the -1 of "no plots" is below every step
  assert.deepEqual(expr.slice(3), SHARE_STEPS.flat());
});

test('rai, levels, and the same words in both languages', () => {
  assert.equal(rai(1600), 1);
  assert.equal(rai(4850), 3);
  assert.equal(levelUnder(null), 1);
  assert.equal(levelUnder('64'), 2);
  assert.equal(levelUnder('6401'), 3);
  assert.deepEqual(keys('en').sort(), keys('th').sort());
});
