import { describe, expect, it } from 'vitest';
import { aliasMonitorMode } from '../../../src/cli/argv.js';

const node = ['node', 'memsafe'];

describe('aliasMonitorMode', () => {
  it.each([
    [['run', '--mode', 'monitor', '--pid', '7'], ['monitor', '--pid', '7']],
    [['run', '--pid', '7', '--mode=monitor'], ['monitor', '--pid', '7']],
    [['run', '--mode', 'cache', '--input', 'x'], ['run', '--mode', 'cache', '--input', 'x']],
    [['run', '--', 'cmd', '--mode', 'monitor'], ['run', '--', 'cmd', '--mode', 'monitor']],
    [['cache', '--mode', 'monitor'], ['cache', '--mode', 'monitor']],
  ])('%j -> %j', (args, expected) => {
    expect(aliasMonitorMode([...node, ...args])).toEqual([...node, ...expected]);
  });
});
