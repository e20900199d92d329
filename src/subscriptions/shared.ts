import { getOperationAST, Kind, print, subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { Channel } from './channel';

type Subscribed = AsyncGenerator<ExecutionResult, void, void> | AsyncIterableIterator<ExecutionResult> | ExecutionResult;

interface Source {
  key: string;
  started: Promise<Subscribed>;
  iterator?: AsyncIterator<ExecutionResult>;
  subscribers: Set<Channel<ExecutionResult>>;
  closed: boolean;
}

function isIterator(r: Subscribed): r is AsyncIterableIterator<ExecutionResult> {
  return typeof (r as AsyncIterableIterator<ExecutionResult>)[Symbol.asyncIterator] === 'function';
}

/**
 * Subscriptions whose results do not depend on who subscribed (catalogChanged: public, no
 * per-connection state) are executed once per distinct document, operation name and
 * variables, and each result is handed to every subscriber of that key: 50 frontends with the
 * same subscription cost one execution per event, not 50. Each subscriber has its own bounded
 * buffer ({@link Channel}): a slow one is ended with an error without holding up the others.
 * The shared execution starts with the first subscriber (and its context) and stops when the
 * last one leaves; a subscriber joining later gets the events committed from then on, as it
 * would alone.
 */
export class SharedSubscriptions {
  private readonly sources = new Map<string, Source>();

  /** `rootFields`: the subscription fields whose executions may be shared. */
  constructor(
    private readonly rootFields: ReadonlySet<string>,
    private readonly maxBuffered = 10_000,
  ) {}

  /** Distinct executions running now. */
  get executions(): number {
    return this.sources.size;
  }

  /** graphql-ws's `subscribe`: shared when every root field is shareable, graphql's own otherwise. */
  async subscribe(args: ExecutionArgs): Promise<Subscribed> {
    if (!this.shareable(args)) return subscribe(args);
    const key = JSON.stringify([print(args.document), args.operationName ?? null, args.variableValues ?? null]);
    for (;;) {
      let src = this.sources.get(key);
      if (!src) {
        const created: Source = { key, started: Promise.resolve(subscribe(args)), subscribers: new Set(), closed: false };
        src = created;
        this.sources.set(key, created);
        void created.started.then(
          (r) => {
            if (isIterator(r)) {
              created.iterator = r;
              void this.pump(created);
            } else this.close(created); // an error result: each waiting subscriber gets it
          },
          () => this.close(created),
        );
      }
      const result = await src.started;
      if (!isIterator(result)) return result;
      if (src.closed) continue; // it ended (its last subscriber left) while this one waited: start anew
      const ch = new Channel<ExecutionResult>(this.maxBuffered);
      const source = src;
      source.subscribers.add(ch);
      ch.onEnd(() => {
        source.subscribers.delete(ch);
        if (source.subscribers.size === 0) this.close(source);
      });
      return ch;
    }
  }

  private shareable(args: ExecutionArgs): boolean {
    const op = getOperationAST(args.document, args.operationName);
    if (!op || op.operation !== 'subscription') return false;
    return op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && this.rootFields.has(s.name.value));
  }

  private async pump(src: Source): Promise<void> {
    const it = src.iterator!;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done || src.closed) break;
        for (const ch of src.subscribers) ch.push(r.value);
      }
    } catch (err) {
      for (const ch of [...src.subscribers]) ch.fail(err);
    } finally {
      this.close(src);
      for (const ch of [...src.subscribers]) ch.end();
    }
  }

  private close(src: Source): void {
    if (src.closed) return;
    src.closed = true;
    if (this.sources.get(src.key) === src) this.sources.delete(src.key);
    void src.iterator?.return?.()?.catch(() => undefined);
  }
}
