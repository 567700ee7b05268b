// What an edit changes, and what to do when someone else changed the plot first. An edit is
// sent as a JSON merge patch of the fields the officer changed (so the server keeps whatever
// else happened meanwhile); on a 412 each of those fields is shown with the officer's value and
// the server's, and the officer keeps theirs, takes the server's, or picks field by field.

/** The fields of the plot form, in the order the form and the conflict table show them. */
export const EDIT_FIELDS = ['program', 'name', 'owner_name', 'owner_phone', 'village_no', 'deed_type', 'deed_no',
  'declared_area_rai', 'stage', 'budget_year', 'notes', 'adm1', 'adm2', 'adm3', 'pin', 'boundary'];

// Values compare structurally (member order does not matter) and numbers to 1e-8 (a millimetre
// in degrees): the boundary editor rounds what it gives back, and an untouched boundary is not
// an edit.
function same(a, b) {
  a ??= null;
  b ??= null;
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-8;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
  }
  return a === b;
}

/** The merge patch from `before` to `after` (both { field: value }): changed fields only, null clears. */
export function editPatch(before, after) {
  const patch = {};
  for (const f of EDIT_FIELDS) {
    if (!(f in after)) continue;
    if (!same(before[f], after[f])) patch[f] = after[f] ?? null;
  }
  return patch;
}

/**
 * The rows of a conflict: for each field the officer changed, their value, the value they
 * started from and the server's now. `clash` is true when the server changed it too (to
 * something else); a field only the officer changed is theirs without asking.
 */
export function conflictRows(patch, base, server) {
  return Object.keys(patch).map((field) => {
    const theirs = server?.[field] ?? null;
    const clash = !same(base?.[field], theirs) && !same(patch[field], theirs);
    return { field, mine: patch[field], base: base?.[field] ?? null, theirs, clash };
  });
}

/**
 * The patch to send again after the officer chose (`choice[field]` is 'mine' or 'theirs';
 * a field without a choice is the officer's). Fields taken from the server are left out, so
 * they stay as the server has them. An empty patch means nothing is left to send.
 */
export function resolvedPatch(patch, choice) {
  return Object.fromEntries(Object.entries(patch).filter(([field]) => (choice[field] ?? 'mine') === 'mine'));
}

/** The plot's editable fields as the form holds them, from its JSON. */
export function editableValues(plot) {
  const v = {};
  for (const f of EDIT_FIELDS) v[f] = plot[f] ?? null;
  if (plot.boundary?.type === 'MultiPolygon') v.boundary = plot.boundary; // kept as it is unless redrawn
  return v;
}
