// What the app keeps on the phone, in IndexedDB (idb): the outbox (every operation until the
// server confirms it) and the draft of the plot being entered, saved at every keystroke, so
// neither a closed tab nor a flat battery loses an officer's work.
import { openDB } from 'idb';

const dbPromise = openDB('plotmap', 1, {
  upgrade(db) {
    db.createObjectStore('outbox', { keyPath: 'key' });
    db.createObjectStore('drafts', { keyPath: 'id' });
  },
});

/** The outbox's store (see outbox.js: all, put, remove). */
export const outboxStore = {
  async all() { return (await dbPromise).getAll('outbox'); },
  async put(op) { await (await dbPromise).put('outbox', op); },
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
