import { CatalogEventsResolver } from '../events/catalog-events.resolver';
import { CatalogEventCountResolver } from '../events/catalog-event.type';
import { WebhookResolver } from '../webhooks/webhook.resolver';
import { WebhookDeliveryCountResolver } from '../webhooks/webhook.types';
import { LiveSubscriptionResolver } from './subscription.resolver';

/** The resolvers of live changes: change feed, subscriptions, webhooks. */
export const LIVE_RESOLVERS = [CatalogEventsResolver, CatalogEventCountResolver, LiveSubscriptionResolver, WebhookResolver, WebhookDeliveryCountResolver];

/**
 * type-graphql insists on a PubSub once there are subscriptions; ours have their own
 * `subscribe` functions (fed by the change feed, across replicas), so topics are never used.
 */
export const NO_TOPICS_PUBSUB = {
  publish(): void {
    throw new Error('catalog-sync subscriptions are fed by the change feed, not by topics');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('catalog-sync subscriptions are fed by the change feed, not by topics');
  },
};
