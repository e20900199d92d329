/**
 * A push-to-pull async iterator with a bounded buffer: the feed pushes, graphql-ws pulls.
 * A subscriber that falls `maxBuffered` values behind is ended with an error rather than
 * letting its backlog grow without bound. `return()` (the client completed or went away)
 * runs the cleanup once.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: unknown;
  private cleanups: (() => void)[] = [];

  constructor(private readonly maxBuffered = 10_000) {}

  /** Runs when the channel ends, however it ends. */
  onEnd(fn: () => void): void {
    if (this.ended) fn();
    else this.cleanups.push(fn);
  }

  get closed(): boolean {
    return this.ended;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value, done: false });
      return;
    }
    this.queue.push(value);
    if (this.queue.length > this.maxBuffered) {
      this.fail(new Error(`this subscriber fell more than ${this.maxBuffered} updates behind; subscribe again and catch up with catalogEvents(after:)`));
    }
  }

  /** Ends after the buffered values are read. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.runCleanups();
    if (this.waiting && this.queue.length === 0) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.queue.length = 0;
    this.end();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      return Promise.reject(f);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.fail(error);
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private runCleanups(): void {
    const fns = this.cleanups;
    this.cleanups = [];
    for (const fn of fns) fn();
  }
}
