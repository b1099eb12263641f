// Answers that mean "fewer requests in flight, then try again": Ollama's full queue and Anthropic's overload.
// They are a concurrency signal and a retry, never a record failure while retries last.

export interface RefusalFacts {
  readonly status: number | undefined;
  /** The error message or body text (the server's wording tells Ollama's queue apart from a plain 503). */
  readonly message?: string;
  /** The error type from the body, when parsed (`overloaded_error`). */
  readonly type?: string;
}

/** Ollama: `server busy, please try again.  maximum pending requests exceeded` (OLLAMA_MAX_QUEUE). */
const OLLAMA_BUSY = /server busy|maximum pending requests exceeded/i;
const OVERLOADED = /overloaded/i;

export function isBackpressure(facts: RefusalFacts): boolean {
  if (facts.status === 529) return true;
  if (facts.type === 'overloaded_error') return true;
  if (facts.status !== 503) return false;
  const message = facts.message ?? '';
  return OLLAMA_BUSY.test(message) || OVERLOADED.test(message);
}

/** A 429 that is a rate signal: it lowers the send rate, not the concurrency (quota 429s stop the run elsewhere). */
export function isRateRefusal(facts: RefusalFacts): boolean {
  return facts.status === 429;
}
