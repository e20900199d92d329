import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { ScraperConfig } from '../config/config';
import type { Db } from '../database/db';
import { isDatabaseUnavailable } from '../database/db-errors';
import type { Logger } from '../shared/logger';
import { ImageName, isDockerHub, parseImageName } from '../shared/image-name';
import { HubNotFoundError, HubUnreachableError, isHubError } from './hub';
import type { HubRepository, TagList } from './hub';
import { RunQueue, Claim, FinishedStatus, ImageOutcome } from './runs/run-queue';
import { ScrapeRun, ScrapeRunStatus, ScrapeTrigger } from './runs/scrape-run.type';
import { nextFullRunDue } from './runs/scrape-run.service';
import { instanceUpstream, resourceUpstream } from './sync/hub-mapping';
import { syncImage, upstreamUnchanged } from './sync/image-sync';
import { sanitizeImage } from './sync/sanitize';
import { formatDuration } from '../config/duration';
import { appendEvents, NewCatalogEvent } from '../events/outbox';
import type { RegistryClient } from './registry/registry-types';
import { ImageRead, readImage, RegistryNotConfiguredError } from './image-reader';
import { countRequests } from './request-count';

/** What the engine needs of Docker Hub (the DockerHubClient; a stand-in in unit tests). */
export interface HubSource {
  getRepository(namespace: string, repository: string, signal?: AbortSignal): Promise<HubRepository>;
  listTags(namespace: string, repository: string, maxTags: number, signal?: AbortSignal): Promise<TagList>;
}

/** Claims held ready beyond the free slots. */
const PREFETCH = 2;

type EndedRunStatus = Exclude<`${ScrapeRunStatus}`, 'QUEUED' | 'RUNNING'>;

/** The status of a run that has ended (those passed to the observer have, by construction). */
function ended(run: ScrapeRun): EndedRunStatus {
  return run.status as EndedRunStatus;
}

/** Hooks for metrics. */
export interface ScrapeObserver {
  imageFinished?(e: { status: FinishedStatus; seconds: number }): void;
  runFinished?(e: { trigger: `${ScrapeTrigger}`; status: EndedRunStatus; seconds: number }): void;
}

export interface EngineOptions {
  db: Db;
  hub: HubSource;
  config: ScraperConfig;
  logger: Logger;
  observer?: ScrapeObserver;
  /** Defaults to `host:pid:random`. */
  workerId?: string;
  /**
   * The OCI Distribution client: every image on another registry, and (with
   * DOCKER_SCRAPER_IMAGE_CONFIG) the image config of Docker Hub images. Without it only
   * Docker Hub images can be read, from the web API alone.
   */
  registry?: RegistryClient;
  /** Host of Docker Hub's registry for the image config (default `registry-1.docker.io`). */
  hubRegistryHost?: string;
}

interface InFlight {
  claim: Claim;
  abort: AbortController;
  done: Promise<void>;
}

class ClaimLostError extends Error {}

/** An image outlived DOCKER_SCRAPER_IMAGE_DEADLINE: its requests were aborted. */
export class ImageDeadlineError extends Error {
  constructor(readonly deadlineMs: number) {
    super(
      `gave up after the image deadline of ${formatDuration(deadlineMs)} (DOCKER_SCRAPER_IMAGE_DEADLINE): ` +
        'Docker Hub was still answering (slowly, or after long rate-limit waits)',
    );
    this.name = 'ImageDeadlineError';
  }
}

/**
 * Manual subset runs (triggerScrape with images, addTrackedImages scrapeNow) go first: their
 * images are claimed before any other, and each process keeps this many fetch slots beyond
 * DOCKER_SCRAPER_CONCURRENCY for them, so that they start at once even while a full run
 * holds every ordinary slot.
 */
export const PRIORITY_SLOTS = 1;

function isPriority(run: { trigger: `${ScrapeTrigger}`; scope: string }): boolean {
  return run.trigger === ScrapeTrigger.MANUAL && run.scope === 'SUBSET';
}

/**
 * The scrape worker and scheduler of one process. Scheduling lives in the database (see
 * RunQueue): any number of processes may run an engine on one PostgreSQL; each claims
 * images with leases, joins runs in progress, and renews its leases by heartbeat.
 *
 * With `config.enabled`, the engine also creates due runs (at startup and every interval),
 * joins every run, and turns runs abandoned by dead processes into INTERRUPTED + RECOVERY.
 * Without it, it only works on the runs this process was asked for (manual scrapes) and
 * touches no other run, so no request reaches Docker Hub unless a scrape is asked for.
 */
export class ScrapeEngine {
  readonly workerId: string;
  readonly queue: RunQueue;
  private readonly inFlight = new Map<string, InFlight>();
  /** Images of {@link inFlight} still reading Docker Hub (the rest are writing the catalog). */
  private fetching = 0;
  /** Claimed, not started yet (see {@link PREFETCH}). */
  private readonly ready: Claim[] = [];
  /** Claims whose image met a database outage: handed back to the queue once it answers again. */
  private readonly unrecorded: Claim[] = [];
  /**
   * Runs this process created (it works on them even with the scheduler off), and the
   * active manual subset runs (see {@link PRIORITY_SLOTS}), each with the {@link runAdds}
   * count at which it was added: housekeeping prunes them from a snapshot of the active
   * runs, and must keep what a trigger added while that snapshot was being read (a run
   * committed after the snapshot is missing from it, not finished).
   */
  private readonly ownRuns = new Map<string, number>();
  private readonly priorityRuns = new Map<string, number>();
  private runAdds = 0;
  private readonly endWaiters = new Map<string, Set<() => void>>();
  private stopping = false;
  private lastHousekeeping = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating: Promise<void> | undefined;
  private activeRuns = 0;
  private loopDone: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private readonly log: Logger;

  constructor(private readonly opts: EngineOptions) {
    this.workerId = opts.workerId ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.queue = new RunQueue(opts.db);
    this.log = opts.logger.child({ component: 'scraper', worker: this.workerId });
  }

  /** Starts the loop; with scheduling on, first scrapes if a run is due (or always, per DOCKER_SCRAPER_ON_STARTUP). */
  async start(): Promise<void> {
    const c = this.opts.config;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), c.heartbeatMs);
    this.heartbeatTimer.unref();
    if (c.enabled) {
      await this.recoverAbandoned();
      const base = { requestedBy: `scheduler@${this.workerId}`, defaultMaxTags: c.maxTags, leaseMs: c.leaseMs };
      const started =
        c.onStartup === 'always'
          ? await this.queue.create({ ...base, trigger: ScrapeTrigger.STARTUP })
          : await this.queue.createIfDue({ ...base, trigger: ScrapeTrigger.STARTUP, intervalMs: c.intervalMs, failureBackoffMs: c.failureBackoffMs });
      if (started?.created) this.logRunCreated(started.run, 'a scrape is due at startup');
      else if (started) this.log.info({ run: started.run.id }, 'joining the full scrape already in progress');
      else await this.logNotDue();
    } else {
      this.log.info('scheduled scrapes are off (DOCKER_SCRAPER_ENABLED=false): only requested scrapes run');
    }
    this.loopDone = this.loop();
  }

  /**
   * Starts a run now. The whole list while a full run is in progress returns that run
   * (`created: false`). The images must be canonical names of tracked images.
   */
  async trigger(opts: { images?: readonly string[]; requestedBy: string; trigger?: ScrapeTrigger }): Promise<{ run: ScrapeRun; created: boolean }> {
    const c = this.opts.config;
    const result = await this.queue.create({
      trigger: opts.trigger ?? ScrapeTrigger.MANUAL,
      images: opts.images,
      requestedBy: opts.requestedBy,
      defaultMaxTags: c.maxTags,
      leaseMs: c.leaseMs,
    });
    const added = ++this.runAdds;
    this.ownRuns.set(result.run.id, added);
    if (isPriority(result.run) && result.run.status === ScrapeRunStatus.QUEUED) this.priorityRuns.set(result.run.id, added);
    this.activeRuns = Math.max(this.activeRuns, 1);
    if (result.created) this.logRunCreated(result.run, 'scrape requested');
    this.wake();
    return result;
  }

  /** Wakes the loop to claim work now rather than at the next poll (or right after the pass in progress). */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  /**
   * Stops claiming, gives in-flight images `shutdownGraceMs` to finish, then aborts the
   * rest and hands them back to the queue so another process (or the next start) takes them.
   */
  async stop(): Promise<void> {
    if (this.stopping) return this.loopDone;
    this.stopping = true;
    this.wake();
    await this.loopDone;
    const unstarted = [...this.ready.splice(0), ...this.unrecorded.splice(0)];
    if (unstarted.length > 0) {
      await this.queue.release(this.workerId, unstarted).catch((err) => this.log.warn({ err }, 'could not hand images back'));
    }
    const pending = [...this.inFlight.values()];
    if (pending.length > 0) {
      this.log.info({ images: pending.map((p) => p.claim.name), graceMs: this.opts.config.shutdownGraceMs }, 'waiting for images in flight');
      const grace = new Promise<'timeout'>((r) => setTimeout(r, this.opts.config.shutdownGraceMs, 'timeout').unref());
      await Promise.race([Promise.all(pending.map((p) => p.done)), grace]);
    }
    const left = [...this.inFlight.values()];
    if (left.length > 0) {
      for (const p of left) p.abort.abort(new Error('shutting down'));
      await Promise.all(left.map((p) => p.done));
      // Images still reading Docker Hub return without a word; those already writing finish
      // their transaction (release then leaves them alone: they are no longer RUNNING).
      const released = await this.queue
        .release(this.workerId, left.map((p) => p.claim))
        .catch((err) => (this.log.warn({ err }, 'could not hand images back'), []));
      if (released.length > 0) this.log.info({ images: released }, 'abandoned images in flight; they go back to the queue');
    }
    // Leases were renewed until here: nothing this process held can have been taken over.
    clearInterval(this.heartbeatTimer);
    await this.heartbeating;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (err) {
        if (isDatabaseUnavailable(err)) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'database unavailable; the scraper retries at the next poll');
        else this.log.error({ err }, 'scraper loop error; retrying at the next poll');
      }
      if (this.stopping) break;
      await this.sleep(this.opts.config.pollMs);
    }
  }

  /**
   * One pass: housekeeping (abandoned runs, due runs, which runs are active) at most every
   * poll interval, lease renewal at most every heartbeat, then claims until every slot is
   * busy. A finished image wakes the loop, so the next claim follows at once.
   */
  private async tick(): Promise<void> {
    const c = this.opts.config;
    if (this.unrecorded.length > 0) {
      // Heartbeats renew every claim of this worker: without this, an image whose outcome
      // could not be written would stay RUNNING (and its run unfinished) for as long as the process lives.
      const claims = this.unrecorded.splice(0);
      try {
        const back = await this.queue.release(this.workerId, claims);
        if (back.length > 0) this.log.warn({ images: back }, 'the database answers again: images it failed go back to the queue');
      } catch (err) {
        this.unrecorded.unshift(...claims);
        throw err;
      }
    }
    const now = Date.now();
    if (now - this.lastHousekeeping >= c.pollMs) {
      this.lastHousekeeping = now;
      // Renew first: a process slow to get here must not find its own run abandoned.
      await this.heartbeat();
      if (c.enabled) {
        await this.recoverAbandoned();
        const due = await this.queue.createIfDue({
          trigger: ScrapeTrigger.SCHEDULE,
          requestedBy: `scheduler@${this.workerId}`,
          defaultMaxTags: c.maxTags,
          leaseMs: c.leaseMs,
          intervalMs: c.intervalMs,
          failureBackoffMs: c.failureBackoffMs,
        });
        if (due?.created) this.logRunCreated(due.run, 'scheduled scrape is due');
      }
      const seen = this.runAdds; // runs added after this are newer than the snapshot
      const active = await this.queue.active();
      for (const run of active) {
        // Normally closed by the process that finished the last image; this covers a crash in between.
        const finished = await this.queue.finishIfDone(run.id);
        if (finished) this.logRunFinished(finished);
      }
      const newer = [...this.ownRuns.values()].filter((n) => n > seen).length;
      this.activeRuns = Math.max(active.length, newer);
      const isActive = new Set(active.map((r) => r.id));
      for (const [id, n] of this.ownRuns) if (n <= seen && !isActive.has(id)) this.ownRuns.delete(id);
      for (const [id, n] of this.priorityRuns) if (n <= seen) this.priorityRuns.delete(id);
      for (const run of active) {
        if (isPriority(run) && (c.enabled || this.ownRuns.has(run.id)) && !this.priorityRuns.has(run.id)) this.priorityRuns.set(run.id, seen);
      }
    }
    const eligible = this.eligibleRuns();
    if (eligible?.length === 0) return;
    if (this.stopping) return;
    this.startReady();
    // Manual subset runs first, into the reserved slots if the ordinary ones are busy.
    if (this.priorityRuns.size > 0) {
      const readyPriority = this.ready.filter((r) => r.priority).length;
      const wantPriority = this.freeSlots(true) - readyPriority;
      if (wantPriority > 0) {
        const seen = this.runAdds;
        const claims = await this.queue.claim(this.workerId, c.leaseMs, wantPriority, [...this.priorityRuns.keys()]);
        // Nothing claimable left in the runs asked about (the next housekeeping knows); a run
        // triggered while the claim was in flight was not asked about, and stays.
        if (claims.length === 0) for (const [id, n] of this.priorityRuns) if (n <= seen) this.priorityRuns.delete(id);
        this.ready.unshift(...claims);
        this.startReady();
      }
    }
    // Keep a couple of claims ready beyond the free slots, so that a slot that frees up starts
    // its next image at once instead of waiting for a claim round trip.
    const want = this.freeSlots(false) + PREFETCH - this.ready.length;
    if (want <= 0) return;
    this.ready.push(...(await this.queue.claim(this.workerId, c.leaseMs, want, eligible)));
    this.ready.sort((a, b) => Number(b.priority) - Number(a.priority));
    this.startReady();
  }

  /**
   * Slots read Docker Hub; catalog writes trail behind, at most one per slot. Priority work
   * (manual subset runs) may also use the {@link PRIORITY_SLOTS} reserved ones.
   */
  private freeSlots(priority: boolean): number {
    const c = this.opts.config;
    const extra = priority ? PRIORITY_SLOTS : 0;
    return Math.min(c.concurrency + extra - this.fetching, 2 * c.concurrency + extra - this.inFlight.size);
  }

  private startReady(): void {
    while (!this.stopping && this.ready.length > 0 && this.freeSlots(this.ready[0].priority) > 0) this.launch(this.ready.shift()!);
  }

  /** The runs this process may work on: all of them with the scheduler on, its own otherwise. */
  private eligibleRuns(): string[] | undefined {
    return this.opts.config.enabled ? undefined : [...this.ownRuns.keys()];
  }

  /**
   * Renews this process's claims and the leases of the runs it may work on. Runs on its own
   * timer (and before housekeeping), so leases stay fresh while the loop waits on SQL or
   * while stop() waits for images in flight.
   */
  private heartbeat(): Promise<void> {
    if (this.heartbeating) return this.heartbeating;
    const eligible = this.eligibleRuns();
    if (this.inFlight.size === 0 && this.ready.length === 0 && (this.activeRuns === 0 || eligible?.length === 0)) return Promise.resolve();
    this.heartbeating = this.queue
      .heartbeat(this.workerId, this.opts.config.leaseMs, eligible)
      .catch((err) => this.log.warn({ err }, 'heartbeat failed; retrying at the next one'))
      .finally(() => (this.heartbeating = undefined));
    return this.heartbeating;
  }

  private async recoverAbandoned(): Promise<void> {
    const c = this.opts.config;
    for (const run of await this.queue.failExhausted()) this.logRunFinished(run);
    const done = await this.queue.interruptAbandoned({
      requestedBy: `scheduler@${this.workerId}`,
      defaultMaxTags: c.maxTags,
      leaseMs: c.leaseMs,
    });
    for (const { interrupted, recovery } of done) {
      this.log.warn({ run: interrupted.id, error: interrupted.error, recovery: recovery?.id }, 'run interrupted: its processes stopped');
      this.opts.observer?.runFinished?.({ trigger: interrupted.trigger, status: ended(interrupted), seconds: runSeconds(interrupted) });
      if (recovery) this.logRunCreated(recovery, 'recovering the unfinished images');
    }
  }

  /**
   * Starts one claimed image. Its slot counts against DOCKER_SCRAPER_CONCURRENCY while Docker
   * Hub is being read; once the reads are done the slot goes to the next image and the
   * catalog write trails behind (at most as many writes as slots), so database latency does
   * not hold up Docker Hub requests.
   */
  private launch(claim: Claim): void {
    const key = `${claim.runId}/${claim.name}`;
    const abort = new AbortController();
    const deadlineMs = this.opts.config.imageDeadlineMs;
    const deadline = setTimeout(() => abort.abort(new ImageDeadlineError(deadlineMs)), deadlineMs);
    this.fetching++;
    let fetchDone = false;
    const fetched = () => {
      if (fetchDone) return;
      fetchDone = true;
      this.fetching--;
      this.startReady();
      this.wake();
    };
    const done = this.scrape(claim, abort.signal, fetched).finally(() => {
      clearTimeout(deadline);
      fetched();
      this.inFlight.delete(key);
      this.wake();
    });
    this.inFlight.set(key, { claim, abort, done });
  }

  /** One image: read Docker Hub, then write catalog + outcome in one transaction. */
  private async scrape(claim: Claim, signal: AbortSignal, fetched: () => void): Promise<void> {
    const started = performance.now();
    const image = parseImageName(claim.name);
    let read: ImageRead | undefined;
    let failure: unknown;
    const requests = new Map<string, number>();
    try {
      const reader = {
        hub: this.opts.hub,
        registry: this.opts.registry,
        imageConfig: this.opts.config.imageConfig,
        hubRegistryHost: this.opts.hubRegistryHost ?? 'registry-1.docker.io',
      };
      const filter = claim.tagFilter && (claim.tagFilter.include || claim.tagFilter.exclude) ? claim.tagFilter : null;
      read = await countRequests(requests, () => readImage(this.opts.db, reader, image, claim.maxTags, filter, signal));
    } catch (err) {
      failure = err;
    } finally {
      fetched();
    }
    const hubMs = performance.now() - started;
    if (signal.aborted && !(signal.reason instanceof ImageDeadlineError) && this.stopping) return; // handed back by stop()
    if (signal.reason instanceof ImageDeadlineError && !read) failure = signal.reason;

    let outcome: ImageOutcome;
    try {
      if (read) outcome = await this.store(claim, image, read, Object.fromEntries(requests));
      else throw failure;
    } catch (err) {
      if (err instanceof ClaimLostError) {
        this.log.warn({ image: claim.name, run: claim.runId }, 'lost the claim on an image (lease expired); another process took it over');
        return;
      }
      if (isDatabaseUnavailable(err)) {
        this.log.warn({ image: claim.name, run: claim.runId, err: err instanceof Error ? err.message : String(err) }, 'database unavailable while writing an image; it goes back to the queue');
        this.unrecorded.push(claim);
        return;
      }
      outcome = { ...classify(err, claim, this.workerId), requests: Object.fromEntries(requests) };
      if (!isHubError(err) && !(err instanceof ImageDeadlineError) && !(err instanceof RegistryNotConfiguredError)) this.log.error({ err, image: claim.name, run: claim.runId }, 'image failed');
      try {
        if (!(await this.opts.db.transaction((tx) => this.queue.complete(tx, this.workerId, claim, outcome)))) return;
      } catch (dbErr) {
        this.log.error({ err: dbErr, image: claim.name }, 'could not record the outcome of an image; it goes back to the queue');
        this.unrecorded.push(claim);
        return;
      }
    }
    let finishedRun: ScrapeRun | null = null;
    try {
      finishedRun = await this.queue.finishIfDone(claim.runId);
    } catch (err) {
      this.log.warn({ err, run: claim.runId }, 'could not close the run; the next pass will');
    }
    const seconds = (performance.now() - started) / 1000;
    this.opts.observer?.imageFinished?.({ status: outcome.status, seconds });
    const line = {
      image: claim.name,
      run: claim.runId,
      status: outcome.status,
      tags: outcome.tagsSeen,
      added: outcome.instancesAdded,
      updated: outcome.instancesUpdated,
      deleted: outcome.instancesDeleted,
      requests: outcome.requests,
      created: outcome.resourceCreated,
      ms: Math.round(seconds * 1000),
      hubMs: Math.round(hubMs),
      ...(outcome.warning ? { warning: outcome.warning } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    // Skipped by the open circuit breaker: its one warning said it all; not one more per image.
    if (outcome.status === 'FAILED' && !(failure instanceof HubUnreachableError)) this.log.warn(line, 'image scraped');
    else this.log.info(line, 'image scraped');
    if (finishedRun) this.logRunFinished(finishedRun);
  }

  /**
   * Writes what was read and the outcome: no transaction at all when every content hash
   * already matches, else one transaction for the catalog rows and the outcome together.
   */
  private async store(claim: Claim, image: ImageName, read: ImageRead, requests: Record<string, number>): Promise<ImageOutcome> {
    // Bad upstream data is made storable here (or its tag skipped), each change in the warning.
    const clean = sanitizeImage(read.resource, read.tags);
    const { tags, resource: upstream } = clean;
    const warnings = [...read.warnings, ...clean.warnings];
    const warning = warnings.length > 0 ? warnings.join('; ') : null;
    const source = isDockerHub(image) ? 'Docker Hub' : image.registry;
    if (clean.warnings.length > 0) this.log.warn({ image: claim.name, run: claim.runId, warning: clean.warnings }, `${source} sent data that had to be cleaned`);
    const filtered = read.tags.length === 0 && read.tagsSeen > 0;
    const status = read.tagsSeen === 0 || filtered ? 'NO_TAGS' : tags.length === 0 && read.tags.length > 0 ? 'FAILED' : 'OK';
    const base: ImageOutcome = {
      status,
      warning: filtered ? [warning, `none of the ${read.tagsSeen} tags passes the tag filter`].filter(Boolean).join('; ') : warning,
      tagsSeen: read.tagsSeen,
      requests,
      ...(status === 'FAILED' ? { error: `none of the ${read.tags.length} tags ${source} listed could be stored: ${clean.warnings.join('; ')}` } : {}),
    };
    if (await upstreamUnchanged(this.opts.db, image, upstream, tags, read.presence)) {
      // Nothing to write: record the outcome alone (one statement, atomic by itself).
      if (!(await this.queue.complete(this.opts.db, this.workerId, claim, base))) throw new ClaimLostError();
      return base;
    }
    return this.opts.db.transaction(async (tx) => {
      // Removed (maybe purged) through the API while it was being read: store nothing. The
      // share lock makes a removal that starts now wait for this transaction to end.
      const [tracked] = await tx.query(`SELECT 1 FROM tracked_image WHERE name = $1 AND removed_at IS NULL FOR SHARE`, [image.name]);
      let outcome: ImageOutcome;
      let events: NewCatalogEvent[] = [];
      if (tracked) {
        const r = await syncImage(tx, image, upstream, tags, read.presence);
        events = r.events;
        outcome = {
          ...base,
          resourceCreated: r.resourceCreated,
          instancesAdded: r.instancesAdded,
          instancesUpdated: r.instancesUpdated,
          instancesDeleted: r.instancesDeleted,
        };
      } else {
        outcome = { ...base, status: 'OK', error: null, warning: 'removed from the tracked list while it was being scraped: nothing was stored' };
      }
      if (!(await this.queue.complete(tx, this.workerId, claim, outcome))) throw new ClaimLostError();
      await appendEvents(tx, events); // the change feed: last, in this transaction
      return outcome;
    });
  }

  private async logNotDue(): Promise<void> {
    const c = this.opts.config;
    const [active] = await this.opts.db.query(`SELECT 1 FROM scrape_run WHERE scope = 'ALL' AND status IN ('QUEUED', 'RUNNING') LIMIT 1`);
    if (active) {
      this.log.info('no scrape due at startup: a full run is queued or running');
      return;
    }
    const due = await nextFullRunDue(this.opts.db, c.intervalMs, c.failureBackoffMs);
    if (due.failedInARow > 0) {
      this.log.info(
        { nextRunAt: due.at.toISOString(), failedInARow: due.failedInARow },
        `no scrape due at startup: the last ${due.failedInARow === 1 ? 'full run' : `${due.failedInARow} full runs`} failed; retrying at ${due.at.toISOString()}`,
      );
    } else {
      this.log.info({ nextRunAt: due.at.toISOString(), intervalMs: c.intervalMs }, `no scrape due at startup: the last one started within the interval; next at ${due.at.toISOString()}`);
    }
  }

  private logRunCreated(run: ScrapeRun, why: string): void {
    this.log.info({ run: run.id, trigger: run.trigger, scope: run.scope, images: run.imagesTotal }, `scrape run created: ${why}`);
    if (run.finishedAt) this.logRunFinished(run);
  }

  /** Resolves when this process sees the run end (it finished its last image), or after `ms`. */
  runEnded(runId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endWaiters.get(runId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      let set = this.endWaiters.get(runId);
      if (!set) this.endWaiters.set(runId, (set = new Set()));
      set.add(done);
    });
  }

  private logRunFinished(run: ScrapeRun): void {
    for (const waiter of this.endWaiters.get(run.id) ?? []) waiter();
    this.endWaiters.delete(run.id);
    const seconds = runSeconds(run);
    this.opts.observer?.runFinished?.({ trigger: run.trigger, status: ended(run), seconds });
    this.log.info(
      {
        run: run.id,
        trigger: run.trigger,
        status: run.status,
        images: run.imagesTotal,
        failed: run.imagesFailed,
        resourcesCreated: run.resourcesCreated,
        instancesAdded: run.instancesAdded,
        instancesUpdated: run.instancesUpdated,
        instancesDeleted: run.instancesDeleted,
        seconds: Math.round(seconds * 10) / 10,
        ...(run.error ? { error: run.error } : {}),
      },
      'scrape run finished',
    );
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}

function runSeconds(run: ScrapeRun): number {
  const start = run.startedAt ?? run.createdAt;
  const end = run.finishedAt ?? new Date();
  return Math.max(0, (end.getTime() - start.getTime()) / 1000);
}

/** An error → the image's outcome, in words for an operator. */
function classify(err: unknown, claim: Claim, worker: string): ImageOutcome {
  if (err instanceof HubNotFoundError) {
    const where = claim.registry && claim.registry !== 'docker.io' ? `${claim.registry} has no repository ${claim.path}` : `Docker Hub has no repository ${claim.namespace}/${claim.repository}`;
    return { status: 'NOT_FOUND', error: `${where} (or it is private)` };
  }
  if (isHubError(err) || err instanceof ImageDeadlineError || err instanceof RegistryNotConfiguredError) return { status: 'FAILED', error: err.message };
  const at = `worker ${worker} at ${new Date().toISOString()}`;
  // The database refused what was read: say which kind of refusal (its SQLSTATE), never the SQL.
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return {
      status: 'FAILED',
      error:
        `internal error in ${at}: PostgreSQL refused to store what Docker Hub sent for ${claim.name} ` +
        `(SQLSTATE ${code}${SQLSTATE_NAMES[code] ? `, ${SQLSTATE_NAMES[code]}` : ''}); details in the service log`,
    };
  }
  // Not Docker Hub's doing: the details (SQL, stack) are in the log, not in public run results.
  return { status: 'FAILED', error: `internal error in ${at}; see the service log` };
}

/** The SQLSTATEs bad data can cause, by name. */
const SQLSTATE_NAMES: Record<string, string> = {
  '22003': 'numeric value out of range',
  '22P02': 'invalid text representation',
  '22021': 'character not in repertoire',
  '22P05': 'untranslatable character',
  '22007': 'invalid datetime format',
  '22008': 'datetime field overflow',
  '22001': 'string too long',
  '23505': 'unique violation',
  '57014': 'statement timed out',
};
