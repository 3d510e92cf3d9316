// Type declarations for the datalite package (API.md sections 3-5 and 8).

export type ErrorCode =
  | "parse-error" | "schema-violation" | "unique-conflict" | "type-mismatch" | "cas-failed"
  | "not-found" | "invalid-input" | "store-error" | "closed" | "limit-exceeded";

export class DataliteError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
}
export const ERROR_CODES: readonly ErrorCode[];

export class Keyword {
  readonly name: string;
  toString(): string;
}
export class Uuid {
  readonly text: string;
  toString(): string;
}
export function kw(name: string): Keyword;
export function uuid(text: string): Uuid;
export function sym(name: string): unknown;

/** A datom as results return it: `a` is the attribute keyword (":person/name"). */
export interface Datom {
  e: number;
  a: string;
  v: any;
  tx: number;
  added: boolean;
}

export type EntityRef = number | string | [string | Keyword, unknown] | Keyword | Entity;
export type IndexName = "eavt" | "aevt" | "avet" | "vaet";
export type Schema = Record<string, Record<string, unknown>> | string;
export type TxData = any[] | string;
/** Attributes asserted on the transaction entity: an object or an EDN map string. */
export type TxMeta = Record<string, unknown> | string;

export interface TxReport {
  dbBefore: Db;
  dbAfter: Db;
  txData: Datom[];
  tempids: Record<string, number>;
  tx: number;
}

export type StoreConfig =
  | { backend: "memory"; id?: string }
  | { backend: "file"; path: string; /** open without the writer lock; writes fail with store-error */ readOnly?: boolean }
  | { backend: "indexeddb"; name: string; options?: Record<string, unknown> }
  | { backend: "sqlite"; path?: string; vfs?: string; options?: Record<string, unknown> }
  // API.md spells this `{ backend: "tiered"; frontend: StoreConfig; backend: StoreConfig }`,
  // a duplicate key (in a JS object literal the second `backend` wins). A
  // config with a `frontend` and an object `backend` is tiered.
  | { frontend: StoreConfig; backend: StoreConfig };

export interface Config {
  schema?: Schema;
  store?: StoreConfig;
  keepHistory?: boolean;
  durability?: "strict" | "relaxed" | "none";
  branchingFactor?: number;
  cacheBytes?: number;
  // Durable stores: checkpoint the index nodes after this many tail
  // transactions (default 256).
  tailMaxTxs?: number;
  /** Engine-wide limits, set when connecting (see setLimits). */
  limits?: Limits;
}

export interface InitOptions {
  wasmModule?: WebAssembly.Module;
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (file: string) => string;
  /** Use the -pthread build where possible (default: yes when SharedArrayBuffer works). */
  threads?: boolean;
  /** Engine-wide limits to set once loaded (see setLimits). */
  limits?: Limits;
}

export class Entity {
  readonly id: number;
  readonly db: Db;
  get(attr: string | Keyword): any;
  touch(): Record<string, any>;
  toJSON(): Record<string, any>;
}

export class Db {
  private constructor();
  q(query: string, ...inputs: unknown[]): any;
  explain(query: string, ...inputs: unknown[]): any;
  pull(pattern: string, eid: EntityRef): Record<string, any> | null;
  pullMany(pattern: string, eids: EntityRef[]): (Record<string, any> | null)[];
  entity(eid: EntityRef): Entity | null;
  datoms(index: IndexName, ...components: unknown[]): Datom[];
  seekDatoms(index: IndexName, ...components: unknown[]): IterableIterator<Datom>;
  indexRange(attr: string | Keyword, start: unknown, end: unknown): Datom[];
  with(txData: TxData, txMeta?: TxMeta): Db;
  asOf(t: number | Date): Db;
  since(t: number | Date): Db;
  history(): Db;
  entid(identOrLookupRef: EntityRef): number | null;
  schema(): Record<string, Record<string, any>>;
  readonly maxTx: number;
  readonly maxEid: number;
  readonly count: number;
  readonly disposed: boolean;
  serialize(): Uint8Array;
  toSerializable(): object;
  toEDN(): string;
  dispose(): void;
}

export class Connection {
  private constructor();
  db(): Db;
  transact(txData: TxData, txMeta?: TxMeta): Promise<TxReport>;
  transactAsync(txData: TxData, txMeta?: TxMeta): Promise<TxReport>;
  listen(callback: (report: TxReport) => void): () => void;
  registerFn(name: string, fn: (db: Db, ...args: any[]) => any[]): void;
  load(datoms: ({ e: number; a: string; v: unknown; tx?: number } | [number, string, unknown, number?])[]): Promise<void>;
  gc(opts?: { keepHistorySince?: Date }): Promise<{ removed: number }>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): {
    datoms: number; nodes: number; storedBytes: number; cacheBytes: number;
    lastCommit?: { nodesWritten: number; bytesWritten: number; checkpoint: boolean } | null;
    durability?: "strict" | "relaxed" | "none";
    [key: string]: unknown;
  };
}

export function init(opts?: InitOptions): Promise<void>;
export function connect(config?: Config): Promise<Connection>;
export function createDatabase(config: Config): Promise<void>;
export function deleteDatabase(config: Config): Promise<void>;
export function databaseExists(config: Config): Promise<boolean>;

export function q(query: string, ...sourcesAndInputs: unknown[]): any;
export function pull(db: Db, pattern: string, eid: EntityRef): Record<string, any> | null;
export function pullMany(db: Db, pattern: string, eids: EntityRef[]): (Record<string, any> | null)[];
export function emptyDb(schema?: Schema, options?: { keepHistory?: boolean }): Db;
export function dbWith(db: Db, txData: TxData, txMeta?: TxMeta): Db;
export function initDb(
  datoms: ({ e: number; a: string; v: unknown; tx?: number } | [number, string, unknown, number?])[],
  schema?: Schema,
  options?: { keepHistory?: boolean },
): Db;
export function fromSerializable(obj: object | string): Db;
export function deserialize(bytes: Uint8Array): Db;
export function fromEDN(text: string): Db;
export function engineStats(): { liveDbs: number; liveCursors: number; heapBytes: number; variant: "st" | "mt" };

/** Engine-wide limits (README "Limits"); past one a call fails with limit-exceeded. */
export interface Limits {
  /** Heap ceiling in bytes; null: none below the wasm maximum (2 GiB). */
  maxMemoryBytes?: number | null;
  maxQueryRows?: number;
  maxRuleSteps?: number;
  maxPullDepth?: number;
  maxPullEntities?: number;
  maxResultBytes?: number;
}
/** Sets the given limits (others unchanged) and returns all limits in force. */
export function setLimits(limits: Limits): Required<Limits>;
export function getLimits(): Required<Limits>;

export interface RestoreMetrics {
  datomsRead: number; datomsWritten: number; pendingCount: number; batches: number;
  lastTxMs: number; avgTxMs: number; batchEfficiency: number; utilizationPct: number; elapsedMs: number;
}
export interface RestoreOptions {
  source: Db | Connection | Config;
  dest: Config;
  twoPass?: boolean;
  maxBatchSize?: number;
  readParallelism?: number;
  readChunk?: number;
  txParallelism?: number;
  /** Called with the metrics every 10 batches and at the end; a throw stops the restore, which rejects with it. */
  onProgress?: (m: RestoreMetrics) => void;
  /** On a browser page restore() runs in a dedicated Worker (the page's thread
   *  only receives progress); `inline: true` runs it on the page instead
   *  (blocking it for the whole restore). Node and workers always run inline. */
  inline?: boolean;
}
export type RestoreReport = RestoreMetrics & {
  finalPendingCount: 0;
  durationSec: number;
  oldToNew?: (oldEid: number) => number;
  /** Set when the restore ran in a Worker (browser pages): its engine build
   *  and the time to start the worker and load that engine. */
  inWorker?: boolean;
  variant?: "st" | "mt";
  workerStartMs?: number;
};
export function restore(options: RestoreOptions): Promise<RestoreReport>;
