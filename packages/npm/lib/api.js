// The public API of crdt-merge-wasm, written once over the wasm-bindgen
// bindings `w` (the browser/ESM glue or the Node CommonJS glue). build.sh
// derives lib/api.cjs from this file; keep it free of imports.
//
// All merge logic lives in the Rust core; this layer only converts values,
// picks classes and turns core errors into CrdtMergeError.

export function createApi(w) {
  'use strict';
  try {
    w.installPanicHook();
  } catch (_) {
    /* a panic hook is optional */
  }

  const SEP = '\u001f';

  /** Error thrown by every function of this package. */
  class CrdtMergeError extends Error {
    constructor(code, message) {
      super(message);
      this.name = 'CrdtMergeError';
      this.code = code;
    }
  }

  function toError(e) {
    if (e instanceof CrdtMergeError) return e;
    if (typeof e === 'string') {
      const i = e.indexOf(SEP);
      if (i >= 0) return new CrdtMergeError(e.slice(0, i), e.slice(i + 1));
      return new CrdtMergeError('internal', e);
    }
    if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
      let msg = '';
      try {
        msg = w.lastPanic();
      } catch (_) {
        /* ignore */
      }
      return new CrdtMergeError('internal', 'internal error in crdt-merge-wasm: ' + (msg || e.message));
    }
    if (e instanceof Error && /null pointer passed to rust|recursive use of an object/i.test(e.message)) {
      return new CrdtMergeError('freed', 'object was already freed');
    }
    return e;
  }

  function call(f) {
    try {
      return f();
    } catch (e) {
      throw toError(e);
    }
  }

  // ------------------------------------------------------------ values
  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  function unhex(s) {
    const out = new Uint8Array(s.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  }

  /** JS value → canonical-view JSON value. */
  function enc(v) {
    if (v === undefined || v === null) return null;
    switch (typeof v) {
      case 'number':
        if (Number.isNaN(v)) return { $float: 'nan' };
        if (v === Infinity) return { $float: 'inf' };
        if (v === -Infinity) return { $float: '-inf' };
        return v;
      case 'bigint':
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          // exact through JSON text: handled by the raw-number path below
          return { __bigint__: v.toString() };
        }
        return Number(v);
      case 'string':
      case 'boolean':
        return v;
      case 'object':
        break;
      default:
        throw new CrdtMergeError('invalid_argument', `cannot convert a ${typeof v} to a CRDT value`);
    }
    if (v instanceof Uint8Array) return { $bytes: hex(v) };
    if (v instanceof ArrayBuffer) return { $bytes: hex(new Uint8Array(v)) };
    if (Array.isArray(v)) return v.map(enc);
    if (v instanceof Set) return { $set: Array.from(v, enc) };
    if (v instanceof Map) return { $map: Array.from(v, ([k, x]) => [enc(k), enc(x)]) };
    if (v instanceof CrdtObject) return v.toJSON();
    const o = {};
    for (const k of Object.keys(v)) if (v[k] !== undefined) o[k] = enc(v[k]);
    return o;
  }

  function stringify(x) {
    const s = JSON.stringify(x);
    // big integers travel as exact JSON numbers
    return s.includes('"__bigint__"') ? s.replace(/\{"__bigint__":"(-?\d+)"\}/g, '$1') : s;
  }
  const args = (...a) => stringify(a.map(enc));

  /** canonical-view JSON value → JS value. */
  function dec(v) {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(dec);
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const k = keys[0];
      if (k === '$bytes') return unhex(v.$bytes);
      if (k === '$set') return new Set(v.$set.map(dec));
      if (k === '$float') return v.$float === 'nan' ? NaN : v.$float === 'inf' ? Infinity : -Infinity;
      if (k === '$map') return new Map(v.$map.map(([a, b]) => [dec(a), dec(b)]));
    }
    const o = {};
    for (const k of keys) o[k] = dec(v[k]);
    return o;
  }

  function bytesArg(b, what = 'bytes') {
    if (b instanceof Uint8Array) return b;
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw new CrdtMergeError('invalid_argument', `${what} must be a Uint8Array`);
  }

  const now = () => Date.now() / 1000;

  // ------------------------------------------------------------ objects
  const TOKEN = Symbol('crdt-merge handle');
  const CLASSES = new Map();

  function wrap(h) {
    const C = CLASSES.get(h.typeName) || CrdtObject;
    return new C(TOKEN, h);
  }

  function handleOf(obj, what = 'argument') {
    if (!(obj instanceof CrdtObject)) throw new CrdtMergeError('invalid_argument', `${what} must be a crdt-merge object`);
    return obj._handle();
  }

  class CrdtObject {
    #h;
    constructor(token, h) {
      if (token !== TOKEN) throw new CrdtMergeError('invalid_argument', 'use deserialize() or fromJSON() to build a CrdtObject');
      this.#h = h;
    }
    /** @internal */
    _handle() {
      if (this.#h === null) throw new CrdtMergeError('freed', `${this.constructor.name} was already freed`);
      return this.#h;
    }
    /** @internal */
    _call(method, ...a) {
      const h = this._handle();
      return dec(JSON.parse(call(() => h.call(method, args(...a)))));
    }
    get type() {
      return this._handle().typeName;
    }
    merge(other) {
      const a = this._handle();
      const b = handleOf(other, 'other');
      return wrap(call(() => a.merge(b)));
    }
    toJSON() {
      const h = this._handle();
      return JSON.parse(call(() => h.jsonView()));
    }
    /** The canonical view as exact JSON text (integers beyond 2^53 keep every digit). */
    toJSONString() {
      const h = this._handle();
      return call(() => h.jsonView());
    }
    toDict() {
      const h = this._handle();
      return dec(JSON.parse(call(() => h.toDict())));
    }
    serialize(compress = false) {
      const h = this._handle();
      return call(() => h.encode(!!compress));
    }
    clone() {
      const h = this._handle();
      return wrap(call(() => h.clone()));
    }
    equals(other) {
      const b = handleOf(other, 'other');
      return this._handle().equals(b);
    }
    get freed() {
      return this.#h === null;
    }
    free() {
      if (this.#h !== null) {
        const h = this.#h;
        this.#h = null;
        h.free();
      }
    }
    [Symbol.dispose || Symbol.for('Symbol.dispose')]() {
      this.free();
    }
    static fromJSON(view) {
      if (view === null || (typeof view !== 'object' && typeof view !== 'string')) {
        throw new CrdtMergeError('invalid_argument', 'fromJSON needs a view object or its JSON text');
      }
      const text = typeof view === 'string' ? view : stringify(view);
      const h = call(() => w.Crdt.fromJsonView(text));
      const obj = wrap(h);
      if (this !== CrdtObject && !(obj instanceof this)) {
        const t = obj.type;
        obj.free();
        throw new CrdtMergeError('wrong_type', `expected a ${this.TYPE} view, found ${t}`);
      }
      return obj;
    }
    static deserialize(bytes) {
      const obj = deserialize(bytes);
      if (this !== CrdtObject && !(obj instanceof this)) {
        const t = obj.type;
        obj.free();
        throw new CrdtMergeError('wrong_type', `expected a ${this.TYPE} frame, found ${t}`);
      }
      return obj;
    }
  }

  function typed(name, typeName, body) {
    const C = body(CrdtObject);
    Object.defineProperty(C, 'name', { value: name });
    C.TYPE = typeName;
    CLASSES.set(typeName, C);
    return C;
  }
  const create = (t, ...p) => call(() => w.Crdt.create(t, args(...p)));

  const GCounter = typed('GCounter', 'g_counter', (B) => class extends B {
    constructor(nodeId, initial = 0) {
      if (nodeId === TOKEN) {
        super(TOKEN, initial);
        return;
      }
      super(TOKEN, create('g_counter'));
      if (nodeId && initial > 0) this.increment(nodeId, initial);
    }
    get value() { return this._call('value'); }
    increment(nodeId, amount = 1) { this._call('increment', nodeId, amount); }
    get(nodeId) { return this._call('get', nodeId); }
    counts() { return this._call('counts'); }
  });

  const PNCounter = typed('PNCounter', 'pn_counter', (B) => class extends B {
    constructor(token, h) {
      super(TOKEN, token === TOKEN ? h : create('pn_counter'));
    }
    get value() { return this._call('value'); }
    increment(nodeId, amount = 1) { this._call('increment', nodeId, amount); }
    decrement(nodeId, amount = 1) { this._call('decrement', nodeId, amount); }
  });

  const LWWRegister = typed('LWWRegister', 'lww_register', (B) => class extends B {
    constructor(value = null, timestamp = 0, nodeId = '') {
      if (value === TOKEN) {
        super(TOKEN, timestamp);
        return;
      }
      super(TOKEN, create('lww_register', value, timestamp || 0, nodeId));
    }
    get value() { return this._call('value'); }
    get timestamp() { return this._call('timestamp'); }
    get nodeId() { return this._call('nodeId'); }
    get() { return this.value; }
    set(value, timestamp = now(), nodeId = '') { this._call('set', value, timestamp, nodeId); }
  });

  function randomTag() {
    const b = new Uint8Array(6);
    globalThis.crypto.getRandomValues(b);
    return hex(b);
  }

  const ORSet = typed('ORSet', 'or_set', (B) => class extends B {
    constructor(token, h) {
      super(TOKEN, token === TOKEN ? h : create('or_set'));
    }
    get value() { return this._call('value'); }
    add(element) {
      const tag = randomTag();
      this._call('add', element, tag);
      return tag;
    }
    remove(element) { this._call('remove', element); }
    contains(element) { return this._call('contains', element); }
    has(element) { return this.contains(element); }
  });

  const LWWMap = typed('LWWMap', 'lww_map', (B) => class extends B {
    constructor(token, h) {
      super(TOKEN, token === TOKEN ? h : create('lww_map'));
    }
    get value() { return this._call('value'); }
    set(key, value, timestamp = now(), nodeId = '') { this._call('set', key, value, timestamp, nodeId); }
    get(key, dflt = null) {
      const v = this._call('get', key);
      return v === null ? dflt : v;
    }
    delete(key, timestamp = now()) { this._call('delete', key, timestamp); }
  });

  const MergeableHLL = typed('MergeableHLL', 'hll', (B) => class extends B {
    constructor(precision = 14, h) {
      super(TOKEN, precision === TOKEN ? h : create('hll', precision));
    }
    add(item) { this._call('add', item); }
    addAll(items) { this._call('addAll', Array.from(items)); }
    cardinality() { return this._call('cardinality'); }
    standardError() { return this._call('standardError'); }
    get precision() { return this._call('precision'); }
  });

  const MergeableBloom = typed('MergeableBloom', 'bloom', (B) => class extends B {
    constructor(capacity = 10000, fpRate = 0.01) {
      super(TOKEN, capacity === TOKEN ? fpRate : create('bloom', capacity, fpRate));
    }
    add(item) { this._call('add', item); }
    addAll(items) { this._call('addAll', Array.from(items)); }
    contains(item) { return this._call('contains', item); }
    has(item) { return this.contains(item); }
    estimatedFpRate() { return this._call('estimatedFpRate'); }
    get count() { return this._call('count'); }
    get size() { return this._call('size'); }
    get numHashes() { return this._call('numHashes'); }
    get capacity() { return this._call('capacity'); }
    get fpRate() { return this._call('fpRate'); }
  });

  const MergeableCMS = typed('MergeableCMS', 'cms', (B) => class extends B {
    constructor(width = 2000, depth = 7) {
      super(TOKEN, width === TOKEN ? depth : create('cms', width, depth));
    }
    add(item, count = 1) { this._call('add', item, count); }
    addAll(items) { this._call('addAll', Array.from(items)); }
    estimate(item) { return this._call('estimate', item); }
    get total() { return this._call('total'); }
    get width() { return this._call('width'); }
    get depth() { return this._call('depth'); }
  });

  const VectorClock = typed('VectorClock', 'vector_clock', (B) => class extends B {
    constructor(clocks = {}, h) {
      super(TOKEN, clocks === TOKEN ? h : create('vector_clock', clocks instanceof Map ? Object.fromEntries(clocks) : clocks));
    }
    get value() { return this._call('value'); }
    get(nodeId) { return this._call('get', nodeId); }
    /** Returns a NEW clock with `nodeId` incremented (as the reference). */
    increment(nodeId) {
      const c = this.clone();
      c._call('increment', nodeId);
      return c;
    }
    compare(other) {
      const a = this._handle();
      const b = handleOf(other, 'other');
      return call(() => a.compare(b));
    }
  });

  const AgentState = typed('AgentState', 'agent_state', (B) => class extends B {
    constructor(agentId, h) {
      super(TOKEN, agentId === TOKEN ? h : create('agent_state', agentId));
    }
    get agentId() { return this._call('agentId'); }
    addFact(key, value, confidence = 1.0, timestamp = now()) { this._call('addFact', key, value, confidence, timestamp); }
    deleteFact(key, timestamp = now()) { this._call('deleteFact', key, timestamp); }
    getFact(key, dflt = null) {
      const f = this._call('getFact', key);
      return f === null ? dflt : f;
    }
    listFacts() { return this._call('listFacts'); }
    addTag(tag) { this._call('addTag', tag); }
    removeTag(tag) { this._call('removeTag', tag); }
    hasTag(tag) { return this._call('hasTag', tag); }
    get tags() { return this._call('tags'); }
    increment(name, amount = 1) { this._call('increment', name, amount); }
    decrement(name, amount = 1) { this._call('decrement', name, amount); }
    counterValue(name) { return this._call('counterValue', name); }
    appendMessage(message, role = 'agent', metadata = null, timestamp = now()) {
      this._call('appendMessage', message, role, metadata, timestamp);
    }
    get messages() { return this._call('messages'); }
  });

  // ------------------------------------------------------------ functions
  function serialize(obj, compress = false) {
    if (!(obj instanceof CrdtObject)) throw new CrdtMergeError('invalid_argument', 'serialize needs a crdt-merge object');
    return obj.serialize(compress);
  }

  function deserialize(bytes) {
    const b = bytesArg(bytes);
    return wrap(call(() => w.Crdt.decode(b)));
  }

  function peekType(bytes) {
    const b = bytesArg(bytes);
    return call(() => w.peekType(b));
  }

  function wireSize(bytes) {
    const b = bytesArg(bytes);
    return JSON.parse(call(() => w.wireSize(b)));
  }

  function serializeBatch(objs, compress = false) {
    const frames = Array.from(objs, (o) => serialize(o, compress));
    const total = frames.reduce((n, f) => n + f.length, 0);
    const all = new Uint8Array(total);
    const lens = new Uint32Array(frames.length);
    let pos = 0;
    frames.forEach((f, i) => {
      all.set(f, pos);
      pos += f.length;
      lens[i] = f.length;
    });
    return call(() => w.joinBatch(all, lens));
  }

  function deserializeBatch(bytes) {
    const b = bytesArg(bytes);
    const bounds = call(() => w.splitBatch(b));
    const out = [];
    try {
      for (let i = 0; i < bounds.length; i += 2) out.push(deserialize(b.subarray(bounds[i], bounds[i + 1])));
    } catch (e) {
      out.forEach((o) => o.free());
      throw e;
    }
    return out;
  }

  /** Merge any number of objects of one type, left to right. */
  function mergeAll(objs) {
    const list = Array.from(objs);
    if (list.length === 0) throw new CrdtMergeError('empty', 'merge needs at least one input');
    let acc = list[0].clone();
    for (const o of list.slice(1)) {
      const next = acc.merge(o);
      acc.free();
      acc = next;
    }
    return acc;
  }

  // ------------------------------------------------------------ agent memory
  class ContextMerge {
    #h;
    constructor({ strategy = 'lww', budget = null, minConfidence = 0, agentPriority = null, now: clock = 0 } = {}) {
      if (budget !== null && budget !== undefined && !(Number.isInteger(budget) && budget >= 0)) {
        throw new CrdtMergeError('invalid_argument', 'budget must be a non-negative integer or null');
      }
      const b = budget === null || budget === undefined ? -1 : budget;
      const ap = agentPriority ? JSON.stringify(agentPriority instanceof Map ? Object.fromEntries(agentPriority) : agentPriority) : '';
      this.#h = call(() => new w.ContextMergeHandle(String(strategy), b, Number(minConfidence), Number(clock), ap));
      this.strategy = String(strategy);
      this.budget = budget ?? null;
      this.minConfidence = Number(minConfidence);
    }
    merge(a, b) {
      return this.mergeMany([a, b]);
    }
    mergeMany(lists) {
      if (this.#h === null) throw new CrdtMergeError('freed', 'ContextMerge was already freed');
      const input = Array.from(lists, (l) => {
        if (!Array.isArray(l)) throw new CrdtMergeError('invalid_argument', 'mergeMany needs an array of memory arrays');
        return l.map(enc);
      });
      const h = this.#h;
      return JSON.parse(call(() => h.mergeMany(stringify(input))));
    }
    free() {
      if (this.#h !== null) {
        this.#h.free();
        this.#h = null;
      }
    }
  }

  // ------------------------------------------------------------ records
  const rowsJson = (rows, side) => {
    if (rows === null || typeof rows !== 'object' || typeof rows[Symbol.iterator] !== 'function') {
      throw new CrdtMergeError('invalid_argument', `${side} must be an array of row objects`);
    }
    return JSON.stringify(Array.from(rows, (r) => (r instanceof Map ? Object.fromEntries(r) : r)));
  };
  const optionsJson = ({ key = null, prefer = 'latest', timestampCol = null, schema = null, dedup = true, fuzzyDedup = false, fuzzyThreshold = 0.85 } = {}) =>
    JSON.stringify({ key, prefer, timestampCol, schema, dedup, fuzzyDedup, fuzzyThreshold });

  /** Keyed merge of two arrays of row objects (the reference's `merge()`). */
  function merge(a, b, options = {}) {
    const ja = rowsJson(a, 'a'), jb = rowsJson(b, 'b'), jo = optionsJson(options);
    return JSON.parse(call(() => w.mergeRecords(ja, jb, jo)));
  }

  /** `merge` plus the provenance log: `{ rows, log, summary, csv }`. */
  function mergeWithProvenance(a, b, options = {}) {
    const ja = rowsJson(a, 'a'), jb = rowsJson(b, 'b'), jo = optionsJson(options);
    return JSON.parse(call(() => w.mergeRecordsWithProvenance(ja, jb, jo)));
  }

  /** Deep merge of two plain objects (the reference's `merge_dicts`). */
  function mergeDicts(a, b) {
    const ja = JSON.stringify(a), jb = JSON.stringify(b);
    return JSON.parse(call(() => w.mergeDicts(ja, jb)));
  }

  return {
    CrdtMergeError,
    CrdtObject,
    GCounter,
    PNCounter,
    LWWRegister,
    ORSet,
    LWWMap,
    MergeableHLL,
    MergeableBloom,
    MergeableCMS,
    VectorClock,
    AgentState,
    ContextMerge,
    serialize,
    deserialize,
    peekType,
    wireSize,
    serializeBatch,
    deserializeBatch,
    mergeAll,
    merge,
    mergeWithProvenance,
    mergeDicts,
  };
}
