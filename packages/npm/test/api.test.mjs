import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renameSync } from 'node:fs';
import * as api from 'crdt-merge-wasm';

const {
  CrdtMergeError, CrdtObject, GCounter, PNCounter, LWWRegister, ORSet, LWWMap, MergeableHLL, MergeableBloom,
  MergeableCMS, VectorClock, AgentState, ContextMerge, serialize, deserialize, peekType, wireSize, serializeBatch,
  deserializeBatch, mergeAll,
} = api;

const rt = (o) => deserialize(serialize(o));

test('GCounter / PNCounter', () => {
  const a = new GCounter('a', 3);
  const b = new GCounter();
  b.increment('b', 4);
  a.increment('a');
  const m = a.merge(b);
  assert.equal(m.value, 8);
  assert.equal(m.get('a'), 4);
  assert.ok(m instanceof GCounter && m instanceof CrdtObject);
  assert.deepEqual(rt(m).toJSON(), m.toJSON());
  assert.equal(m.merge(m).value, 8);
  const p = new PNCounter();
  p.increment('x', 10);
  p.decrement('y', 3);
  assert.equal(p.value, 7);
  assert.equal(rt(p).value, 7);
  assert.throws(() => p.increment('x', -1), (e) => e instanceof CrdtMergeError && e.code === 'invalid_argument');
});

test('LWWRegister and LWWMap', () => {
  const r1 = new LWWRegister('a', 1, 'n1');
  const r2 = new LWWRegister();
  r2.set('b', 2, 'n2');
  assert.equal(r1.merge(r2).value, 'b');
  assert.equal(r2.merge(r1).value, 'b');
  assert.equal(r2.timestamp, 2);
  assert.equal(r2.nodeId, 'n2');
  const bytes = new Uint8Array([1, 2, 255]);
  r2.set(bytes, 3);
  assert.deepEqual(rt(r2).value, bytes);
  const m1 = new LWWMap();
  const m2 = new LWWMap();
  m1.set('k', 1, 10, 'a');
  m2.set('k', 2, 20, 'b');
  m2.set('j', { nested: [1, 'x', null] }, 5);
  m1.delete('j', 6);
  const m = m1.merge(m2);
  assert.equal(m.get('k'), 2);
  assert.equal(m.get('j', 'gone'), 'gone');
  assert.deepEqual(m.value, { k: 2 });
  assert.deepEqual(m2.merge(m1).toJSON(), m.toJSON());
  assert.throws(() => m1.set('k', 1, NaN), (e) => e.code === 'invalid_argument');
});

test('ORSet: random 12-hex tags, add-wins, observed remove', () => {
  const a = new ORSet();
  const tag = a.add('x');
  assert.match(tag, /^[0-9a-f]{12}$/);
  a.add(42);
  const b = CrdtObject.fromJSON(a.toJSON());
  assert.ok(b instanceof ORSet);
  b.remove('x');
  a.add('x'); // concurrent add survives b's remove
  const m = a.merge(b);
  assert.ok(m.contains('x'));
  assert.ok(m.contains(42));
  assert.deepEqual(m.value, [42, 'x']);
  const c = b.merge(b);
  assert.ok(!c.contains('x'));
  assert.deepEqual(c.value, [42]);
});

test('sketches: HLL, Bloom, CMS', () => {
  const h1 = new MergeableHLL(12);
  const h2 = new MergeableHLL(12);
  for (let i = 0; i < 1000; i++) h1.add(`item-${i}`);
  h2.addAll(Array.from({ length: 1000 }, (_, i) => `item-${i + 500}`));
  const card = h1.merge(h2).cardinality();
  assert.ok(Math.abs(card - 1500) < 150, `cardinality ${card}`);
  assert.throws(() => h1.merge(new MergeableHLL(10)), (e) => e instanceof CrdtMergeError && e.code === 'parameter_mismatch');
  assert.throws(() => new MergeableHLL(30), (e) => e.code === 'invalid_argument' || e.code === 'shape');

  const b1 = new MergeableBloom(1000, 0.01);
  const b2 = new MergeableBloom(1000, 0.01);
  b1.add('apple');
  b2.addAll(['pear', 7]);
  const bm = b1.merge(b2);
  assert.ok(bm.contains('apple') && bm.contains('pear') && bm.contains(7));
  assert.equal(bm.contains('banana'), false);
  assert.equal(rt(bm).contains('pear'), true);

  const c1 = new MergeableCMS(200, 5);
  const c2 = new MergeableCMS(200, 5);
  c1.add('x', 3);
  c2.add('x', 4);
  c2.add('y');
  const cm = c1.merge(c2);
  // replicas of one stream: cell-wise max (as the reference)
  assert.equal(cm.estimate('x'), 4);
  assert.equal(cm.total, 5);
});

test('VectorClock', () => {
  const a = new VectorClock({ a: 1 });
  const b = a.increment('b');
  assert.deepEqual(a.value, { a: 1 });
  assert.deepEqual(b.value, { a: 1, b: 1 });
  assert.equal(a.compare(b), 'before');
  assert.equal(b.compare(a), 'after');
  const c = new VectorClock({ c: 2 });
  assert.equal(b.compare(c), 'concurrent');
  assert.deepEqual(b.merge(c).value, { a: 1, b: 1, c: 2 });
  assert.equal(peekType(serialize(c)), 'vector_clock');
});

test('serialize / deserialize / peekType / wireSize / batch', () => {
  const g = new GCounter('n', 5);
  const big = new ORSet();
  for (let i = 0; i < 200; i++) big.add(`element-${i % 10}`);
  const f = serialize(big, true);
  const ws = wireSize(f);
  assert.deepEqual(Object.keys(ws).sort(), ['compressed', 'header_bytes', 'payload_bytes', 'protocol_version', 'total_bytes', 'type_name']);
  assert.equal(ws.compressed, true);
  assert.equal(ws.header_bytes, 12);
  assert.equal(ws.total_bytes, f.length);
  assert.equal(ws.type_name, 'or_set');
  assert.equal(ws.protocol_version, 1);
  assert.deepEqual(deserialize(f).toJSON(), big.toJSON());
  const batch = serializeBatch([g, big, new VectorClock({ z: 3 })]);
  const back = deserializeBatch(batch);
  assert.deepEqual(back.map((o) => o.type), ['g_counter', 'or_set', 'vector_clock']);
  assert.ok(back[2] instanceof VectorClock);
  assert.deepEqual(serializeBatch(back), batch);
  assert.equal(mergeAll([g, new GCounter('m', 2), g]).value, 7);
  // other frame types come back as a generic CrdtObject
  const generic = CrdtObject.fromJSON({ type: 'generic', value: { a: [1, 2] } });
  assert.equal(generic.constructor, CrdtObject);
  assert.equal(generic.type, 'generic');
  assert.deepEqual(deserialize(serialize(generic)).toJSON(), { type: 'generic', value: { a: [1, 2] } });
});

test('errors are CrdtMergeError with the core category as code', () => {
  const cases = [
    [new Uint8Array(0), 'truncated'],
    [new TextEncoder().encode('XXXX\x00\x01\x01\x00\x00\x00\x00\x00'), 'bad_magic'],
    [new Uint8Array([0x43, 0x52, 0x44, 0x54, 0, 1, 0x7f, 0, 0, 0, 0, 0]), 'unknown_type_tag'],
    [new Uint8Array([0x43, 0x52, 0x44, 0x54, 0, 1, 1, 0, 0, 0, 0, 9]), 'length_mismatch'],
  ];
  for (const [bytes, code] of cases) {
    assert.throws(() => deserialize(bytes), (e) => {
      assert.ok(e instanceof CrdtMergeError && e instanceof Error);
      assert.equal(e.name, 'CrdtMergeError');
      assert.equal(e.code, code, e.message);
      return true;
    });
  }
  assert.throws(() => deserialize('nope'), (e) => e.code === 'invalid_argument');
  assert.throws(() => deserializeBatch(new Uint8Array([0, 0, 0, 9])), (e) => e.code === 'batch');
  assert.throws(() => new GCounter().merge(new PNCounter()), (e) => e.code === 'type_mismatch');
  assert.throws(() => GCounter.fromJSON({ type: 'pn_counter', value: { type: 'pn_counter', p: { type: 'g_counter', counts: {} }, n: { type: 'g_counter', counts: {} } } }), (e) => e.code === 'wrong_type' || e.code === 'shape');
  assert.throws(() => CrdtObject.fromJSON({ type: 'nope', value: 1 }), (e) => e.code === 'shape');
  assert.throws(() => new ContextMerge({ strategy: 'best' }), (e) => e.code === 'invalid_argument');
  assert.throws(() => new ContextMerge().merge([{ confidence: 1 }], []), (e) => e.code === 'memory');
  // random garbage never crashes the module
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
  const base = serialize(new GCounter('abc', 3));
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from(base);
    for (let k = 0; k < 3; k++) b[12 + (rnd() % (b.length - 12))] = rnd();
    try {
      deserialize(b).free();
    } catch (e) {
      assert.ok(e instanceof CrdtMergeError, String(e));
      assert.notEqual(e.code, 'internal');
    }
  }
  assert.equal(new GCounter('x', 1).value, 1); // module still healthy
});

test('free(): explicit release, double free is a no-op, use after free throws', () => {
  const g = new GCounter('a', 1);
  assert.equal(g.freed, false);
  g.free();
  assert.equal(g.freed, true);
  g.free();
  assert.throws(() => g.value, (e) => e instanceof CrdtMergeError && e.code === 'freed');
  assert.throws(() => new GCounter().merge(g), (e) => e.code === 'freed');
  assert.throws(() => serialize(g), (e) => e.code === 'freed');
  const cm = new ContextMerge();
  cm.free();
  assert.throws(() => cm.merge([], []), (e) => e.code === 'freed');
  // many short-lived objects: FinalizationRegistry (wasm-bindgen's) reclaims them
  for (let i = 0; i < 20000; i++) new GCounter('n', i + 1);
});

test('AgentState and ContextMerge', () => {
  const a = new AgentState('a');
  const b = new AgentState('b');
  a.addFact('k', 'v1', 0.5, 10);
  b.addFact('k', 'v2', 0.9, 20);
  a.addTag('t1');
  b.increment('steps', 3);
  a.increment('steps');
  a.appendMessage('hi', 'user', { lang: 'en' }, 1);
  b.appendMessage('hello', 'agent', null, 2);
  const m = a.merge(b);
  const m2 = b.merge(a);
  assert.deepEqual(m.toJSON(), m2.toJSON());
  assert.equal(m.getFact('k').value, 'v2');
  assert.equal(m.counterValue('steps'), 4);
  assert.ok(m.hasTag('t1'));
  assert.deepEqual(m.messages.map((x) => x.content), ['hi', 'hello']);
  assert.ok(rt(m) instanceof AgentState);
  assert.deepEqual(AgentState.fromJSON(m.toJSON()).toJSON(), m.toJSON());

  const cm = new ContextMerge({ strategy: 'lww', budget: 1 });
  const out = cm.mergeMany([
    [{ fact: 'x', confidence: 0.2, ts: 1, tags: ['a'], extra: 1 }],
    [{ fact: 'y', confidence: 0.9, ts: 2 }],
    [{ fact: 'x', confidence: 0.4, ts: 3, tags: ['b'] }],
  ]);
  assert.deepEqual(out.memories.map((x) => x.fact), ['y']);
  assert.equal(out.manifest.total_memories, 3);
  assert.equal(out.manifest.strategy_used, 'lww');
  const all = new ContextMerge({ minConfidence: 0.3 }).merge([{ fact: 'x', confidence: 0.2, tags: ['a'] }], [{ fact: 'x', confidence: 0.4, tags: ['b'] }]);
  assert.equal(all.memories.length, 1);
  assert.deepEqual(all.memories[0].tags, ['a', 'b']);
  assert.equal(all.memories[0].confidence, 0.4);
});

test('examples/two-agents.mjs runs', () => {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL('../examples/two-agents.mjs', import.meta.url))], { encoding: 'utf8' });
  assert.match(out, /facts: capital:de, capital:fr/);
  assert.match(out, /memories: The sky is blue \(0\.9\); Water is wet \(0\.6\)/);
});

test('examples/two-agents.ts type-checks (strict), compiles and runs', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const outDir = fileURLToPath(new URL('../examples/.build/', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('../examples/tsconfig.json', import.meta.url)), '--outDir', outDir], { stdio: 'inherit' });
  // .mjs so Node runs the compiled output as ESM inside the package (self-reference import)
  const js = `${outDir}two-agents.mjs`;
  renameSync(`${outDir}two-agents.js`, js);
  const out = execFileSync(process.execPath, [js], { encoding: 'utf8' });
  assert.match(out, /facts: capital:de, capital:fr/);
  assert.match(out, /memories: The sky is blue \(0\.9\); Water is wet \(0\.6\)/);
  assert.match(out, /manifest: 3 in, 2 unique/);
});

test('a trap in the wasm (a Rust panic, a bug) surfaces as CrdtMergeError code "internal"', async () => {
  const { createApi } = await import('../lib/api.js');
  const fake = {
    installPanicHook() {},
    lastPanic: () => 'panicked at src/lib.rs:1:1: boom',
    peekType() {
      throw new WebAssembly.RuntimeError('unreachable');
    },
  };
  const f = createApi(fake);
  assert.throws(() => f.peekType(new Uint8Array(12)), (e) => e instanceof f.CrdtMergeError && e.code === 'internal' && /boom/.test(e.message));
});
