// Node ESM entry: loads the wasm synchronously from disk.
import { readFileSync } from 'node:fs';
import { initSync } from './dist/web/crdt_merge_wasm.js';
import * as w from './dist/web/crdt_merge_wasm.js';
import { createApi } from './lib/api.js';

initSync({ module: readFileSync(new URL('./dist/web/crdt_merge_wasm_bg.wasm', import.meta.url)) });

const api = createApi(w);
export const { CrdtMergeError, CrdtObject, GCounter, PNCounter, LWWRegister, ORSet, LWWMap, MergeableHLL, MergeableBloom, MergeableCMS, VectorClock, AgentState, ContextMerge, serialize, deserialize, peekType, wireSize, serializeBatch, deserializeBatch, mergeAll, merge, mergeWithProvenance, mergeDicts } = api;
export default api;
