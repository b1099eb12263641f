// The lint step's import checker on tiny source trees written to a temp dir.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTree, readImports, stronglyConnected } from '../../../scripts/check-cycles.mjs';

const SCRIPT = path.resolve(import.meta.dirname, '..', '..', '..', 'scripts', 'check-cycles.mjs');
const dirs: string[] = [];

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memsafe-cycles-'));
  dirs.push(root);
  for (const [file, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), source);
  }
  return root;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('readImports', () => {
  it('reads static imports, re-exports and side-effect imports as eager, import() as lazy, and skips comments', () => {
    const source = [
      "import fs from 'node:fs';",
      "import type { A } from './a.js';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../b.js';",
      "export { d } from './d.js';",
      "export * from './e.js';",
      "import './side-effect.js';",
      "// import { old } from './commented.js';",
      '/**',
      " * import { doc } from './in-a-comment.js';",
      ' */',
      "const lazy = await import('./lazy.js');",
      "export const text = 'no import here';",
    ].join('\n');
    expect(readImports(source)).toEqual({
      eager: ['node:fs', './a.js', '../b.js', './d.js', './e.js', './side-effect.js'],
      lazy: ['./lazy.js'],
    });
  });
});

describe('stronglyConnected', () => {
  it('finds a loop, a self-import, and nothing in a chain', () => {
    const edges = new Map<string, Set<string>>([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
      ['d', new Set()],
      ['self', new Set(['self'])],
    ]);
    expect(stronglyConnected(edges)).toEqual([['a', 'b', 'c'], ['self']]);
    expect(stronglyConnected(new Map([['x', new Set(['y'])], ['y', new Set<string>()]]))).toEqual([]);
  });
});

describe('checkTree', () => {
  it('passes a layered tree without cycles', () => {
    const root = tree({
      'engine/engine.ts': "import { call } from '../provider/http.js';\nimport type { Row } from '../checkpoint/store.js';\n",
      'provider/http.ts': "import { wait } from '../util/abort.js';\nexport const call = wait;\n",
      'checkpoint/store.ts': 'export interface Row { id: string }\n',
      'util/abort.ts': 'export const wait = 1;\n',
      'cli/run.ts': "const engine = await import('../engine/engine.js');\n",
    });
    expect(checkTree(root, { allowed: [] })).toEqual({ files: 5, cycles: [], violations: [], stale: [] });
  });

  // guards: a cycle through type-only imports and re-exports still fails lint
  it('reports a cycle with one concrete loop through it', () => {
    const root = tree({
      'output/export.ts': "import { csv } from './formats/csv.js';\nexport interface Format { name: string }\n",
      'output/formats/csv.ts': "import type { Format } from './index.js';\nexport const csv = 1;\n",
      'output/formats/index.ts': "export type { Format } from '../export.js';\n",
      'output/other.ts': "import { csv } from './formats/csv.js';\n",
    });
    const result = checkTree(root, { allowed: [] });
    expect(result.cycles).toEqual([
      {
        files: ['output/export.ts', 'output/formats/csv.ts', 'output/formats/index.ts'],
        loop: ['output/export.ts', 'output/formats/csv.ts', 'output/formats/index.ts', 'output/export.ts'],
      },
    ]);
    expect(result.violations).toEqual([
      { from: 'output/formats/index.ts', to: 'output/export.ts', why: 'output/formats/ must not import output/export.ts' },
    ]);
  });

  it('does not count a lazy import() as part of a cycle, but does for layering', () => {
    const root = tree({
      'ui/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'ui/b.ts': "export const b = 1;\nexport async function later() { return import('./a.js'); }\n",
      'ui/c.ts': "export async function run() { return import('../engine/engine.js'); }\n",
      'engine/engine.ts': 'export const engine = 1;\n',
    });
    const result = checkTree(root, { allowed: [] });
    expect(result.cycles).toEqual([]);
    expect(result.violations).toEqual([
      { from: 'ui/c.ts', to: 'engine/engine.ts', why: 'only cli/ (and the batch pipeline) use the engine: nothing else imports engine/' },
    ]);
  });

  it('names each import that points the wrong way', () => {
    const root = tree({
      'provider/classify.ts': "import { parseRetryAfter } from '../engine/retry.js';\n",
      'checkpoint/store.ts': "import type { ProviderResponse } from '../provider/provider.js';\n",
      'config/fields.ts': "import { parseShard } from '../engine/shard.js';\n",
      'engine/retry.ts': 'export const parseRetryAfter = 1;\n',
      'engine/shard.ts': 'export const parseShard = 1;\n',
      'provider/provider.ts': 'export interface ProviderResponse { status: number }\n',
    });
    expect(checkTree(root, { allowed: [] }).violations).toEqual([
      { from: 'checkpoint/store.ts', to: 'provider/provider.ts', why: 'checkpoint/ must not import provider/' },
      { from: 'config/fields.ts', to: 'engine/shard.ts', why: 'config/ must not import engine/' },
      { from: 'provider/classify.ts', to: 'engine/retry.ts', why: 'provider/ must not import engine/' },
    ]);
  });

  it('lets the temporary allow-list through, for cycles and layering alike, and reports a stale entry', () => {
    const root = tree({
      'engine/engine.ts': "import { d } from './dispatcher.js';\nexport const e = d;\n",
      'engine/dispatcher.ts': "import { e } from './engine.js';\nexport const d = 1;\n",
      'provider/http.ts': "import { e } from '../engine/engine.js';\n",
    });
    const allowed = [
      { from: 'engine/dispatcher.ts', to: 'engine/engine.ts' },
      { from: 'provider/http.ts', to: 'engine/engine.ts' },
      { from: 'provider/gone.ts', to: 'engine/engine.ts' },
    ];
    expect(checkTree(root, { allowed })).toEqual({ files: 3, cycles: [], violations: [], stale: ['provider/gone.ts -> engine/engine.ts'] });
    expect(checkTree(root, { allowed: [] }).cycles).toHaveLength(1);
  });
});

describe('node scripts/check-cycles.mjs', () => {
  const run = promisify(execFile);

  it('exits 1 and prints the cycle and the violation', async () => {
    const root = tree({
      'a.ts': "import { b } from './b.js';\nexport const a = 1;\n",
      'b.ts': "import { a } from './a.js';\nexport const b = 1;\n",
      'provider/p.ts': "import '../engine/e.js';\n",
      'engine/e.ts': 'export {};\n',
    });
    const failure = await run(process.execPath, [SCRIPT, '--root', root]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('check-cycles: import cycle among 2 files: a.ts -> b.ts -> a.ts');
    expect(failure?.stderr).toContain('check-cycles: provider/p.ts imports engine/e.ts: provider/ must not import engine/');
  });

  it('exits 0 on a clean tree', async () => {
    const root = tree({ 'a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'b.ts': 'export const b = 1;\n' });
    await expect(run(process.execPath, [SCRIPT, '--root', root])).resolves.toMatchObject({ stderr: '' });
  });
});
