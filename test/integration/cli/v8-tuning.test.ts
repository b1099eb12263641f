// Holding V8's young generation relies on V8 reading --semi-space-growth-factor at every growth, not only at
// start-up: checked in a fresh Node process (the built dist/), so a Node upgrade that stops honouring it fails here.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';

const TUNING = pathToFileURL(path.join(ROOT, 'dist', 'cli', 'v8-tuning.js')).href;

/** The young generation's size before and after allocating 300k short-lived and surviving objects. */
function youngGenerationGrowth(grow: boolean): { before: number; after: number } {
  const script = `
    import v8 from 'node:v8';
    import { tuneV8 } from ${JSON.stringify(TUNING)};
    tuneV8().setYoungGenerationGrowth(${grow});
    const size = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size;
    const before = size();
    const kept = [];
    for (let i = 0; i < 300000; i++) {
      kept.push({ i, text: 'x' + i });
      if (kept.length > 100000) kept.splice(0, 50000);
    }
    process.stdout.write(JSON.stringify({ before, after: size() }));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { before: number; after: number };
}

describe('tuneV8().setYoungGenerationGrowth', () => {
  it('false holds the young generation near its size while the same allocations grow it by default', () => {
    const free = youngGenerationGrowth(true);
    const held = youngGenerationGrowth(false);
    expect(free.after).toBeGreaterThanOrEqual(8 * free.before);
    expect(held.after).toBeLessThanOrEqual(2 * held.before);
  });
});
