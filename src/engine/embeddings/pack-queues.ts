// Texts waiting to be packed, one queue per request identity (model and options), and the texts in flight:
// each distinct text is held once, with the records that wait for it.
import { canonicalJson } from '../../input/request-hash.js';
import type { Job } from '../../input/record.js';

/** One record waiting for its texts' vectors. */
export interface RecordWaiter {
  readonly job: Job;
  readonly keys: readonly string[];
  remaining: number;
  failed: boolean;
  /** Every text was stored or already on its way for another record: a cache hit. */
  shared: boolean;
}

/** One text waiting for its vector, and the records that wait for it. */
export interface TextSlot {
  readonly key: string;
  readonly text: string;
  readonly tokens: number;
  readonly waiters: RecordWaiter[];
  /** Answers that had no usable vector for this text (it is sent again until --max-retries). */
  retries: number;
}

/**
 * Texts that may share one request: their records ask for the same model and options (everything in the body but
 * `input`), so one pack never embeds a text under another record's model or `dimensions`.
 */
export interface PackQueue {
  /** The request body without `input`. */
  readonly params: Readonly<Record<string, unknown>>;
  pending: TextSlot[];
  tokens: number;
}

export interface PackLimits {
  readonly size: number;
  readonly maxTokens: number | undefined;
}

export class PackQueues {
  /** Texts queued or in flight, by vector key. */
  readonly slots = new Map<string, TextSlot>();
  private readonly queues = new Map<string, PackQueue>();
  private queuedTexts = 0;

  /** Texts queued but not yet sent. */
  get queued(): number {
    return this.queuedTexts;
  }

  enqueue(params: Record<string, unknown>, slot: TextSlot): PackQueue {
    const identity = canonicalJson(params);
    let queue = this.queues.get(identity);
    if (queue === undefined) {
      queue = { params, pending: [], tokens: 0 };
      this.queues.set(identity, queue);
    }
    this.slots.set(slot.key, slot);
    queue.pending.push(slot);
    queue.tokens += slot.tokens;
    this.queuedTexts++;
    return queue;
  }

  /** Whether the queue holds a full pack (by count, or by --max-batch-tokens). */
  full(queue: PackQueue, limits: PackLimits): boolean {
    return queue.pending.length >= limits.size || (limits.maxTokens !== undefined && queue.tokens >= limits.maxTokens);
  }

  /** Takes the next pack off the front of the queue: up to `size` texts, within the token limit. */
  take(queue: PackQueue, limits: PackLimits): TextSlot[] {
    let count = 0;
    let tokens = 0;
    while (count < queue.pending.length && count < limits.size) {
      const next = queue.pending[count]?.tokens ?? 0;
      if (limits.maxTokens !== undefined && count > 0 && tokens + next > limits.maxTokens) break;
      tokens += next;
      count++;
    }
    const pack = queue.pending.slice(0, count);
    queue.pending = queue.pending.slice(count);
    queue.tokens -= tokens;
    this.queuedTexts -= count;
    return pack;
  }

  /** Every queue with texts, emptied pack by pack by the caller; the queues are forgotten afterwards. */
  drainAll(): PackQueue[] {
    const queues = [...this.queues.values()];
    this.queues.clear();
    return queues;
  }

  /** The text is settled (stored, failed or abandoned): the next record that holds it queues it anew. */
  settled(slot: TextSlot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
  }
}
