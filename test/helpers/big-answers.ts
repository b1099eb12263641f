// Big answers for the memory-admission tests (issue 11): a fault server whose chat answers carry `bytesOf(id)` of
// content (with or without content-length), the sha256 of each answer's content as sent, and a VmHWM poller.
import fs from 'node:fs';
import { mockAnswer, sha256Hex } from '../../src/provider/mock-answers.js';
import { idOfRequest, query } from './checkpoint.js';
import { type CliResult, collect, spawnCli } from './cli.js';
import { type FaultServer, startFaultServer } from './fault-server.js';

export interface BigAnswerServer {
  readonly server: FaultServer;
  /** Record id -> sha256 of the content last sent for it (not the content: 6 MB x hundreds would not fit here). */
  readonly sent: Map<string, string>;
  close(): Promise<void>;
}

export async function startBigAnswerServer(options: { readonly bytesOf: (id: string) => number; readonly chunked: boolean }): Promise<BigAnswerServer> {
  const sent = new Map<string, string>();
  const server = await startFaultServer({
    behaviour: (request) => {
      const id = idOfRequest(request.json) ?? '?';
      const answer = mockAnswer('POST', request.path, request.body, { responseBytes: options.bytesOf(id) });
      const parsed = JSON.parse(answer.body) as { choices: { message: { content: string } }[] };
      sent.set(id, sha256Hex(parsed.choices[0]?.message.content ?? ''));
      return { status: answer.status, body: answer.body, headers: answer.headers, chunked: options.chunked };
    },
  });
  return { server, sent, close: () => server.close() };
}

/** Ids whose stored answer's content differs from what the server sent (or that are not done). */
export function inexactRecords(db: string, sent: ReadonlyMap<string, string>, ids: readonly string[]): string[] {
  const rows = query<{ id: string; status: string; body: string | null }>(
    db,
    'SELECT records.id AS id, records.status AS status, responses.body AS body FROM records LEFT JOIN responses ON responses.hash = records.hash',
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.filter((id) => {
    const row = byId.get(id);
    if (row?.status !== 'done' || row.body === null) return true;
    const content = (JSON.parse(row.body) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? '';
    return sha256Hex(content) !== sent.get(id);
  });
}

/** VmHWM of `pid` in bytes (the kernel's high-water mark, as scripts/bench/measure.mjs reads it), or undefined once gone. */
export function readVmHwm(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Polls VmHWM of `pid` every `everyMs` until stopped; VmHWM only rises, so the last reading is the peak. */
export function watchPeak(pid: number, everyMs = 10): { stop(): number } {
  let peak = 0;
  const poll = (): void => {
    peak = Math.max(peak, readVmHwm(pid) ?? 0);
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export interface MeasuredRun extends CliResult {
  /** max(VmHWM polled while it ran, the summary's peak_rss_bytes): the process's peak RSS. */
  readonly peakBytes: number;
}

/** Runs the built CLI with `args` and measures its peak RSS the way the bench does (VmHWM of the process). */
export async function runMeasured(args: readonly string[], env: Record<string, string> = {}): Promise<MeasuredRun> {
  const child = spawnCli(args, { env });
  const peak = watchPeak(child.pid ?? 0);
  const result = await collect(child);
  let reported = 0;
  try {
    reported = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { memory?: { peak_rss_bytes?: number } }).memory?.peak_rss_bytes ?? 0;
  } catch {
    // no summary (killed): the polled VmHWM is all there is
  }
  return { ...result, peakBytes: Math.max(peak.stop(), reported) };
}
