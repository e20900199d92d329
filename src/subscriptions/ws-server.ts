import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { getOperationAST, GraphQLError, GraphQLSchema, OperationTypeNode, parse, specifiedRules, validate, type DocumentNode } from 'graphql';
import type { GraphQLLimits } from '../config/config';
import type { Logger } from '../shared/logger';
import { createContext } from '../graphql/context';
import type { Services } from '../graphql/services';
import { ErrorCode, formatError } from '../graphql/errors';
import { limitError, limitRules, operationCost } from '../graphql/limits';
import { SharedSubscriptions } from './shared';

export interface SubscriptionLimits {
  /** Operations at once on one WebSocket (SUBSCRIPTIONS_MAX_PER_CONNECTION). */
  maxPerConnection: number;
  /** Operations at once on this process (SUBSCRIPTIONS_MAX_TOTAL). */
  maxTotal: number;
}

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  limits: GraphQLLimits;
  subscriptions: SubscriptionLimits;
  /** Paths that accept the WebSocket upgrade. */
  paths?: readonly string[];
}

export interface SubscriptionServer {
  /** Operations running now. */
  active(): number;
  /** Distinct shared executions running now (one per catalogChanged document and variables). */
  executions(): number;
  /** Closes every socket (code 1001, "Going away") and stops accepting upgrades. */
  close(): Promise<void>;
}

/** `extensions.code` of an operation refused by the per-connection or per-process cap. */
export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

/** The error of a refused operation: the code says why, the message what to do. */
function refused(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/**
 * GraphQL over WebSocket (graphql-ws, the `graphql-transport-ws` protocol that Apollo Sandbox
 * and Apollo Client speak) on the HTTP server's /graphql path: the schema's subscriptions (and
 * queries); mutations stay on HTTP, where the admin token is checked. Every operation passes
 * the same abuse limits as over HTTP (depth, aliases, root fields, cost), and a cap per socket
 * and per process.
 */
export function attachSubscriptionServer(server: http.Server, opts: SubscriptionServerOptions): SubscriptionServer {
  const paths = new Set(opts.paths ?? ['/graphql', '/']);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.limits.maxBodyBytes });
  const log = opts.logger.child({ component: 'subscriptions' });
  const rules = [...specifiedRules, ...limitRules(opts.limits)];
  const format = formatError(log);
  const perSocket = new Map<object, Set<string>>();
  let total = 0;
  let closing = false;
  // catalogChanged is public and its result the same for everyone: one execution per distinct operation.
  const shared = new SharedSubscriptions(new Set(['catalogChanged', '__typename']));

  const release = (socket: object, id: string) => {
    const ids = perSocket.get(socket);
    if (ids?.delete(id)) total--;
  };

  const onUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (closing || !paths.has(path)) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  server.on('upgrade', onUpgrade);

  const disposable = useServer(
    {
      schema: opts.schema,
      subscribe: (args) => shared.subscribe(args),
      onConnect: () => !closing,
      onSubscribe: (ctx, id, payload) => {
        const key = ctx.extra.socket;
        let ids = perSocket.get(key);
        if (!ids) perSocket.set(key, (ids = new Set()));
        if (ids.size >= opts.subscriptions.maxPerConnection) {
          return [
            refused(
              TOO_MANY_SUBSCRIPTIONS,
              `At most ${opts.subscriptions.maxPerConnection} operations may run at once on one connection; complete one first (SUBSCRIPTIONS_MAX_PER_CONNECTION).`,
            ),
          ];
        }
        if (total >= opts.subscriptions.maxTotal) {
          return [refused(TOO_MANY_SUBSCRIPTIONS, `This server holds its maximum of ${opts.subscriptions.maxTotal} subscriptions; retry later or on another replica.`)];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: 10_000 });
        } catch (e) {
          return [e instanceof GraphQLError ? e : refused(ErrorCode.BAD_USER_INPUT, String(e))];
        }
        const errors = validate(opts.schema, document, rules);
        if (errors.length > 0) return errors;
        const op = getOperationAST(document, payload.operationName);
        if (!op) return [refused(ErrorCode.BAD_USER_INPUT, 'The document must hold exactly the operation named by operationName.')];
        if (op.operation === OperationTypeNode.MUTATION) {
          return [refused(ErrorCode.BAD_USER_INPUT, 'Mutations are not accepted over WebSocket: send them over HTTP POST with the admin token.')];
        }
        const cost = operationCost(opts.schema, document, op, payload.variables ?? {});
        if (cost > opts.limits.maxCost) {
          return [limitError('cost', cost, opts.limits.maxCost, `The operation would cost ${cost}; at most ${opts.limits.maxCost} is allowed`, [op])];
        }
        ids.add(id);
        total++;
        const requestId = randomUUID();
        return {
          schema: opts.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: createContext({ requestId, logger: log.child({ requestId }), services: opts.services, isAdmin: false }),
        };
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        // A query, or a subscription refused at subscribe time: done at once.
        if (!(result && typeof result === 'object' && Symbol.asyncIterator in result)) release(ctx.extra.socket, id);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => format(e.toJSON(), e)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => format(e.toJSON(), e)),
      onComplete: (ctx, id) => release(ctx.extra.socket, id),
      onClose: (ctx) => {
        const ids = perSocket.get(ctx.extra.socket);
        if (ids) total -= ids.size;
        perSocket.delete(ctx.extra.socket);
      },
    },
    wss,
  );

  return {
    active: () => total,
    executions: () => shared.executions,
    async close() {
      closing = true;
      server.off('upgrade', onUpgrade);
      opts.services.live.closeAll();
      await disposable.dispose();
    },
  };
}
