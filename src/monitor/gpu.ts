// Per-process GPU memory from nvidia-smi. Where nvidia-smi is absent the caller says so once and goes on.
import { execFile } from 'node:child_process';

export const NVIDIA_SMI_ARGS = ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'] as const;

const MIB = 1024 * 1024;
/** nvidia-smi lists one line per process and GPU: 1 MiB is far more than any machine prints. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** pid -> bytes of GPU memory (summed over GPUs); null when the driver answers `[N/A]`. */
export type GpuUsage = ReadonlyMap<number, number | null>;

/** Lines of `pid, used_memory` in MiB; lines that are neither (blank, "No running processes found") are skipped. */
export function parseComputeApps(text: string): GpuUsage {
  const usage = new Map<number, number | null>();
  for (const line of text.split('\n')) {
    const [pidText, memoryText, extra] = line.split(',').map((part) => part.trim());
    if (pidText === undefined || memoryText === undefined || extra !== undefined || !/^\d+$/.test(pidText)) continue;
    const pid = Number(pidText);
    const known = /^\d+(\.\d+)?$/.test(memoryText) ? Math.round(Number(memoryText) * MIB) : null;
    if (known === null && memoryText !== '[N/A]' && memoryText !== 'N/A') continue;
    const previous = usage.get(pid);
    usage.set(pid, previous === undefined || previous === null ? known : known === null ? previous : previous + known);
  }
  return usage;
}

/** GPU bytes of a set of processes: 0 when none of them holds GPU memory, null when the driver only says [N/A]. */
export function gpuBytesOf(pids: readonly number[], usage: GpuUsage): number | null {
  let total = 0;
  let unknown = false;
  for (const pid of pids) {
    if (!usage.has(pid)) continue;
    const bytes = usage.get(pid);
    if (bytes === null || bytes === undefined) unknown = true;
    else total += bytes;
  }
  return unknown && total === 0 ? null : total;
}

export type GpuRead =
  | { readonly kind: 'ok'; readonly usage: GpuUsage }
  | { readonly kind: 'missing'; readonly command: string }
  | { readonly kind: 'error'; readonly message: string };

export function readGpuUsage(command: string, timeoutMs: number): Promise<GpuRead> {
  return new Promise((resolve) => {
    execFile(
      command,
      NVIDIA_SMI_ARGS,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ kind: 'ok', usage: parseComputeApps(stdout) });
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          resolve({ kind: 'missing', command });
          return;
        }
        const said = (stderr || stdout).trim().split('\n')[0] ?? '';
        resolve({ kind: 'error', message: said === '' ? error.message : said.slice(0, 200) });
      },
    );
  });
}
