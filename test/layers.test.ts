import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layer rules (`.dependency-cruiser.cjs`, run by `npm run lint:layers` in `npm test`) must be able to fail:
 * each is run on a small tree that breaks it, and on one that breaks none.
 */
const ROOT = resolve(import.meta.dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  dirs.push(dir);
  copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src'] }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const run = spawnSync(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('layer rules', () => {
  it('pass a tree that imports only downward and through nothing but its own feature', () => {
    const result = cruise({
      'src/core/clock.ts': 'export const now = () => new Date();\n',
      'src/tokens/mint.ts': "import { now } from '../core/clock.js';\nexport const mint = () => now();\n",
      'src/grants/issue.ts': "import { mint } from '../tokens/mint.js';\nexport const issue = () => mint();\n",
      'src/compose/service.ts': "import { issue } from '../grants/issue.js';\nexport const service = () => issue();\n",
    });
    expect(result).toMatchObject({ status: 0 });
    expect(result.out).toContain('no dependency violations found');
  });

  it('fail on an upward import, a sibling feature, a type-only engine import, a module cycle and a folder cycle', () => {
    const result = cruise({
      // platform → feature
      'src/core/a.ts': "import { b } from '../oauth/b.js';\nexport const a = b;\n",
      'src/oauth/b.ts': 'export const b = 1;\n',
      // feature → sibling feature (no port)
      'src/launch/x.ts': "import { y } from '../sso/y.js';\nexport const x = y;\n",
      'src/sso/y.ts': 'export const y = 1;\n',
      // a type counts as an import
      'src/clients/t.ts': "import type { U } from '../tokens/u.js';\nexport const t: U = 1;\n",
      'src/tokens/u.ts': 'export type U = number;\n',
      // module cycle inside one feature
      'src/grants/p.ts': "import { q } from './q.js';\nexport const p = () => q;\n",
      'src/grants/q.ts': "import { p } from './p.js';\nexport const q = () => p;\n",
      // folder cycle without a module cycle (two folders of one feature)
      'src/upstream/http/r.ts': "import { s } from '../providers/s.js';\nexport const r = s;\n",
      'src/upstream/providers/s.ts': 'export const s = 1;\n',
      'src/upstream/providers/s2.ts': "import { r2 } from '../http/r2.js';\nexport const s2 = r2;\n",
      'src/upstream/http/r2.ts': 'export const r2 = 1;\n',
    });
    expect(result.status).not.toBe(0);
    expect(result.out).toContain('platform-core-upward: src/core/a.ts → src/oauth/b.ts');
    expect(result.out).toContain('feature-sibling: src/launch/x.ts → src/sso/y.ts');
    expect(result.out).toContain('engine-sibling: src/clients/t.ts → src/tokens/u.ts');
    expect(result.out).toMatch(/no-module-cycle: src\/grants\/(p|q)\.ts/);
    expect(result.out).toMatch(/no-folder-cycle: src\/upstream\/(http|providers)/);
  });
});
