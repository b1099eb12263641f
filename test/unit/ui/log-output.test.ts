import { describe, expect, it } from 'vitest';
import { type LogDestination, LogOutput } from '../../../src/ui/log-output.js';

function memoryDestination(): LogDestination & { lines: string[]; flushes: number; ended: number } {
  return {
    lines: [],
    flushes: 0,
    ended: 0,
    write(line: string) {
      this.lines.push(line);
    },
    flushSync() {
      this.flushes += 1;
    },
    end() {
      this.ended += 1;
    },
  };
}

function memoryDiversion() {
  return {
    lines: [] as string[],
    flushes: 0,
    write(line: string) {
      this.lines.push(line);
    },
    flush() {
      this.flushes += 1;
    },
  };
}

describe('LogOutput', () => {
  it('scrubs secrets before writing', () => {
    const destination = memoryDestination();
    const output = new LogOutput({ destination, secrets: ['secret-value-1'], sharesTerminal: true });
    output.write('{"msg":"has secret-value-1"}\n');
    expect(destination.lines).toEqual(['{"msg":"has [redacted]"}\n']);
  });

  it('sends lines to the diversion until it is restored, flushing what was queued first', () => {
    const destination = memoryDestination();
    const output = new LogOutput({ destination, secrets: ['secret-value-1'], sharesTerminal: true });
    output.write('before\n');
    const diversion = memoryDiversion();
    const restore = output.divert(diversion);
    expect(destination.flushes).toBe(1);
    output.write('during secret-value-1\n');
    restore();
    output.write('after\n');
    expect(diversion.lines).toEqual(['during [redacted]\n']);
    expect(destination.lines).toEqual(['before\n', 'after\n']);
  });

  it('does not divert a log that goes to a file', () => {
    const destination = memoryDestination();
    const output = new LogOutput({ destination, sharesTerminal: false });
    const diversion = memoryDiversion();
    output.divert(diversion);
    output.write('line\n');
    expect(diversion.lines).toEqual([]);
    expect(destination.lines).toEqual(['line\n']);
  });

  it('close() flushes the diversion and the destination once, however often it is called', () => {
    const destination = memoryDestination();
    const output = new LogOutput({ destination, sharesTerminal: true });
    const diversion = memoryDiversion();
    output.divert(diversion);
    output.close();
    output.close();
    expect(diversion.flushes).toBe(1);
    expect(destination.flushes).toBe(2); // once on divert, once on close
    expect(destination.ended).toBe(1);
    output.write('after close\n');
    expect(destination.lines).toEqual([]);
  });

  it('survives a destination whose flush throws', () => {
    const destination = memoryDestination();
    destination.flushSync = () => {
      throw new Error('sonic boom is not ready yet');
    };
    const output = new LogOutput({ destination, sharesTerminal: true });
    expect(() => output.close()).not.toThrow();
  });

  // guards: the synchronous destination throws where the async one failed later (ENOSPC on --log-file)
  it('survives a destination whose write throws', () => {
    const destination = memoryDestination();
    destination.write = () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    const output = new LogOutput({ destination, sharesTerminal: false });
    expect(() => output.write('line\n')).not.toThrow();
  });
});
