import { Arg, Authorized, Ctx, Field, InputType, Mutation, ObjectType, Resolver } from 'type-graphql';
import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import type { GraphQLContext } from '../graphql/context';
import { ScrapeRun } from './runs/scrape-run.type';

@InputType({ description: 'Which images to scrape, and whether to wait.' })
export class TriggerScrapeInput {
  @Field(() => [String], {
    nullable: true,
    description: 'Tracked images to scrape (`nginx`, `library/nginx`, `org/name`); omitted or empty: every enabled tracked image.',
  })
  @IsOptional()
  @ArrayMaxSize(500)
  @MaxLength(300, { each: true })
  images?: string[] | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'false: answer at once with the QUEUED/RUNNING run. true: answer when the run has finished (at most 15 minutes).',
  })
  @IsOptional()
  wait?: boolean | null;
}

@ObjectType({ description: 'The run that triggerScrape started or joined.' })
export class TriggerScrapePayload {
  @Field(() => ScrapeRun, { description: 'The run; follow it with `scrapeRun(id)`.' })
  run: ScrapeRun;

  @Field({
    description: 'false when a full-list run was already in progress and is returned instead of starting a second one.',
  })
  created: boolean;
}

@Resolver()
export class ScrapeResolver {
  @Authorized()
  @Mutation(() => TriggerScrapePayload, {
    description:
      'Starts a scrape of every enabled tracked image, or of the named ones. A full-list scrape while one is in progress returns that run. ' +
      'An image already being scraped by another run is not scraped twice at once: it waits for the other to finish.',
  })
  triggerScrape(
    @Arg('input', () => TriggerScrapeInput, { nullable: true, description: 'What to scrape; omitted: everything.' }) input: TriggerScrapeInput | null,
    @Ctx() ctx: GraphQLContext,
  ): Promise<TriggerScrapePayload> {
    return ctx.services.scrape.trigger({
      images: input?.images,
      wait: input?.wait ?? false,
      requestedBy: `api:${ctx.requestId}`,
      signal: ctx.signal,
    });
  }
}
