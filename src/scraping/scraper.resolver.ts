import { Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import { DateTime } from '../graphql/scalars';
import { formatDuration } from '../config/duration';
import { ScrapeRun } from './runs/scrape-run.type';

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

  @FieldResolver(() => ScrapeRun, { nullable: true, description: 'The run in progress (or queued), with live progress.' })
  currentRun(@Ctx() ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return this.current(ctx);
  }

  @FieldResolver(() => ScrapeRun, { nullable: true, description: 'The latest finished run.' })
  lastRun(@Ctx() ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return ctx.services.runs.last();
  }

  @FieldResolver(() => DateTime, {
    nullable: true,
    description:
      'When the next scheduled run is due (now, when overdue), from the run history shared by all replicas; null when the process that answered has scheduling off.',
  })
  async nextRunAt(@Root() status: ScraperStatus, @Ctx() ctx: GraphQLContext): Promise<Date | null> {
    if (!status.enabled) return null;
    const due = await ctx.services.runs.nextDueAt(ctx.services.config.scraper.intervalMs);
    return due.getTime() < Date.now() ? new Date() : due;
  }

  @FieldResolver(() => Int, { description: 'Images on the tracked list.' })
  imagesTracked(@Ctx() ctx: GraphQLContext): Promise<number> {
    return ctx.services.tracking.countActive();
  }

  private current(ctx: GraphQLContext): Promise<ScrapeRun | null> {
    return ctx.loaders.get<ScrapeRun | null>('currentRun', async (keys) => {
      const run = await ctx.services.runs.current();
      return keys.map(() => run);
    }).load('current');
  }
}
