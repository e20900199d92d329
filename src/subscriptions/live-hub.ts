import type { EventFeed } from '../events/feed';
import type { CatalogEvent } from '../events/catalog-event.type';
import { CatalogEventService, EventFilter } from '../events/catalog-events.service';
import type { ScrapeRunService } from '../scraping/runs/scrape-run.service';
import { ScrapeRun, ScrapeRunStatus } from '../scraping/runs/scrape-run.type';
import { NotFoundError } from '../graphql/errors';
import type { Logger } from '../shared/logger';
import { Channel } from './channel';

export interface LiveHubOptions {
  feed: EventFeed;
  runs: ScrapeRunService;
  logger: Logger;
  /** At most one scrapeRunProgress update per this many ms per subscriber (the last one always comes). */
  progressIntervalMs?: number;
}

const ENDED = new Set<string>([ScrapeRunStatus.SUCCEEDED, ScrapeRunStatus.PARTIAL, ScrapeRunStatus.FAILED, ScrapeRunStatus.INTERRUPTED]);

/**
 * The sources of the GraphQL subscriptions, fed by this process's {@link EventFeed} (which
 * sees the commits of every replica).
 */
export class LiveHub {
  private readonly open = new Set<Channel<unknown>>();

  constructor(private readonly opts: LiveHubOptions) {}

  /** Every event committed from now on that matches the filter. */
  catalogChanged(filter: EventFilter | null | undefined): AsyncIterableIterator<CatalogEvent> {
    const f = CatalogEventService.normaliseFilter(filter);
    const ch = this.track(new Channel<CatalogEvent>());
    ch.onEnd(this.opts.feed.onEvent((e) => CatalogEventService.matches(f, e) && ch.push(e)));
    return ch;
  }

  /**
   * The run `id` (or the current run; with none, the next one to start): its state now, an
   * update whenever images finish (at most one per `progressIntervalMs`), and the final state
   * when it ends, then the subscription completes. NOT_FOUND for an unknown id.
   */
  async scrapeRunProgress(id: string | null | undefined): Promise<AsyncIterableIterator<ScrapeRun>> {
    const interval = this.opts.progressIntervalMs ?? 250;
    const ch = this.track(new Channel<ScrapeRun>());
    let runId: string | null = id ?? null;
    let lastEmit = 0;
    let timer: NodeJS.Timeout | undefined;
    let reading: Promise<void> | undefined;
    let finished = false;
    let lastSent = '';

    const send = (run: ScrapeRun | null) => {
      if (!run || ch.closed) return;
      const key = `${run.status}:${run.imagesDone}:${run.imagesFailed}:${run.instancesAdded}:${run.instancesUpdated}`;
      if (key !== lastSent) {
        lastSent = key;
        ch.push(run);
      }
      if (ENDED.has(run.status)) {
        finished = true;
        ch.end();
      }
    };
    const read = (): Promise<void> =>
      (reading ??= (async () => {
        try {
          lastEmit = Date.now();
          send(await this.opts.runs.byId(runId!));
        } catch (err) {
          this.opts.logger.warn({ err, run: runId }, 'could not read a run for scrapeRunProgress');
        } finally {
          reading = undefined;
        }
      })());
    const throttled = () => {
      if (timer || finished) return;
      const wait = Math.max(0, lastEmit + interval - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        void read();
      }, wait);
    };
    const ended = async () => {
      clearTimeout(timer);
      timer = undefined;
      await reading;
      await read();
    };

    // Listen first, then read: nothing that happens in between is missed.
    ch.onEnd(() => clearTimeout(timer));
    ch.onEnd(this.opts.feed.onProgress((rid) => rid === runId && throttled()));
    ch.onEnd(
      this.opts.feed.onEvent((e) => {
        if (!runId && e.type === 'SCRAPE_RUN_STARTED' && e.runId) {
          runId = e.runId;
          void read();
        } else if (e.runId === runId && e.type === 'SCRAPE_RUN_FINISHED') void ended();
      }),
    );
    try {
      if (runId) {
        const run = await this.opts.runs.byId(runId);
        if (!run) throw new NotFoundError(`No scrape run has the id "${runId}".`, { id: runId });
        send(run);
      } else {
        const current = await this.opts.runs.current();
        if (current && !runId) {
          runId = current.id;
          send(current);
        }
      }
    } catch (e) {
      ch.return();
      throw e;
    }
    return ch;
  }

  /** Ends every subscription (shutdown). */
  closeAll(): void {
    for (const ch of this.open) ch.end();
  }

  private track<T>(ch: Channel<T>): Channel<T> {
    this.open.add(ch as Channel<unknown>);
    ch.onEnd(() => this.open.delete(ch as Channel<unknown>));
    return ch;
  }
}
