import { Ctx, Field, FieldResolver, Int, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { DateTime } from '../graphql/scalars';
import { formatDuration } from '../config/duration';
import { ScrapeRun } from './runs/scrape-run.type';
import type { CircuitSnapshot } from './hub';

/** What the scraper status needs of the Docker Hub client of this process. */
export interface HubStatusSource {
  circuit(): CircuitSnapshot;
  rateLimitPauseMs(): number;
}

export enum HubCircuitState {
  CLOSED = 'CLOSED',
  OPEN = 'OPEN',
  HALF_OPEN = 'HALF_OPEN',
}
registerEnumType(HubCircuitState, {
  name: 'HubCircuitState',
  description: 'State of the circuit breaker that guards requests to the Docker Hub host.',
  valuesConfig: {
    CLOSED: { description: 'Docker Hub is reachable: requests go.' },
    OPEN: {
      description:
        'Docker Hub failed at the connection level (refused, reset, DNS, timeouts) DOCKER_HUB_CIRCUIT_THRESHOLD times in a row: ' +
        'requests fail at once, without reaching the network, until `retryAt`; images meanwhile end FAILED ("Docker Hub unreachable since …, skipped").',
    },
    HALF_OPEN: { description: 'The cool-down is over: the next request probes the host (success closes the breaker, failure opens it again).' },
  },
});

@ObjectType({ description: 'The circuit breaker of the Docker Hub host, as the process that answered sees it (each replica has its own).' })
export class HubCircuit {
  @Field(() => HubCircuitState, { description: 'CLOSED, OPEN or HALF_OPEN.' })
  state: HubCircuitState;

  @Field(() => DateTime, { nullable: true, description: 'When the breaker entered this state; null when it never changed since the process started.' })
  since: Date | null;

  @Field(() => DateTime, {
    nullable: true,
    description: 'OPEN or HALF_OPEN: when the host became unreachable (the first failure of the streak); null when CLOSED.',
  })
  unreachableSince: Date | null;

  @Field(() => DateTime, { nullable: true, description: 'OPEN: when the next probe may go; null otherwise.' })
  retryAt: Date | null;

  @Field(() => Int, { description: 'Connection-level failures in a row (0 after any answer from the host).' })
  consecutiveFailures: number;

  @Field(() => String, { nullable: true, description: 'The last connection-level failure, in words; null when CLOSED.' })
  lastFailure: string | null;
}

@ObjectType({ description: 'Docker Hub as the process that answered sees it.' })
export class HubStatus {
  @Field({ description: 'The host requests go to (from DOCKER_HUB_URL).' })
  host: string;

  @Field(() => HubCircuit, { description: 'The circuit breaker that fails requests fast while the host is unreachable.' })
  circuit: HubCircuit;

  @Field(() => DateTime, {
    nullable: true,
    description: 'While a rate-limit header (Retry-After, X-Retry-After, X-RateLimit-Reset) pauses every request to the host: when the pause ends; null otherwise.',
  })
  rateLimitedUntil: Date | null;
}

@ObjectType({ description: 'The scraper: its settings and what it is doing.' })
export class ScraperStatus {
  @Field({
    description:
      'Whether the process that answered schedules scrapes (its DOCKER_SCRAPER_ENABLED; replicas may differ). Manual scrapes work either way.',
  })
  enabled: boolean;

  @Field({ description: 'Time between scheduled scrapes, e.g. `24h`.' })
  interval: string;

  @Field(() => Int, { description: 'Time between scheduled scrapes, in seconds.' })
  intervalSeconds: number;

  @Field(() => Int, { description: 'Default tags imported per image (DOCKER_SCRAPER_MAX_TAGS).' })
  maxTags: number;

  @Field(() => Int, { description: 'Images fetched at once by each process (DOCKER_SCRAPER_CONCURRENCY).' })
  concurrency: number;

  @Field({ description: 'Startup policy: `due` scrapes at start only when a run is due; `always` at every start.' })
  onStartup: string;

  @Field({ description: 'Docker Hub API base URL.' })
  hubUrl: string;

  @Field({ description: 'Whether Docker Hub requests are authenticated (DOCKER_HUB_USERNAME/DOCKER_HUB_TOKEN).' })
  authenticated: boolean;
}

@Resolver(() => ScraperStatus)
export class ScraperResolver {
  @Query(() => ScraperStatus, { description: 'Scraper settings, the current run and the next scheduled one.' })
  scraper(@Ctx() ctx: GraphQLContext): ScraperStatus {
    const s = ctx.services.config.scraper;
    return {
      enabled: s.enabled,
      interval: formatDuration(s.intervalMs),
      intervalSeconds: Math.round(s.intervalMs / 1000),
      maxTags: s.maxTags,
      concurrency: s.concurrency,
      onStartup: s.onStartup,
      hubUrl: ctx.services.config.dockerHub.url,
      authenticated: ctx.services.config.dockerHub.token !== undefined,
    };
  }

  @FieldResolver(() => Boolean, { description: 'Whether a run is queued or in progress.' })
  async running(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return (await this.current(ctx)) !== null;
  }

  @FieldResolver(() => ScrapeRun, {
    nullable: true,
    description:
      'The first of `activeRuns`: the oldest RUNNING run, else the oldest QUEUED one; null when none is active. ' +
      'A manual subset run may run beside a full run: see `activeRuns` for all of them.',
  })
  currentRun(@Ctx() ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return this.current(ctx);
  }

  @FieldResolver(() => [ScrapeRun], {
    description: 'Every run queued or running (in the whole database, all replicas): RUNNING ones first, oldest first, then QUEUED ones, oldest first (at most 100).',
  })
  activeRuns(@Ctx() ctx: GraphQLContext): Promise<ScrapeRun[]> {
    return this.active(ctx);
  }

  @FieldResolver(() => HubStatus, { description: 'Docker Hub as this process sees it: its circuit breaker and rate-limit pause.' })
  hub(@Ctx() ctx: GraphQLContext): HubStatus {
    const snap = ctx.services.hub.circuit();
    const pause = ctx.services.hub.rateLimitPauseMs();
    const date = (ms: number | null) => (ms ? new Date(ms) : null);
    return {
      host: snap.host,
      circuit: {
        state: snap.state as HubCircuitState,
        since: date(snap.changedAt),
        unreachableSince: date(snap.unreachableSince),
        retryAt: date(snap.retryAt),
        consecutiveFailures: snap.consecutiveFailures,
        lastFailure: snap.lastFailure,
      },
      rateLimitedUntil: pause > 0 ? new Date(Date.now() + pause) : null,
    };
  }

  @FieldResolver(() => ScrapeRun, { nullable: true, description: 'The latest finished run.' })
  lastRun(@Ctx() ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return ctx.services.runs.last();
  }

  @FieldResolver(() => DateTime, {
    nullable: true,
    description:
      'When the next scheduled run is due (now, when overdue), from the run history shared by all replicas: the interval after the start of ' +
      'the last full run that read at least one image; after full runs that failed (none read) or were interrupted, a backoff instead ' +
      '(DOCKER_SCRAPER_FAILURE_BACKOFF, doubling per failed run in a row, at most the interval) after the last one ended. ' +
      'null when the process that answered has scheduling off.',
  })
  async nextRunAt(@Root() status: ScraperStatus, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    if (!status.enabled) return null;
    const s = ctx.services.config.scraper;
    const due = await ctx.services.runs.nextDueAt(s.intervalMs, s.failureBackoffMs);
    return due.getTime() < Date.now() ? new Date() : due;
  }

  @FieldResolver(() => Int, { description: 'Images on the tracked list.' })
  imagesTracked(@Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.tracking.countActive();
  }

  private current(ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return this.active(ctx).then((runs) => runs[0] ?? null);
  }

  /** One read per request, shared by running, currentRun and activeRuns. */
  private active(ctx: GraphQLContext): Promise<ScrapeRun[]> {
    return ctx.loaders.get<ScrapeRun[]>('activeRuns', async (keys) => {
      const runs = await ctx.services.runs.active();
      return keys.map(() => runs);
    }).load('active');
  }
}
