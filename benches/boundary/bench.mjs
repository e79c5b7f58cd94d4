// Node (wasm) side of the boundary benchmark: the public crdt-merge-wasm API
// on the same workloads as the native `boundary` binary. Prints one
// `name value unit` line per workload (best of several repetitions).
import { readFileSync } from 'node:fs';
import { deserialize, serialize, merge } from '../../packages/npm/node.mjs';

const root = process.argv[2] ?? '.';
const g = `${root}/conformance/golden/g_counter/merge`;
const a = new Uint8Array(readFileSync(`${g}/overlap.a.crdt`));
const b = new Uint8Array(readFileSync(`${g}/overlap.b.crdt`));

function best(reps, f) {
  let out = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    f();
    out = Math.min(out, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return out;
}

const n = 50_000;
const small = () => {
  for (let i = 0; i < n; i++) {
    const x = deserialize(a), y = deserialize(b);
    const m = x.merge(y);
    serialize(m);
    x.free(); y.free(); m.free();
  }
};
console.log(`small_merge ${(best(5, small) / n * 1e6).toFixed(3)} us`);

const rows = (start, count) => {
  const out = new Array(count);
  for (let i = start; i < start + count; i++) {
    out[i - start] = { id: i, name: `user${i % 1000}`, city: `c${i % 37}`, score: (i % 100) + 0.5,
      qty: (i * 7 + start) % 50, price: (i % 999) + 0.25, flag: (i + start) % 2 === 0, note: `n${(i + start) % 11}` };
  }
  return out;
};
const N = Number(process.env.BOUNDARY_ROWS ?? 1_000_000);
const ra = rows(0, N), rb = rows(N / 2, N);
console.log(`records_1m ${(best(3, () => merge(ra, rb, { key: 'id' })) * 1e3).toFixed(1)} ms`);
