// The field app's outbox: every create, edit, stage change and photo is written here first
// (IndexedDB in the app; any store with the same four methods in tests) and removed only when
// the server has confirmed it. Each operation keeps one Idempotency-Key for all its retries,
// so an answer lost on the way back never becomes a duplicate; edits carry the plot version
// they were based on (If-Match), chained through the versions the server returns, so a real
// conflict (someone else changed the plot) stops that plot's queue instead of overwriting.
//
// store: { all(): Promise<op[]>, put(op): Promise, remove(id): Promise, putAll?(ops): Promise }
// send(op): Promise<{ status, version?, id?, body? }>; throws when the network fails.

const MAX_BACKOFF_MS = 5 * 60 * 1000;

export class Outbox {
  constructor(store, send, { now = () => Date.now(), newKey = () => crypto.randomUUID(), random = Math.random } = {}) {
    this.store = store;
    this.send = send;
    this.now = now;
    this.newKey = newKey;
    this.random = random;
    this.running = null;
  }

  /**
   * Queues an operation: { kind, plot (the plot's client uid), baseVersion?, body }. It is in
   * the store before this resolves.
   */
  async add(op) {
    return (await this.addAll([op]))[0];
  }

  /**
   * Queues operations together, in order: all of them or, when the store refuses (the phone's
   * storage is full), none, so a progress event is never kept without the photos it was saved
   * with. The store's putAll, when it has one, writes them in one transaction.
   */
  async addAll(ops) {
    let seq = (await this.store.all()).reduce((m, o) => Math.max(m, o.seq), 0);
    const stored = ops.map((op) => ({
      ...op,
      key: this.newKey(),
      createdAt: this.now(),
      seq: (seq += 1),
      attempts: 0,
      state: 'waiting',
      nextAttemptAt: 0,
    }));
    if (this.store.putAll) {
      await this.store.putAll(stored);
    } else {
      for (const op of stored) await this.store.put(op);
    }
    return stored;
  }

  /** Everything not yet confirmed, oldest first. */
  async pending() {
    return (await this.store.all()).sort((a, b) => a.seq - b.seq);
  }

  /**
   * Sends what is due, in order, once; at most one run at a time. Returns
   * { sent, waiting, conflicts, failed, signedOut }.
   */
  sync() {
    if (!this.running) this.running = this.run().finally(() => { this.running = null; });
    return this.running;
  }

  async run() {
    const result = { sent: 0, waiting: 0, conflicts: 0, failed: 0, signedOut: false };
    const blocked = new Set(); // plots whose queue stops (an earlier op is unsent or in conflict)
    const queue = await this.pending();
    for (const [i, op] of queue.entries()) {
      if (blocked.has(op.plot) || op.state === 'conflict' || op.state === 'failed' || op.nextAttemptAt > this.now() ||
          result.signedOut) {
        if (op.state === 'conflict') result.conflicts += 1;
        else if (op.state === 'failed') result.failed += 1;
        else result.waiting += 1;
        blocked.add(op.plot);
        continue;
      }
      let answer;
      try {
        answer = await this.send(op);
      } catch (networkError) {
        op.attempts += 1;
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (op.attempts - 1)) * (0.5 + this.random());
        op.nextAttemptAt = this.now() + delay;
        op.lastError = String(networkError?.message ?? networkError);
        await this.store.put(op);
        result.waiting += 1;
        blocked.add(op.plot);
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        await this.store.remove(op.key);
        result.sent += 1;
        await this.rebase(queue.slice(i + 1), op.plot, answer);
      } else if (answer.status === 401) {
        result.signedOut = true; // the session ended: everything stays until the officer signs in again
        result.waiting += 1;
      } else if (answer.status === 412) {
        op.state = 'conflict';
        op.server = answer.body;
        await this.store.put(op);
        result.conflicts += 1;
        blocked.add(op.plot);
      } else if (answer.status >= 500 || answer.status === 429 || answer.status === 408) {
        op.attempts += 1;
        op.nextAttemptAt = this.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (op.attempts - 1)) * (0.5 + this.random());
        op.lastError = `HTTP ${answer.status}`;
        await this.store.put(op);
        result.waiting += 1;
        blocked.add(op.plot);
      } else {
        op.state = 'failed'; // the server refused it (400, 403, 422): kept for the officer to fix
        op.lastStatus = answer.status;
        op.lastError = answer.body?.detail ?? `HTTP ${answer.status}`;
        await this.store.put(op);
        result.failed += 1;
        blocked.add(op.plot);
      }
    }
    return result;
  }

  /** After a confirmed write, later operations on the same plot build on the version it made. */
  async rebase(laterOps, plot, answer) {
    if (answer.version === undefined && answer.id === undefined) return;
    for (const later of laterOps) {
      if (later.plot !== plot) continue;
      if (answer.version !== undefined) later.baseVersion = answer.version;
      if (answer.id !== undefined) later.plotId = answer.id;
      await this.store.put(later);
    }
  }

  /**
   * Ends the back-off of operations waiting after network errors (the signal is back, or the
   * officer taps "send now"): the next sync tries them at once. Refusals and conflicts stay.
   */
  async retryNow() {
    for (const op of await this.store.all()) {
      if (op.state === 'waiting' && op.nextAttemptAt > 0) await this.store.put({ ...op, nextAttemptAt: 0 });
    }
  }

  /**
   * A conflict resolved by the officer: the op goes again, based on the server's version
   * (`base`: the values it now builds on), under a new key since it is a new request. It keeps
   * its place in the queue.
   */
  async resolve(key, { body, baseVersion, base }) {
    const op = (await this.store.all()).find((o) => o.key === key);
    if (!op) return;
    Object.assign(op, { body, baseVersion, state: 'waiting', attempts: 0, nextAttemptAt: 0, key: this.newKey() });
    if (base !== undefined) op.base = base;
    delete op.server;
    delete op.lastError;
    await this.store.put(op);
    await this.store.remove(key);
  }

  /** An operation the officer gave up (a refusal they cannot fix); the plot's queue goes on. */
  async discard(key) {
    await this.store.remove(key);
  }
}

/** An in-memory store with the outbox's interface (tests; the app uses IndexedDB). */
export function memoryStore() {
  const ops = new Map();
  return {
    async all() { return [...ops.values()].map((o) => structuredClone(o)); },
    async put(op) { ops.set(op.key, structuredClone(op)); },
    async remove(key) { ops.delete(key); },
  };
}
