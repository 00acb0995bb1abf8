//! Retry timing shared by the uploader and the API client: exponential backoff with full jitter
//! (AWS architecture blog, "Exponential Backoff And Jitter"), Retry-After parsing, and an abortable sleep.

export interface BackoffOptions {
  /** First delay ceiling in ms. */
  baseMs: number;
  /** Largest delay ceiling in ms, whatever the attempt. */
  capMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, capMs: 20_000 };

/** Full jitter: a uniformly random delay in [0, min(cap, base * 2^attempt)). `attempt` starts at 0. */
export function fullJitter(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

export function abortError(): DOMException {
  return new DOMException('The upload was cancelled', 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export type Sleep = (ms: number, signal?: AbortSignal, wake?: EventTarget | null) => Promise<void>;

/**
 * Waits `ms`, rejects with an AbortError when `signal` aborts, and ends early when `wake` fires `online`
 * (the network came back, so there is no point in waiting out the backoff).
 */
export const sleep: Sleep = (ms, signal, wake) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      wake?.removeEventListener('online', onWake);
    };
    const onAbort = () => {
      done();
      reject(abortError());
    };
    const onWake = () => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort);
    wake?.addEventListener('online', onWake);
  });
