import type { ScrapeRunService } from './runs/scrape-run.service';
import { ScrapeRun, ScrapeRunStatus } from './runs/scrape-run.type';
import type { ScrapeEngine } from './scrape-engine';
import { BadUserInputError } from '../graphql/errors';
import { ImageNameError, parseImageName } from '../shared/image-name';

/** Longest a `wait: true` trigger holds the request before answering with the run as it is. */
export const MAX_WAIT_MS = 15 * 60_000;

export interface TriggerRequest {
  /** Image names as given (either form); omitted or empty → every enabled tracked image. */
  images?: readonly string[] | null;
  wait?: boolean;
  requestedBy: string;
  signal?: AbortSignal;
  maxWaitMs?: number;
}

/** Starting scrapes on request (the triggerScrape mutation, the scrape command). */
export class ScrapeService {
  constructor(
    private readonly engine: ScrapeEngine,
    private readonly runs: ScrapeRunService,
  ) {}

  async trigger(req: TriggerRequest): Promise<{ run: ScrapeRun; created: boolean }> {
    let names: string[] | undefined;
    if (req.images && req.images.length > 0) {
      names = [];
      req.images.forEach((raw, i) => {
        try {
          const name = parseImageName(raw).name;
          if (!names!.includes(name)) names!.push(name);
        } catch (e) {
          if (e instanceof ImageNameError) throw BadUserInputError.field(`input.images[${i}]`, e.message);
          throw e;
        }
      });
      const untracked = await this.engine.queue.untracked(names);
      if (untracked.length > 0) {
        throw new BadUserInputError(
          `Not tracked: ${untracked.join(', ')}. Add ${untracked.length === 1 ? 'it' : 'them'} with addTrackedImages first.`,
          untracked.map((n) => ({ field: `input.images[${req.images!.findIndex((r) => safeName(r) === n)}]`, reason: `${n} is not tracked` })),
        );
      }
    }
    const result = await this.engine.trigger({ images: names, requestedBy: req.requestedBy });
    if (!req.wait) return result;
    return { run: await this.waitFor(result.run.id, req.maxWaitMs ?? MAX_WAIT_MS, req.signal), created: result.created };
  }

  /** Resolves with the run once it has ended (or as it is when `maxWaitMs` passes or `signal` aborts). */
  async waitFor(runId: string, maxWaitMs: number, signal?: AbortSignal): Promise<ScrapeRun> {
    const deadline = Date.now() + maxWaitMs;
    const aborted = new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
    for (;;) {
      const run = await this.runs.byId(runId);
      if (!run) throw new Error(`run ${runId} disappeared`);
      if (run.status !== ScrapeRunStatus.QUEUED && run.status !== ScrapeRunStatus.RUNNING) return run;
      if (Date.now() >= deadline || signal?.aborted) return run;
      // Woken at once when this process ends the run; another replica ending it is seen by polling.
      await Promise.race([this.engine.runEnded(runId, Math.min(1_000, deadline - Date.now())), aborted]);
    }
  }
}

function safeName(raw: string): string | undefined {
  try {
    return parseImageName(raw).name;
  } catch {
    return undefined;
  }
}
