// ESM entry for browsers and bundlers: fetches dist/web/crdt_merge_wasm_bg.wasm
// relative to this module (top-level await), then exports the API.
import init, * as w from './dist/web/crdt_merge_wasm.js';
import { createApi } from './lib/api.js';

await init({ module_or_path: new URL('./dist/web/crdt_merge_wasm_bg.wasm', import.meta.url) });

const api = createApi(w);
export const { CrdtMergeError, CrdtObject, GCounter, PNCounter, LWWRegister, ORSet, LWWMap, MergeableHLL, MergeableBloom, MergeableCMS, VectorClock, AgentState, ContextMerge, serialize, deserialize, peekType, wireSize, serializeBatch, deserializeBatch, mergeAll, merge, mergeWithProvenance, mergeDicts } = api;
export default api;
