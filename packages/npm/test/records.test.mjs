import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CrdtMergeError, merge, mergeWithProvenance, mergeDicts } from 'crdt-merge-wasm';

// Reference merge() results (crdt-merge 0.8.3) that JS numbers represent
// exactly: written by test/gen_records.py from core/tests/fixtures/table_cases.json.
const cases = JSON.parse(readFileSync(new URL('./fixtures/records.json', import.meta.url), 'utf8'));
const sortKeys = (v) => (Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])])) : v);
const canon = (rows) => rows.map((r) => JSON.stringify(sortKeys(r))).sort();

test('merge equals the reference on its generated cases', () => {
  assert.ok(cases.length > 100);
  for (const c of cases) {
    const out = merge(c.a, c.b, {
      key: c.key, prefer: c.prefer, timestampCol: c.timestamp_col, schema: c.schema, dedup: c.dedup,
    });
    assert.deepEqual(canon(out), canon(c.expected), c.name);
  }
});

test('rows as Maps, composite keys, provenance', () => {
  const a = [new Map([['id', 1], ['r', 'eu'], ['x', 1], ['_ts', 1]]), { id: 2, r: 'eu', x: 5, _ts: 1 }];
  const b = [{ id: 1, r: 'eu', x: 2, _ts: 2 }, { id: 1, r: 'us', x: 7, _ts: 1 }];
  const out = merge(a, b, { key: ['id', 'r'] });
  assert.deepEqual(canon(out), canon([{ id: 1, r: 'eu', x: 2, _ts: 2 }, { id: 2, r: 'eu', x: 5, _ts: 1 }, { id: 1, r: 'us', x: 7, _ts: 1 }]));
  const p = mergeWithProvenance(a, b, { key: ['id', 'r'] });
  assert.deepEqual(canon(p.rows), canon(out));
  assert.equal(p.log.merged_rows, 1);
  assert.ok(p.log.total_conflicts >= 1 && p.log.conflicts.some((c) => c.field === 'x' && c.winner === 2));
  assert.match(p.summary, /conflicts/i);
  assert.ok(p.csv.split('\n')[0].includes('field'));
});

test('schema strategies and merge_dicts', () => {
  const schema = { score: { strategy: 'MaxWins' }, tags: { strategy: 'UnionSet', separator: ',' }, __default__: { strategy: 'LWW' } };
  const out = merge([{ id: 1, score: 9, tags: 'a,b' }], [{ id: 1, score: 3, tags: 'c' }], { key: 'id', schema });
  assert.equal(out[0].score, 9);
  assert.equal(out[0].tags, 'a,b,c');
  assert.deepEqual(mergeDicts({ a: 1, n: { x: 1 }, k: 5 }, { a: 2, n: { y: 2 }, k: null }), { a: 2, n: { x: 1, y: 2 }, k: 5 });
});

test('bad input throws CrdtMergeError', () => {
  assert.throws(() => merge([{ x: 1 }], [{ id: 1 }], { key: 'id' }), (e) => e instanceof CrdtMergeError && /id/.test(e.message));
  assert.throws(() => merge([{ id: 1 }], [{ id: 1 }], { key: 'id', prefer: 'sideways' }), CrdtMergeError);
  assert.throws(() => merge([{ id: 1 }], [], { key: 'id', schema: { x: { strategy: 'Bogus' } } }), /Bogus/);
  assert.throws(() => merge(5, [], { key: 'id' }), CrdtMergeError);
});
