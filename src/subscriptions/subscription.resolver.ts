import { Arg, Args, ArgsType, Field, ID, Resolver, Root, Subscription } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import type { GraphQLContext } from '../graphql/context';
import { LoaderRegistry } from '../graphql/loaders';
import { CatalogEvent, CatalogEventFilter } from '../events/catalog-event.type';
import { ScrapeRun } from '../scraping/runs/scrape-run.type';

@ArgsType()
export class CatalogChangedArgs {
  @Field(() => CatalogEventFilter, { nullable: true, description: 'Only events of these types and images; all events when absent.' })
  @IsOptional()
  @ValidateNested()
  filter?: CatalogEventFilter | null;
}

/**
 * Each event is resolved with fresh per-request loaders: a subscription lives long, and
 * what an earlier event loaded must not be served to a later one. A plain iterator, not an
 * async generator: a generator's `return()` waits for its pending `next()`, so a client's
 * "complete" would only take effect at the next event.
 */
function freshLoaders<T>(context: GraphQLContext, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  return {
    async next() {
      const r = await source.next();
      if (!r.done) context.loaders = new LoaderRegistry();
      return r;
    },
    return: () => source.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (e?: unknown) => source.throw?.(e) ?? Promise.reject(e),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

@Resolver()
export class LiveSubscriptionResolver {
  @Subscription(() => CatalogEvent, {
    description:
      'Every catalog change committed from now on (on any replica), in commit order, optionally filtered. After a disconnect, ' +
      'catch up with catalogEvents(after: <cursor of the last event seen>) — or remember the last `id`. Over graphql-ws on /graphql.',
    subscribe: ({ args, context }) => {
      const ctx = context as GraphQLContext;
      return freshLoaders(ctx, ctx.services.live.catalogChanged((args as CatalogChangedArgs).filter ?? null));
    },
  })
  catalogChanged(@Root() event: CatalogEvent, @Args() _args: CatalogChangedArgs): CatalogEvent {
    return event;
  }

  @Subscription(() => ScrapeRun, {
    description:
      'A scrape run as it progresses: its state at once, an update as images finish (at most a few per second), and its final ' +
      'state when it ends; then the subscription completes. Without `id`: the current run, or the next one to start.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      return freshLoaders(ctx, await ctx.services.live.scrapeRunProgress((args as { id?: string | null }).id ?? null));
    },
  })
  scrapeRunProgress(
    @Root() run: ScrapeRun,
    @Arg('id', () => ID, { nullable: true, description: 'The run to follow; the current (or next) run when absent.' }) _id?: string,
  ): ScrapeRun {
    return run;
  }
}
