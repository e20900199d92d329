import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsOptional, Length, MaxLength } from 'class-validator';
import { connectionTypes, pageArgs } from '../graphql/connection';
import { DateTime } from '../graphql/scalars';
import { CatalogEventType } from '../events/catalog-event.type';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SENDING = 'SENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a webhook delivery is.',
  valuesConfig: {
    PENDING: { description: 'Waiting for its first attempt or its next retry (`nextAttemptAt`).' },
    SENDING: { description: 'Claimed by a process that is sending it now.' },
    SUCCEEDED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Given up: a 4xx other than 408/429, a refused target, the retry window passed, or the webhook was disabled.' },
  },
});

export enum WebhookAttemptOutcome {
  SUCCEEDED = 'SUCCEEDED',
  RETRY = 'RETRY',
  FAILED = 'FAILED',
}
registerEnumType(WebhookAttemptOutcome, {
  name: 'WebhookAttemptOutcome',
  description: 'What one delivery attempt led to.',
  valuesConfig: {
    SUCCEEDED: { description: '2xx: delivered.' },
    RETRY: { description: 'Network error, timeout, 408, 429 or 5xx: retried later with backoff.' },
    FAILED: { description: 'The delivery was given up.' },
  },
});

@ObjectType({ description: 'A webhook: catalog events POSTed to a URL, signed with its secret.' })
export class Webhook {
  @Field(() => ID, { description: 'The webhook id.' })
  id: string;

  @Field({ description: 'Where events are POSTed (http or https).' })
  url: string;

  @Field({ description: 'What it is for.' })
  description: string;

  @Field(() => [CatalogEventType], { description: 'Event types delivered; empty: every type.' })
  events: CatalogEventType[];

  @Field(() => [String], { description: 'Canonical image names whose events are delivered; empty: every image (run events have no image: they need an empty list).' })
  images: string[];

  @Field({ description: 'Whether events are delivered. A webhook that failed for WEBHOOK_RETRY_WINDOW (24 h) is disabled; see disabledReason.' })
  enabled: boolean;

  @Field(() => String, { nullable: true, description: 'Why it was disabled automatically; null when enabled or disabled through the API.' })
  disabledReason: string | null;

  @Field(() => DateTime, { nullable: true, description: 'Since when every attempt failed; null after a success.' })
  failingSince: Date | null;

  @Field(() => DateTime, { description: 'When it was created.' })
  createdAt: Date;

  @Field(() => DateTime, { description: 'When it was last changed.' })
  updatedAt: Date;
}

@ObjectType({ description: 'One attempt of a delivery.' })
export class WebhookDeliveryAttempt {
  @Field(() => Int, { description: '1 for the first attempt.' })
  attempt: number;

  @Field(() => DateTime, { description: 'When it started.' })
  startedAt: Date;

  @Field(() => Int, { description: 'How long it took, in ms.' })
  durationMs: number;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the answer; null when none came.' })
  responseStatus: number | null;

  @Field(() => String, { nullable: true, description: 'What went wrong: network error, timeout, refused target, unexpected status.' })
  error: string | null;

  @Field(() => WebhookAttemptOutcome, { description: 'What it led to.' })
  outcome: WebhookAttemptOutcome;

  @Field({ description: 'The process that made it.' })
  worker: string;
}

@ObjectType({ description: 'One event (or PING) for one webhook; its id is the X-Catalog-Delivery header (idempotency key, the same on every retry).' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The delivery id (uuid), sent as X-Catalog-Delivery.' })
  id: string;

  @Field(() => ID, { description: 'The webhook.' })
  webhookId: string;

  @Field(() => ID, { nullable: true, description: 'The catalog event; null for a PING.' })
  eventId: string | null;

  @Field({ description: 'The event type (X-Catalog-Event): a CatalogEventType, or PING.' })
  eventType: string;

  @Field(() => WebhookDeliveryStatus, { description: 'Where it is.' })
  status: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts so far.' })
  attempts: number;

  @Field(() => DateTime, { nullable: true, description: 'When the next attempt is due (PENDING).' })
  nextAttemptAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'The HTTP status of the last answer.' })
  lastResponseStatus: number | null;

  @Field(() => String, { nullable: true, description: 'The last error.' })
  lastError: string | null;

  @Field(() => DateTime, { description: 'When it was created (with its event).' })
  createdAt: Date;

  @Field(() => DateTime, { nullable: true, description: 'When it succeeded or was given up.' })
  finishedAt: Date | null;

  @Field(() => [WebhookDeliveryAttempt], { description: 'Every attempt, oldest first.' })
  attemptLog: WebhookDeliveryAttempt[];
}

export const { ConnectionType: WebhookDeliveryConnection, CountResolver: WebhookDeliveryCountResolver } = connectionTypes(
  WebhookDelivery,
  'WebhookDelivery',
  'webhook delivery',
  'Deliveries that match, in all pages.',
);

@InputType({ description: 'A new webhook.' })
export class CreateWebhookInput {
  @Field({ description: 'An http(s) URL. Loopback, private and link-local targets are refused unless WEBHOOK_ALLOW_PRIVATE=true.' })
  @MaxLength(2000)
  url: string;

  @Field(() => [CatalogEventType], { nullable: true, description: 'Event types to deliver; absent or empty: every type.' })
  @IsOptional()
  @ArrayMaxSize(20)
  events?: CatalogEventType[] | null;

  @Field(() => [String], { nullable: true, description: 'Only events of these images (`nginx`, `org/name`); absent or empty: every image.' })
  @IsOptional()
  @ArrayMaxSize(1000)
  @MaxLength(255, { each: true })
  images?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The HMAC secret, 16 to 256 characters; absent: one is generated and returned once.' })
  @IsOptional()
  @Length(16, 256)
  secret?: string | null;

  @Field(() => String, { nullable: true, description: 'What it is for (at most 500 characters).' })
  @IsOptional()
  @MaxLength(500)
  description?: string | null;
}

@InputType({ description: 'Changes to a webhook; absent fields stay.' })
export class UpdateWebhookInput {
  @Field(() => ID, { description: 'The webhook.' })
  id: string;

  @Field(() => String, { nullable: true, description: 'A new URL.' })
  @IsOptional()
  @MaxLength(2000)
  url?: string | null;

  @Field(() => [CatalogEventType], { nullable: true, description: 'New event types; empty: every type.' })
  @IsOptional()
  @ArrayMaxSize(20)
  events?: CatalogEventType[] | null;

  @Field(() => [String], { nullable: true, description: 'New images; empty: every image.' })
  @IsOptional()
  @ArrayMaxSize(1000)
  @MaxLength(255, { each: true })
  images?: string[] | null;

  @Field(() => String, { nullable: true, description: 'A new secret (16 to 256 characters).' })
  @IsOptional()
  @Length(16, 256)
  secret?: string | null;

  @Field(() => String, { nullable: true, description: 'A new description.' })
  @IsOptional()
  @MaxLength(500)
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Enable (clears disabledReason and the failure window) or disable.' })
  @IsOptional()
  enabled?: boolean | null;
}

@ObjectType({ description: 'The result of createWebhook.' })
export class CreateWebhookPayload {
  @Field(() => Webhook, { description: 'The webhook.' })
  webhook: Webhook;

  @Field(() => String, { nullable: true, description: 'The generated secret, shown this once; null when the input gave one.' })
  secret: string | null;
}

@ObjectType({ description: 'The result of updateWebhook and deleteWebhook.' })
export class WebhookPayload {
  @Field(() => Webhook, { description: 'The webhook (as it was, for deleteWebhook).' })
  webhook: Webhook;
}

@ObjectType({ description: 'The result of testWebhook.' })
export class TestWebhookPayload {
  @Field(() => WebhookDelivery, { description: 'The PING delivery, queued; follow it with webhookDeliveries.' })
  delivery: WebhookDelivery;
}

@ArgsType()
export class WebhookDeliveriesArgs extends pageArgs(20) {
  @Field(() => ID, { description: 'The webhook.' })
  webhookId: string;

  @Field(() => [WebhookDeliveryStatus], { nullable: true, description: 'Only deliveries with these statuses.' })
  @IsOptional()
  @ArrayMaxSize(4)
  status?: WebhookDeliveryStatus[] | null;
}
