// Where the monitor's record goes: JSON lines on stdout (off a TTY or --json) or the live view (on a TTY),
// human lines on stderr, and the --log file.
import { JsonLinesFile, JsonLinesStdout, eventRecord, sampleRecord, summaryRecord } from './json-lines.js';
import type { MonitorEvent, Sample } from './sample.js';
import { type Summary, formatSummary } from './summary.js';
import { type ViewState, frame, renderView } from './view.js';

export interface OutputStreams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WritableStream;
}

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

export class MonitorOutputs {
  private readonly json: JsonLinesStdout | undefined;
  private readonly log: JsonLinesFile | undefined;
  private readonly live: boolean;
  private cursorHidden = false;

  constructor(
    private readonly streams: OutputStreams,
    options: { readonly json: boolean; readonly logFile: string | undefined },
  ) {
    this.live = !options.json && streams.stdout.isTTY;
    this.json = this.live ? undefined : new JsonLinesStdout(streams.stdout);
    this.log = options.logFile === undefined ? undefined : new JsonLinesFile(options.logFile);
  }

  get isLive(): boolean {
    return this.live;
  }

  /** A line for people; while the live view is up it shows events itself, so only `always` lines go out. */
  say(text: string, always = false): void {
    if (!this.live || always) this.streams.stderr.write(`memsafe monitor: ${text}\n`);
  }

  sample(sample: Sample): void {
    const record = sampleRecord(sample);
    this.json?.write(record);
    this.log?.write(record);
  }

  event(event: MonitorEvent, say: boolean): void {
    const record = eventRecord(event);
    this.json?.write(record);
    this.log?.write(record);
    if (say) this.say(event.message);
  }

  redraw(state: ViewState): void {
    if (!this.live) return;
    if (!this.cursorHidden) {
      this.streams.stdout.write(HIDE_CURSOR);
      this.cursorHidden = true;
    }
    const screen = { columns: this.streams.stdout.columns || 100, rows: this.streams.stdout.rows || 40, colors: true };
    this.streams.stdout.write(frame(renderView(state, screen)));
  }

  summary(summary: Summary): void {
    this.showCursor();
    const record = summaryRecord(summary);
    this.json?.write(record);
    this.log?.write(record);
    const dropped = this.json?.dropped ?? 0;
    this.streams.stderr.write(formatSummary(summary));
    if (dropped > 0) this.streams.stderr.write(`  ${dropped} sample lines were dropped: stdout was not being read fast enough\n`);
  }

  /** Idempotent: restores the cursor and closes the log. */
  close(): void {
    this.showCursor();
    this.json?.dispose();
    this.log?.close();
  }

  private showCursor(): void {
    if (!this.cursorHidden) return;
    this.streams.stdout.write(SHOW_CURSOR);
    this.cursorHidden = false;
  }
}
