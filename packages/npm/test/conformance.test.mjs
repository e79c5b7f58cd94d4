import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import * as api from 'crdt-merge-wasm';
import { runCase } from './cases.mjs';

const CONF = new URL('../../../conformance/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', CONF), 'utf8'));
const golden = new URL(manifest.golden_dir + '/', CONF);
const read = (p) => new Uint8Array(readFileSync(new URL(p, golden)));
const inflate = (b) => new Uint8Array(inflateSync(b));

for (const c of manifest.cases) {
  test(`conformance ${c.kind} ${c.name}`, () => runCase(api, c, read, inflate));
}
