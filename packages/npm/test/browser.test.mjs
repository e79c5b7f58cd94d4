// Headless Chromium: load the ESM build (index.js, top-level await + fetch of
// the .wasm) in a page served from localhost and run conformance cases there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html' };

let chromium = null;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  if (CI) throw e;
}
const skip = !chromium || !existsSync(CHROMIUM) ? 'playwright-core or chromium missing (set CI=true to fail instead)' : false;
if (skip && CI) throw new Error('browser test: ' + skip);

function serve() {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<!doctype html><title>crdt-merge-wasm</title>');
      }
      const path = normalize(join(ROOT, decodeURIComponent(url.pathname)));
      if (!path.startsWith(ROOT) || !(await stat(path)).isFile()) throw new Error('not found');
      res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' });
      res.end(await readFile(path));
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

test('ESM build runs conformance cases in headless Chromium', { skip, timeout: 120000 }, async () => {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(base + '/');
    const result = await page.evaluate(async () => {
      const api = await import('/packages/npm/index.js');
      const { runCase } = await import('/packages/npm/test/cases.mjs');
      const manifest = await (await fetch('/conformance/manifest.json')).json();
      const dir = '/conformance/' + manifest.golden_dir + '/';
      const files = new Map();
      const want = (c) => [c.file, c.expected, ...(c.inputs || [])].filter(Boolean);
      await Promise.all(
        manifest.cases.flatMap(want).map(async (p) => {
          if (!files.has(p)) files.set(p, new Uint8Array(await (await fetch(dir + p)).arrayBuffer()));
        }),
      );
      const read = (p) => files.get(p);
      const failures = [];
      let passed = 0;
      for (const c of manifest.cases) {
        try {
          runCase(api, c, read, null);
          passed++;
        } catch (e) {
          failures.push(`${c.name}: ${e.message}`);
        }
      }
      const g = new api.GCounter('browser', 2);
      const errOk = (() => {
        try {
          api.deserialize(new Uint8Array(3));
        } catch (e) {
          return e instanceof api.CrdtMergeError && e.code === 'truncated';
        }
        return false;
      })();
      return { passed, failures, total: manifest.cases.length, value: g.value, errOk, tag: new api.ORSet().add('x') };
    });
    assert.deepEqual(result.failures, [], logs.join('\n'));
    assert.equal(result.passed, result.total);
    assert.equal(result.value, 2);
    assert.ok(result.errOk);
    assert.match(result.tag, /^[0-9a-f]{12}$/);
    console.log(`browser: ${result.passed}/${result.total} conformance cases passed in Chromium`);
  } finally {
    await browser.close();
    server.close();
  }
});
