import type { RateLimitSource } from './hub-types';

/** A pause asked for by a response's rate-limit headers. */
export interface RateLimitPause {
  /** Milliseconds from now. */
  ms: number;
  /** Epoch milliseconds (on the clock the pause was computed with). */
  until: number;
  source: RateLimitSource;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

/** Unix seconds; a small number (below year 2001) is taken as seconds from now, leniently. */
function unixSecondsToMs(raw: string, now: number): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
  const n = Number(raw);
  return n < 1e9 ? now + n * 1000 : n * 1000;
}

/**
 * The pause a response asks for, if any:
 * - `Retry-After` (seconds, or an HTTP date) and `X-Retry-After` (unix seconds), on an error response;
 * - `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (unix seconds), on any response;
 * - `RateLimit-Remaining: 0;w=SECONDS` (the registry form), on any response: one window.
 * When several are present the longest wins.
 */
export function rateLimitPauseFrom(status: number, headers: HeaderBag, now: number): RateLimitPause | undefined {
  const candidates: Array<{ until: number; source: RateLimitSource }> = [];
  if (status >= 400) {
    const retryAfter = header(headers, 'retry-after');
    if (retryAfter) {
      let until: number | undefined;
      if (/^\d+(\.\d+)?$/.test(retryAfter)) until = now + Number(retryAfter) * 1000;
      else {
        const date = Date.parse(retryAfter);
        if (!Number.isNaN(date)) until = date;
      }
      if (until !== undefined) candidates.push({ until, source: 'retry-after' });
    }
    const xRetryAfter = header(headers, 'x-retry-after');
    if (xRetryAfter) {
      const until = unixSecondsToMs(xRetryAfter, now);
      if (until !== undefined) candidates.push({ until, source: 'x-retry-after' });
    }
  }
  const remaining = header(headers, 'x-ratelimit-remaining');
  const reset = header(headers, 'x-ratelimit-reset');
  if (remaining !== undefined && reset && /^\d+$/.test(remaining) && Number(remaining) === 0) {
    const until = unixSecondsToMs(reset, now);
    if (until !== undefined) candidates.push({ until, source: 'x-ratelimit-reset' });
  }
  // The registry form (registry-1.docker.io): `ratelimit-remaining: 0;w=21600`, a window in
  // seconds and no reset time: with nothing left, wait out one window.
  const registryRemaining = /^(\d+)\s*;\s*w=(\d+)/i.exec(header(headers, 'ratelimit-remaining') ?? '');
  if (registryRemaining && Number(registryRemaining[1]) === 0) {
    candidates.push({ until: now + Number(registryRemaining[2]) * 1000, source: 'ratelimit-remaining' });
  }
  let best: { until: number; source: RateLimitSource } | undefined;
  for (const c of candidates) if (!best || c.until > best.until) best = c;
  if (!best || best.until <= now) return undefined;
  return { ms: Math.ceil(best.until - now), until: best.until, source: best.source };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

/**
 * One host-wide pause: while it lasts no request to the host is sent — not only the one
 * that was refused, but every retry and every concurrent call of the same client.
 */
export class RateLimitGate {
  private until = 0;
  private source: RateLimitSource | undefined;
  /**
   * The request budget of the current rate-limit window, from the last
   * `X-RateLimit-Remaining` / `X-RateLimit-Reset`: requests that may still be sent before
   * `resetAt`. Each request sent spends one; at 0 the gate waits for the reset.
   */
  private budget: { left: number; resetAt: number } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes the budget from a response's rate-limit headers. `inFlight` requests were sent and
   * not answered yet: the server may not have counted them in `Remaining`, so they are taken
   * as spent. A budget whose reset has passed is forgotten.
   */
  noteBudget(headers: HeaderBag, inFlight: number): void {
    const remaining = header(headers, 'x-ratelimit-remaining');
    const reset = header(headers, 'x-ratelimit-reset');
    if (remaining === undefined || !reset || !/^\d+$/.test(remaining)) return;
    const now = this.now();
    const resetAt = unixSecondsToMs(reset, now);
    if (resetAt === undefined || resetAt <= now) return;
    const left = Number(remaining) - inFlight;
    // A later answer of the same window can only lower the budget (answers arrive out of order).
    if (this.budget && this.budget.resetAt === resetAt) this.budget.left = Math.min(this.budget.left, left);
    else if (!this.budget || resetAt > this.budget.resetAt) this.budget = { left, resetAt };
  }

  /** Requests left in the current window, when the headers said (undefined: unknown). */
  budgetLeft(): number | undefined {
    if (!this.budget || this.budget.resetAt <= this.now()) return undefined;
    return this.budget.left;
  }

  /** Extends the pause to `until` (never shortens it). Returns whether it was extended. */
  pause(p: { until: number; source: RateLimitSource }): boolean {
    if (p.until <= this.until) return false;
    this.until = p.until;
    this.source = p.source;
    return true;
  }

  /** Milliseconds left in the current pause (0 when not paused). */
  remainingMs(): number {
    return Math.max(0, this.until - this.now());
  }

  /** What set the current pause. */
  get pausedBy(): RateLimitSource | undefined {
    return this.remainingMs() > 0 ? this.source : undefined;
  }

  /** Epoch ms the current pause ends at. */
  get pausedUntil(): number {
    return this.until;
  }

  /**
   * Waits until the pause is over (it may be extended while waiting). If the remaining wait
   * is longer than `maxWaitMs`, rejects at once with `tooLong(ms, until, source)`.
   * Returns how long it waited.
   */
  async wait(opts: {
    maxWaitMs: number;
    signal?: AbortSignal;
    tooLong: (ms: number, until: number, source: RateLimitSource | undefined) => Error;
  }): Promise<number> {
    let waited = 0;
    for (;;) {
      const now = this.now();
      let ms = this.until - now;
      let source = this.source;
      let until = this.until;
      if (ms <= 0) {
        const b = this.budget;
        if (!b || b.resetAt <= now) {
          this.budget = undefined;
          return waited;
        }
        if (b.left > 0) {
          b.left--;
          return waited;
        }
        // The window's budget is spent: wait for its reset rather than collect a 429.
        ms = b.resetAt - now;
        until = b.resetAt;
        source = 'x-ratelimit-reset';
      }
      if (ms > opts.maxWaitMs) throw opts.tooLong(ms, until, source);
      await sleep(ms, opts.signal);
      waited += ms;
    }
  }
}
