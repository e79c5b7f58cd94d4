// Compiled with `tsc --noEmit` by types.test.mjs: the .d.ts reads and checks as intended.
import api, {
  AgentState, ContextMerge, CrdtMergeError, CrdtObject, GCounter, LWWMap, MergeableHLL, ORSet, VectorClock,
  deserialize, peekType, serialize, wireSize, type MergeOutcome, type WireSize,
} from 'crdt-merge-wasm';

const g = new GCounter('a', 1);
const merged: GCounter = g.merge(new GCounter());
const n: number = merged.value;
const bytes: Uint8Array = serialize(merged, true);
const back: CrdtObject = deserialize(bytes);
const t: string = peekType(bytes);
const ws: WireSize = wireSize(bytes);
const s = new ORSet<string>();
const tag: string = s.add('x');
const items: string[] = s.value;
const m = new LWWMap<number>();
m.set('k', 1);
const v: number | string = m.get('k', 'none');
const h = MergeableHLL.fromJSON(new MergeableHLL(12).toJSON());
const c: number = h.cardinality();
const vc: VectorClock = new VectorClock({ a: 1 }).increment('b');
const order: 'before' | 'after' | 'equal' | 'concurrent' = vc.compare(new VectorClock());
const agent = new AgentState('a');
agent.addFact('k', 'v', 0.9);
const out: MergeOutcome = new ContextMerge({ strategy: 'union', budget: 5 }).merge([{ fact: 'x', confidence: 0.5 }], []);
const facts: string[] = out.memories.map((x) => x.fact);
try {
  deserialize(new Uint8Array(0));
} catch (e) {
  if (e instanceof CrdtMergeError) console.log(e.code);
}
back.free();
console.log(n, t, ws.total_bytes, tag, items, v, c, order, facts, api.GCounter === GCounter);
