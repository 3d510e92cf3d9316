// TieredStore: a fast frontend store over a durable backend (Datahike's
// tiered store). Writes go to both (write-through); reads try the frontend
// first and copy what they find in the backend into it. sync() syncs the
// backend, then the frontend. Either side can be any store.
export class TieredStore {
  constructor(frontend, backend) {
    this.frontend = frontend;
    this.backend = backend;
    // A fresh frontend learns the backend's root.
    const root = backend.readRoot();
    if (root && !frontend.readRoot()) {
      frontend.writeRoot(root);
      frontend.sync();
    }
  }

  get(addr) {
    const hit = this.frontend.get(addr);
    if (hit) return hit;
    const bytes = this.backend.get(addr);
    if (bytes) this.frontend.put(addr, bytes);
    return bytes ?? null;
  }
  put(addr, bytes) {
    this.backend.put(addr, bytes);
    this.frontend.put(addr, bytes);
  }
  del(addrs) {
    this.backend.del(addrs);
    this.frontend.del(addrs);
  }
  list() {
    return this.backend.list();
  }
  readRoot() {
    return this.frontend.readRoot() ?? this.backend.readRoot();
  }
  writeRoot(bytes) {
    this.backend.writeRoot(bytes);
    this.frontend.writeRoot(bytes);
  }
  sync() {
    this.backend.sync();
    this.frontend.sync();
  }
  async whenDurable() {
    await this.backend.whenDurable?.();
  }
  stats() {
    const back = this.backend.stats?.() ?? {};
    const front = this.frontend.stats?.() ?? {};
    return { ...back, frontendNodes: front.nodes, frontendBytes: front.storedBytes };
  }
  close() {
    try {
      this.backend.close?.();
    } finally {
      this.frontend.close?.();
    }
  }
}
