// `npm pack`, install the tarball offline into a scratch project, then import
// it by name from ESM and require it from CommonJS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('npm pack → install offline → import (ESM) and require (CJS)', { timeout: 120000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'crdt-merge-wasm-pack-'));
  try {
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], PKG));
    const files = out[0].files.map((f) => f.path);
    for (const f of ['index.js', 'index.d.ts', 'node.mjs', 'node.cjs', 'lib/api.js', 'lib/api.cjs', 'dist/web/crdt_merge_wasm_bg.wasm', 'dist/node/crdt_merge_wasm.js', 'examples/two-agents.mjs']) {
      assert.ok(files.includes(f), `tarball lacks ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), 'tarball holds tests');
    const tgz = join(dir, out[0].filename);
    const app = join(dir, 'app');
    run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tgz], app);
    writeFileSync(
      join(app, 'esm.mjs'),
      `import { GCounter, deserialize, serialize, CrdtMergeError } from 'crdt-merge-wasm';
       import def from 'crdt-merge-wasm';
       const g = new GCounter('a', 2); const back = deserialize(serialize(g));
       let code = null; try { deserialize(new Uint8Array(1)); } catch (e) { code = e instanceof CrdtMergeError && e.code; }
       console.log(JSON.stringify({ v: back.value, t: back.type, code, def: typeof def.ORSet }));`,
    );
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const { GCounter, deserialize, serialize, CrdtMergeError, ContextMerge } = require('crdt-merge-wasm');
       const g = new GCounter('a', 3); const back = deserialize(serialize(g));
       let code = null; try { deserialize(new Uint8Array(1)); } catch (e) { code = e instanceof CrdtMergeError && e.code; }
       const m = new ContextMerge().merge([{ fact: 'f' }], [{ fact: 'f' }]).memories.length;
       console.log(JSON.stringify({ v: back.value, t: back.type, code, m }));`,
    );
    assert.deepEqual(JSON.parse(run(process.execPath, ['esm.mjs'], app)), { v: 2, t: 'g_counter', code: 'truncated', def: 'function' });
    assert.deepEqual(JSON.parse(run(process.execPath, ['cjs.cjs'], app)), { v: 3, t: 'g_counter', code: 'truncated', m: 1 });
    // the example runs against the installed package too
    assert.match(run(process.execPath, [join(app, 'node_modules/crdt-merge-wasm/examples/two-agents.mjs')], app), /manifest: 3 in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
