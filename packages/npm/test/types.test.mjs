// The hand-written index.d.ts type-checks a typical program (tsc --noEmit, strict).
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const skip = !existsSync(TSC) && process.env.CI !== 'true' ? 'typescript not installed (npm install)' : false;

test('index.d.ts type-checks', { skip, timeout: 120000 }, () => {
  execFileSync(process.execPath, [TSC, '-p', fileURLToPath(new URL('./tsconfig.json', import.meta.url))], { stdio: 'inherit' });
});
