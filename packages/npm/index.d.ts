// Type definitions for crdt-merge-wasm (hand-written).
//
// Frames are `Uint8Array`s in the binary wire format of the Python package
// crdt-merge 0.8.3. JSON views are plain objects: the canonical view
// `{ type, value }` of wire-spec/SPEC.md section 4 (bytes, sets, non-string
// keys and non-finite floats appear as `{"$bytes"}`, `{"$set"}`, `{"$map"}`,
// `{"$float"}` objects).
//
// Values passed to methods (register values, set elements, sketch items,
// facts) may be: null/undefined, boolean, number (an integral number is an
// int, others are floats), bigint, string, Uint8Array (bytes), arrays, Set,
// Map and plain objects. Values returned map back the same way.

/** Any value a CRDT can hold. */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Value[]
  | Set<Value>
  | Map<Value, Value>
  | { [key: string]: Value };

/** A canonical JSON view envelope. */
export interface JsonView<T extends string = string> {
  type: T;
  value: unknown;
}

/** Error codes: the core's stable error categories plus binding codes. */
export type ErrorCode =
  | 'truncated'
  | 'bad_magic'
  | 'unsupported_version'
  | 'unknown_type_tag'
  | 'unknown_flags'
  | 'length_mismatch'
  | 'limit_exceeded'
  | 'decompress'
  | 'unknown_value_tag'
  | 'invalid_utf8'
  | 'trailing_bytes'
  | 'json'
  | 'shape'
  | 'wrong_type'
  | 'batch'
  | 'parameter_mismatch'
  | 'type_mismatch'
  | 'unsupported'
  | 'empty'
  | 'invalid'
  /** a memory object was rejected (ContextMerge) */
  | 'memory'
  /** a bad argument to a constructor or method */
  | 'invalid_argument'
  /** the object was used after free() */
  | 'freed'
  /** a bug in crdt-merge-wasm (a Rust panic); please report it */
  | 'internal';

/** Every error this package throws. */
export class CrdtMergeError extends Error {
  readonly name: 'CrdtMergeError';
  /** Stable machine-readable category. */
  readonly code: ErrorCode | string;
}

/** Result of {@link wireSize}: the reference's `wire_size` dict. */
export interface WireSize {
  total_bytes: number;
  header_bytes: number;
  payload_bytes: number;
  compressed: boolean;
  protocol_version: number;
  type_name: string;
}

/**
 * Any decoded object. Objects of the other wire types (delta, generic,
 * dotted_version_vector, merkle_tree, gossip_state, ...) are plain
 * `CrdtObject`s. Each object owns wasm memory: call `free()` when done (a
 * FinalizationRegistry also reclaims unreachable objects, eventually).
 */
export class CrdtObject {
  protected constructor();
  /** The wire type name (`peekType` name), e.g. `"g_counter"`. */
  readonly type: string;
  /** Whether `free()` was called. */
  readonly freed: boolean;
  /** Merge with an object of the same type into a NEW object (inputs unchanged). */
  merge(other: this): this;
  /** Canonical JSON view `{ type, value }` (integers beyond 2^53 lose precision; see toJSONString). */
  toJSON(): JsonView;
  /** Canonical JSON view as exact JSON text. */
  toJSONString(): string;
  /** The payload (the reference's `to_dict()`), with JS values. */
  toDict(): unknown;
  /** Encode as a frame. */
  serialize(compress?: boolean): Uint8Array;
  clone(): this;
  /** Same state (the core's equality). */
  equals(other: CrdtObject): boolean;
  /** Release the wasm memory now. Idempotent; later use throws `freed`. */
  free(): void;
  [Symbol.dispose](): void;
  /** Rebuild from a canonical JSON view (object or JSON text). On a subclass, checks the type. */
  static fromJSON<T extends CrdtObject>(this: { prototype: T }, view: JsonView | string): T;
  /** Decode a frame. On a subclass, checks the type. */
  static deserialize<T extends CrdtObject>(this: { prototype: T }, bytes: Uint8Array): T;
}

/** Grow-only counter. */
export class GCounter extends CrdtObject {
  constructor(nodeId?: string, initial?: number);
  readonly value: number;
  increment(nodeId: string, amount?: number): void;
  get(nodeId: string): number;
  counts(): Record<string, number>;
}

/** Positive-negative counter. */
export class PNCounter extends CrdtObject {
  constructor();
  readonly value: number;
  increment(nodeId: string, amount?: number): void;
  decrement(nodeId: string, amount?: number): void;
}

/** Last-writer-wins register. Timestamps are seconds (default `Date.now() / 1000`). */
export class LWWRegister<T extends Value = Value> extends CrdtObject {
  constructor(value?: T, timestamp?: number, nodeId?: string);
  readonly value: T;
  readonly timestamp: number;
  readonly nodeId: string;
  get(): T;
  set(value: T, timestamp?: number, nodeId?: string): void;
}

/** Observed-remove set (add wins). */
export class ORSet<T extends Value = Value> extends CrdtObject {
  constructor();
  /** Live elements, sorted. */
  readonly value: T[];
  /** Adds with a fresh random tag (12 hex chars, from crypto.getRandomValues) and returns it. */
  add(element: T): string;
  remove(element: T): void;
  contains(element: T): boolean;
  has(element: T): boolean;
}

/** Map of LWW registers with tombstones. */
export class LWWMap<T extends Value = Value> extends CrdtObject {
  constructor();
  readonly value: Record<string, T>;
  set(key: string, value: T, timestamp?: number, nodeId?: string): void;
  get<D = null>(key: string, dflt?: D): T | D;
  delete(key: string, timestamp?: number): void;
}

/** HyperLogLog cardinality sketch (hashes compatible with the reference). */
export class MergeableHLL extends CrdtObject {
  /** `precision` 4..18, default 14. */
  constructor(precision?: number);
  readonly precision: number;
  add(item: Value): void;
  addAll(items: Iterable<Value>): void;
  cardinality(): number;
  standardError(): number;
}

/** Bloom filter. */
export class MergeableBloom extends CrdtObject {
  constructor(capacity?: number, fpRate?: number);
  add(item: Value): void;
  addAll(items: Iterable<Value>): void;
  contains(item: Value): boolean;
  has(item: Value): boolean;
  estimatedFpRate(): number;
  readonly count: number;
  readonly size: number;
  readonly numHashes: number;
  readonly capacity: number;
  readonly fpRate: number;
}

/** Count-min sketch (merge is the cell-wise max, as the reference). */
export class MergeableCMS extends CrdtObject {
  constructor(width?: number, depth?: number);
  add(item: Value, count?: number): void;
  addAll(items: Iterable<Value>): void;
  estimate(item: Value): number;
  readonly total: number;
  readonly width: number;
  readonly depth: number;
}

export type Causality = 'before' | 'after' | 'equal' | 'concurrent';

/** Vector clock. */
export class VectorClock extends CrdtObject {
  constructor(clocks?: Record<string, number> | Map<string, number>);
  readonly value: Record<string, number>;
  get(nodeId: string): number;
  /** A NEW clock with `nodeId` incremented (as the reference). */
  increment(nodeId: string): VectorClock;
  compare(other: VectorClock): Causality;
}

/** A fact of an {@link AgentState}. */
export interface Fact {
  value: Value;
  confidence: number;
  source_agent: string;
  timestamp: number;
}

/** A message of an {@link AgentState}'s log. */
export interface AgentMessage {
  content: Value;
  role: string;
  agent_id: string;
  timestamp: number;
  seq: number;
  metadata: Record<string, Value>;
}

/** CRDT state of one AI agent: facts (LWW), tags (OR-set), counters, message log. */
export class AgentState extends CrdtObject {
  constructor(agentId: string);
  readonly agentId: string;
  addFact(key: string, value: Value, confidence?: number, timestamp?: number): void;
  deleteFact(key: string, timestamp?: number): void;
  getFact<D = null>(key: string, dflt?: D): Fact | D;
  listFacts(): Record<string, Fact>;
  addTag(tag: string): void;
  removeTag(tag: string): void;
  hasTag(tag: string): boolean;
  readonly tags: string[];
  increment(name: string, amount?: number): void;
  decrement(name: string, amount?: number): void;
  counterValue(name: string): number;
  appendMessage(message: Value, role?: string, metadata?: Record<string, Value> | null, timestamp?: number): void;
  readonly messages: AgentMessage[];
}

/** A memory: `fact` is required; any other key is kept as metadata. */
export interface Memory {
  fact: string;
  confidence?: number;
  source?: string;
  ts?: number;
  topic?: string;
  tags?: string[];
  [metadata: string]: unknown;
}

/** The manifest of a memory merge (the reference's ContextManifest + content_hash). */
export interface ContextManifest {
  manifest_id: string;
  created_at: number;
  source_agents: string[];
  total_memories: number;
  unique_memories: number;
  duplicates_removed: number;
  conflicts_resolved: number;
  strategy_used: string;
  quality_score: number;
  provenance_chain: unknown[];
  content_hash: string;
  [key: string]: unknown;
}

export interface MergeOutcome {
  /** Surviving memories, sorted by fact. */
  memories: Memory[];
  manifest: ContextManifest;
}

export type Strategy = 'lww' | 'max_confidence' | 'priority' | 'union';

export interface ContextMergeOptions {
  strategy?: Strategy;
  /** Keep at most this many memories (highest confidence first); null = unlimited. */
  budget?: number | null;
  /** Drop memories whose merged confidence is below this. */
  minConfidence?: number;
  /** Accepted for compatibility with the reference. */
  agentPriority?: Record<string, number> | Map<string, number> | null;
  /** Timestamp used for memories without `ts` and for the manifest (the clock is never read). Default 0. */
  now?: number;
}

/** Merge memory lists of several agents: dedup by fact, join duplicates, filter, describe. */
export class ContextMerge {
  constructor(options?: ContextMergeOptions);
  readonly strategy: Strategy;
  readonly budget: number | null;
  readonly minConfidence: number;
  merge(a: Memory[], b: Memory[]): MergeOutcome;
  mergeMany(lists: Memory[][]): MergeOutcome;
  free(): void;
}

/** Encode an object as a frame. */
export function serialize(obj: CrdtObject, compress?: boolean): Uint8Array;
/** Decode a frame into an instance of the matching class (CrdtObject for other types). */
export function deserialize(bytes: Uint8Array): CrdtObject;
/** The type name of a frame, from its header. */
export function peekType(bytes: Uint8Array): string;
/** Size facts of a frame. */
export function wireSize(bytes: Uint8Array): WireSize;
/** Encode many objects as one batch. */
export function serializeBatch(objs: Iterable<CrdtObject>, compress?: boolean): Uint8Array;
/** Decode a batch. */
export function deserializeBatch(bytes: Uint8Array): CrdtObject[];
/** Merge objects of one type left to right into a new object. */
export function mergeAll<T extends CrdtObject>(objs: Iterable<T>): T;

/** One row: column name to cell value (JSON-representable). */
export type Row = Record<string, unknown>;
/** A strategy entry of the reference's `MergeSchema.to_dict()`. */
export interface StrategySpec {
  strategy: 'LWW' | 'MaxWins' | 'MinWins' | 'UnionSet' | 'Concat' | 'Priority' | 'LongestWins';
  separator?: string;
  dedup?: boolean;
  levels?: string[];
}
/** Options of `merge` (the reference's keyword arguments). */
export interface MergeOptions {
  /** Key column(s); null: no key (union then dedup). */
  key?: string | string[] | null;
  /** Conflict rule without schema or timestamps (default `"latest"`). */
  prefer?: 'a' | 'b' | 'latest';
  /** Timestamp column for last-writer-wins (default: `_ts` when present). */
  timestampCol?: string | null;
  /** Per-column strategies: `{ price: { strategy: 'MaxWins' }, __default__: { strategy: 'LWW' } }`. */
  schema?: Record<string, StrategySpec> | null;
  /** Drop exact duplicate rows (default true). */
  dedup?: boolean;
  /** Drop near-duplicate rows (default false). */
  fuzzyDedup?: boolean;
  /** Similarity threshold of the fuzzy pass (default 0.85). */
  fuzzyThreshold?: number;
}
/** One decided conflict. */
export interface Conflict {
  key: unknown;
  field: string;
  value_a: unknown;
  value_b: unknown;
  winner: unknown;
  source: string;
  strategy: string;
}
/** Result of `mergeWithProvenance`. */
export interface ProvenanceResult {
  rows: Row[];
  log: { total_rows: number; merged_rows: number; unique_a_rows: number; unique_b_rows: number; total_conflicts: number; conflicts: Conflict[]; [k: string]: unknown };
  summary: string;
  csv: string;
}
/** Keyed merge of two arrays of rows (plain objects or Maps); rows only on one side are kept. */
export function merge(a: Iterable<Row | Map<string, unknown>>, b: Iterable<Row | Map<string, unknown>>, options?: MergeOptions): Row[];
/** `merge` plus the per-field conflict log. */
export function mergeWithProvenance(a: Iterable<Row | Map<string, unknown>>, b: Iterable<Row | Map<string, unknown>>, options?: MergeOptions): ProvenanceResult;
/** Deep merge of two objects: B wins, null in B keeps A, nested objects merge, arrays union. */
export function mergeDicts<T extends object>(a: T, b: T): T;

declare const api: {
  CrdtMergeError: typeof CrdtMergeError;
  CrdtObject: typeof CrdtObject;
  GCounter: typeof GCounter;
  PNCounter: typeof PNCounter;
  LWWRegister: typeof LWWRegister;
  ORSet: typeof ORSet;
  LWWMap: typeof LWWMap;
  MergeableHLL: typeof MergeableHLL;
  MergeableBloom: typeof MergeableBloom;
  MergeableCMS: typeof MergeableCMS;
  VectorClock: typeof VectorClock;
  AgentState: typeof AgentState;
  ContextMerge: typeof ContextMerge;
  serialize: typeof serialize;
  deserialize: typeof deserialize;
  peekType: typeof peekType;
  wireSize: typeof wireSize;
  serializeBatch: typeof serializeBatch;
  deserializeBatch: typeof deserializeBatch;
  mergeAll: typeof mergeAll;
  merge: typeof merge;
  mergeWithProvenance: typeof mergeWithProvenance;
  mergeDicts: typeof mergeDicts;
};
export default api;
