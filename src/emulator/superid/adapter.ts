/** oidc-provider storage for one emulator: plain maps with expiry (nothing survives a restart). */

interface Stored {
  payload: Record<string, unknown>;
  expiresAt: number;
}

export function memoryAdapterFactory(): new (name: string) => unknown {
  const stores = new Map<string, Map<string, Stored>>();
  const grants = new Map<string, Set<string>>();
  const uidIndex = new Map<string, string>();
  const userCodes = new Map<string, string>();
  return class MemoryAdapter {
    readonly name: string;
    readonly store: Map<string, Stored>;
    constructor(name: string) {
      this.name = name;
      let s = stores.get(name);
      if (!s) {
        s = new Map();
        stores.set(name, s);
      }
      this.store = s;
    }
    #key(id: string): string {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn: number): Promise<void> {
      this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      const grantId = payload['grantId'];
      if (typeof grantId === 'string') {
        let g = grants.get(grantId);
        if (!g) {
          g = new Set();
          grants.set(grantId, g);
        }
        g.add(this.#key(id));
      }
      if (typeof payload['uid'] === 'string') uidIndex.set(`${this.name}:${payload['uid']}`, id);
      if (typeof payload['userCode'] === 'string') userCodes.set(`${this.name}:${payload['userCode']}`, id);
    }
    async find(id: string): Promise<Record<string, unknown> | undefined> {
      const s = this.store.get(id);
      if (!s) return undefined;
      if (s.expiresAt < Date.now()) {
        this.store.delete(id);
        return undefined;
      }
      return s.payload;
    }
    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      const id = uidIndex.get(`${this.name}:${uid}`);
      return id ? this.find(id) : undefined;
    }
    async findByUserCode(code: string): Promise<Record<string, unknown> | undefined> {
      const id = userCodes.get(`${this.name}:${code}`);
      return id ? this.find(id) : undefined;
    }
    async consume(id: string): Promise<void> {
      const s = this.store.get(id);
      if (s) s.payload['consumed'] = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      this.store.delete(id);
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grants.get(grantId) ?? []) {
        const i = key.indexOf(':');
        stores.get(key.slice(0, i))?.delete(key.slice(i + 1));
      }
      grants.delete(grantId);
    }
  };
}
