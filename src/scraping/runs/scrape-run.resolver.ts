import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Info, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { ArrayMaxSize, IsOptional } from 'class-validator';
import type { GraphQLContext } from '../../graphql/context';
import { pageArgs, pageQuery } from '../../graphql/connection';
import { argsKey } from '../../graphql/loaders';
import { HostRequests, hostRequests, ScrapeResult, ScrapeResultStatus, ScrapeRun, ScrapeRunConnection } from './scrape-run.type';

@ArgsType()
export class ScrapeRunsArgs extends pageArgs(20) {}

@ArgsType()
export class ScrapeResultsArgs {
  @Field(() => [ScrapeResultStatus], { nullable: true, description: 'Only results with these statuses.' })
  @IsOptional()
  @ArrayMaxSize(10)
  status?: ScrapeResultStatus[] | null;
}

@Resolver(() => ScrapeRun)
export class ScrapeRunResolver {
  @Query(() => ScrapeRunConnection, { description: 'Scrape runs, newest first.' })
  scrapeRuns(@Args() args: ScrapeRunsArgs, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo) {
    return ctx.services.runs.list(pageQuery(args, info));
  }

  @Query(() => ScrapeRun, { nullable: true, description: 'One scrape run; null when the id is unknown.' })
  scrapeRun(@Arg('id', () => ID, { description: 'The run id.' }) id: string, @Ctx() ctx: GraphQLContext) {
    return ctx.services.runs.byId(id);
  }

  @FieldResolver(() => [ScrapeResult], { description: 'Per-image results, in list order.' })
  results(@Root() run: ScrapeRun, @Args() args: ScrapeResultsArgs, @Ctx() ctx: GraphQLContext) {
    return ctx.loaders
      .get<ScrapeResult[]>(`runResults:${argsKey(args.status ?? null)}`, (ids) => ctx.services.runs.resultsOf(ids, args.status))
      .load(run.id);
  }

  @FieldResolver(() => [HostRequests], {
    description: 'HTTP requests the run sent, per host (Docker Hub web API, registries, token services), busiest first; live while the run is on.',
  })
  requests(@Root() run: ScrapeRun): HostRequests[] {
    return hostRequests(run.requestsByHost);
  }
}

@Resolver(() => ScrapeResult)
export class ScrapeResultResolver {
  @FieldResolver(() => [HostRequests], { description: 'HTTP requests sent for this image, per host (every attempt and token request counts).' })
  requests(@Root() result: ScrapeResult): HostRequests[] {
    return hostRequests(result.requestsByHost);
  }
}
