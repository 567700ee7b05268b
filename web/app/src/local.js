// What the app keeps on the phone, in IndexedDB (idb): the outbox (every operation until the
// server confirms it), the districts downloaded for offline use, and the draft of the plot being entered, saved at every keystroke, so
// neither a closed tab nor a flat battery loses an officer's work.
import { openDB } from 'idb';

const dbPromise = openDB('plotmap', 2, {
  upgrade(db, oldVersion) {
    if (oldVersion < 1) {
      db.createObjectStore('outbox', { keyPath: 'key' });
      db.createObjectStore('drafts', { keyPath: 'id' });
    }
    if (oldVersion < 2) db.createObjectStore('areas', { keyPath: 'code' }); // districts kept for offline (offline.js)
  },
});

/** The outbox's store (see outbox.js: all, put, remove). */
export const outboxStore = {
  async all() { return (await dbPromise).getAll('outbox'); },
  async put(op) { await (await dbPromise).put('outbox', op); },
  /** One transaction: all the operations are stored, or (storage full) none. */
  async putAll(ops) {
    const tx = (await dbPromise).transaction('outbox', 'readwrite');
    await Promise.all([...ops.map((op) => tx.store.put(op)), tx.done]);
  },
  async remove(key) { await (await dbPromise).delete('outbox', key); },
};

export async function loadDraft(id) {
  return (await (await dbPromise).get('drafts', id))?.value ?? null;
}

export async function saveDraft(id, value) {
  await (await dbPromise).put('drafts', { id, value, savedAt: Date.now() });
}

export async function dropDraft(id) {
  await (await dbPromise).delete('drafts', id);
}

/** Districts downloaded for offline use (see offline.js), each with its plots. */
export async function loadAreas() {
  return (await dbPromise).getAll('areas');
}

export async function saveArea(area) {
  await (await dbPromise).put('areas', area);
}
