import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context';
import {
  CreateWebhookInput,
  CreateWebhookPayload,
  TestWebhookPayload,
  UpdateWebhookInput,
  Webhook,
  WebhookDeliveriesArgs,
  WebhookDeliveryConnection,
  WebhookPayload,
} from './webhook.types';

/** Webhooks: admin only, reads included (URLs may carry credentials of the receiver). */
@Resolver()
export class WebhookResolver {
  @Authorized()
  @Query(() => [Webhook], { description: 'Every webhook, oldest first. Needs the admin token.' })
  webhooks(@Ctx() ctx: GraphQLContext) {
    return ctx.services.webhooks.list();
  }

  @Authorized()
  @Query(() => WebhookDeliveryConnection, { description: "A webhook's deliveries with every attempt, newest first. Needs the admin token." })
  webhookDeliveries(@Args() args: WebhookDeliveriesArgs, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhooks.deliveries(args);
  }

  @Authorized()
  @Mutation(() => CreateWebhookPayload, {
    description:
      'Creates a webhook: matching catalog events are POSTed to `url`, signed with HMAC-SHA256 (X-Catalog-Signature-256). ' +
      'Without `secret` one is generated and returned once.',
  })
  createWebhook(@Arg('input', () => CreateWebhookInput, { description: 'The webhook.' }) input: CreateWebhookInput, @Ctx() ctx: GraphQLContext) {
    return ctx.services.webhooks.create(input);
  }

  @Authorized()
  @Mutation(() => WebhookPayload, { description: 'Changes a webhook; `enabled: true` turns a disabled one back on.' })
  async updateWebhook(@Arg('input', () => UpdateWebhookInput, { description: 'The changes.' }) input: UpdateWebhookInput, @Ctx() ctx: GraphQLContext) {
    return { webhook: await ctx.services.webhooks.update(input.id, input) };
  }

  @Authorized()
  @Mutation(() => WebhookPayload, { description: 'Deletes a webhook and its delivery history.' })
  async deleteWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: GraphQLContext) {
    return { webhook: await ctx.services.webhooks.delete(id) };
  }

  @Authorized()
  @Mutation(() => TestWebhookPayload, { description: 'Queues a PING delivery (X-Catalog-Event: PING) to the webhook.' })
  async testWebhook(@Arg('id', () => ID, { description: 'The webhook.' }) id: string, @Ctx() ctx: GraphQLContext) {
    return { delivery: await ctx.services.webhooks.ping(id) };
  }
}
