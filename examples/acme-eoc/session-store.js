// Where express-openid-connect keeps sessions. Left to itself the library encrypts the whole
// session (id, access and refresh token) into the cookie; with a store the cookie carries only a
// signed random id and the tokens stay on this server. This store is a Map with expiry: enough
// for one instance. Several instances need a shared store (Redis and the like) with this API.

export class MemorySessionStore {
  #entries = new Map(); // id -> { json, expires }
  #sweeper;

  constructor({ sweepEveryMs = 60_000 } = {}) {
    this.#sweeper = setInterval(() => this.#sweep(), sweepEveryMs);
    this.#sweeper.unref();
  }

  #sweep() {
    const now = Date.now();
    for (const [id, entry] of this.#entries) if (entry.expires <= now) this.#entries.delete(id);
  }

  // The library calls these with Node-style callbacks.
  get(id, callback) {
    const entry = this.#entries.get(id);
    if (!entry || entry.expires <= Date.now()) {
      this.#entries.delete(id);
      return callback(null, undefined);
    }
    // A copy per request: a request sees its own session until it writes it back.
    return callback(null, JSON.parse(entry.json));
  }

  set(id, session, callback) {
    const expires = Number(session?.cookie?.expires) || Date.now() + 3600_000;
    this.#entries.set(id, { json: JSON.stringify(session), expires });
    callback(null);
  }

  destroy(id, callback) {
    this.#entries.delete(id);
    callback(null);
  }

  get size() {
    return this.#entries.size;
  }

  close() {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }
}
