// Where log lines go. Every line is scrubbed of known secret values, optionally reformatted for a person at
// the terminal, then written to the destination (stderr or --log-file), or, while a progress bar owns the
// terminal, handed to the bar so it can print the line above itself instead of breaking it.
import fs from 'node:fs';
import type { DestinationStream } from 'pino';
import { secretRedactor } from '../redact.js';

/** The part of a pino SonicBoom destination this uses. */
export interface LogDestination {
  write(line: string): unknown;
  flushSync(): void;
  end(): void;
}

/** Someone else who owns the terminal for a while and prints log lines for us (the progress bar). */
export interface LogDiversion {
  write(line: string): void;
  /** Print what is pending now; called before the log output is flushed on exit. */
  flush(): void;
}

export interface LogOutputOptions {
  destination: LogDestination;
  secrets?: readonly string[] | undefined;
  /** The destination is the terminal the progress bar draws on (stderr), so lines must go through the bar. */
  sharesTerminal: boolean;
  /** The destination writes to fd 2 (stderr): lines logged after close() are still written, synchronously. */
  fallbackFd?: number | undefined;
  /** Turns a scrubbed JSON line into what is written (the human terminal format); JSON as is without it. */
  format?: ((line: string) => string) | undefined;
}

export class LogOutput implements DestinationStream {
  readonly sharesTerminal: boolean;
  private readonly destination: LogDestination;
  private readonly redact: (text: string) => string;
  private readonly fallbackFd: number | undefined;
  private readonly format: ((line: string) => string) | undefined;
  private diversion: LogDiversion | undefined;
  private closed = false;

  constructor(options: LogOutputOptions) {
    this.destination = options.destination;
    this.redact = secretRedactor(options.secrets ?? []);
    this.sharesTerminal = options.sharesTerminal;
    this.fallbackFd = options.fallbackFd;
    this.format = options.format;
  }

  write(line: string): void {
    const scrubbed = this.redact(line);
    // Scrubbed again after formatting: parsing the JSON undoes its escapes, which could reveal another form.
    const safe = this.format === undefined ? scrubbed : this.redact(this.format(scrubbed));
    if (this.diversion !== undefined) {
      this.diversion.write(safe);
    } else if (!this.closed) {
      try {
        this.destination.write(safe);
      } catch {
        // the disk is full or the fd is gone: losing a log line must not fail the call that logged it
      }
    } else if (this.fallbackFd !== undefined) {
      writeQuietly(this.fallbackFd, safe);
    }
  }

  /**
   * Send lines to `diversion` until the returned function is called. Does nothing when the log goes to a file:
   * then the bar and the log do not share a terminal.
   */
  divert(diversion: LogDiversion): () => void {
    if (!this.sharesTerminal || this.closed) return () => {};
    // What is already queued must land before the bar starts drawing.
    this.flushDestination();
    this.diversion = diversion;
    return () => {
      if (this.diversion === diversion) this.diversion = undefined;
    };
  }

  /** pino's logger.flush() lands here. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  flushSync(): void {
    try {
      this.diversion?.flush();
    } catch {
      // a broken terminal must not stop the log file from being flushed
    }
    if (!this.closed) this.flushDestination();
  }

  /** Flush synchronously and release the destination. Idempotent; safe from a signal handler or an exit hook. */
  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    this.diversion = undefined;
    try {
      // for stderr, SonicBoom leaves fd 2 open
      this.destination.end();
    } catch {
      // already ended or destroyed (EPIPE)
    }
  }

  private flushDestination(): void {
    try {
      this.destination.flushSync();
    } catch {
      // not open yet, destroyed after EPIPE, or the disk is full: losing log lines must not crash the run
    }
  }
}

function writeQuietly(fd: number, text: string): void {
  try {
    fs.writeSync(fd, text);
  } catch {
    // stderr is gone
  }
}
