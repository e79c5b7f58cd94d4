// Node (wasm) side of the boundary benchmark: the public crdt-merge-wasm API
// on the same workloads as the native `boundary` binary. Prints one
// `name value unit` line per workload (best of several repetitions).
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from '../../packages/npm/node.mjs';

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
