/**
 * A per-host circuit breaker for the Docker Hub client.
 *
 * CLOSED: requests go. After `threshold` consecutive connection-level failures (refused,
 * reset, DNS, timeouts — never an HTTP status: any response at all proves the host is
 * reachable) it OPENs: for `cooldownMs` every request fails at once, without touching the
 * network. Then it is HALF_OPEN: one request (the probe) goes; the others still fail at once.
 * The probe's success closes the breaker, its failure opens it again for another cool-down.
 * `since` is when the host became unreachable (the first failure of the streak that opened
 * the breaker); it stays the same across re-openings until the breaker closes.
 */

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitSnapshot {
  host: string;
  state: CircuitState;
  /** When the current state began (CLOSED: last closed; epoch ms; 0 when it never changed). */
  changedAt: number;
  /** OPEN/HALF_OPEN: when the host became unreachable (the first failure of the streak). */
  unreachableSince: number | null;
  /** OPEN: when the next probe may go. */
  retryAt: number | null;
  consecutiveFailures: number;
  /** The last connection-level failure, in words. */
  lastFailure: string | null;
}

/** What a request may do: go, go as the probe, or fail at once. */
export type CircuitPermit = { go: true; probe: boolean } | { go: false; snapshot: CircuitSnapshot };

export interface CircuitBreakerOptions {
  host: string;
  threshold: number;
  cooldownMs: number;
  now?: () => number;
  /** Called once per state change (for the one warning and the metrics gauge). */
  onStateChange?: (s: CircuitSnapshot, previous: CircuitState) => void;
}

export class CircuitBreaker {
  private state: CircuitState = 'CLOSED';
  private changedAt = 0;
  private failures = 0;
  private streakStart: number | null = null;
  private openedAt = 0;
  private probeInFlight = false;
  private lastFailure: string | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: CircuitBreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Asks to send one request. A `probe: true` permit must be followed by {@link success} or {@link failure}. */
  permit(): CircuitPermit {
    if (this.state === 'OPEN' && this.now() >= this.openedAt + this.opts.cooldownMs) this.transition('HALF_OPEN');
    if (this.state === 'CLOSED') return { go: true, probe: false };
    if (this.state === 'HALF_OPEN' && !this.probeInFlight) {
      this.probeInFlight = true;
      return { go: true, probe: true };
    }
    return { go: false, snapshot: this.snapshot() };
  }

  /** The host answered (any HTTP status). */
  success(probe = false): void {
    if (probe) this.probeInFlight = false;
    this.failures = 0;
    this.streakStart = null;
    if (this.state !== 'CLOSED') this.transition('CLOSED');
  }

  /** A connection-level failure. */
  failure(reason: string, probe = false): void {
    if (probe) this.probeInFlight = false;
    const now = this.now();
    this.failures++;
    this.streakStart ??= now;
    this.lastFailure = reason;
    if (this.state === 'HALF_OPEN' ? probe : this.state === 'CLOSED' && this.failures >= this.opts.threshold) {
      this.openedAt = now;
      this.transition('OPEN');
    }
  }

  /** A probe that ended without a verdict (aborted): another may go. */
  release(probe: boolean): void {
    if (probe) this.probeInFlight = false;
  }

  get isOpen(): boolean {
    return this.state !== 'CLOSED';
  }

  snapshot(): CircuitSnapshot {
    if (this.state === 'OPEN' && this.now() >= this.openedAt + this.opts.cooldownMs) this.transition('HALF_OPEN');
    return {
      host: this.opts.host,
      state: this.state,
      changedAt: this.changedAt,
      unreachableSince: this.state === 'CLOSED' ? null : this.streakStart,
      retryAt: this.state === 'OPEN' ? this.openedAt + this.opts.cooldownMs : null,
      consecutiveFailures: this.failures,
      lastFailure: this.lastFailure,
    };
  }

  private transition(to: CircuitState): void {
    const previous = this.state;
    if (previous === to) return;
    this.state = to;
    this.changedAt = this.now();
    if (to === 'CLOSED') this.lastFailure = null;
    try {
      this.opts.onStateChange?.(this.snapshot(), previous);
    } catch {
      /* observers must not break requests */
    }
  }
}
