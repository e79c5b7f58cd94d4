// Node CommonJS entry (require): wasm-bindgen's nodejs glue loads the wasm synchronously.
'use strict';
const w = require('./dist/node/crdt_merge_wasm.js');
const { createApi } = require('./lib/api.cjs');

const api = createApi(w);
module.exports = api;
module.exports.default = api;
