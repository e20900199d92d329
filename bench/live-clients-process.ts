/**
 * The other side of the live benchmark, in processes of their own (so that their CPU does not
 * count against the service): `subscribers` opens N graphql-ws clients subscribed to
 * catalogChanged; `receiver` is the webhooks' HTTP receiver. Both record, per delivery, the
 * delay from the event's commit (`occurredAt`, taken by the outbox insert, the transaction's
 * last statement) to its receipt. Same machine, same clock. Driven over IPC.
 */
import { fork, ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createClient, Client } from 'graphql-ws';

export interface ChannelStats {
  received: number;
  errors: number;
  /** Epoch ms of the first and last receipt. */
  first: number;
  last: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

type Request =
  | { id: number; type: 'subscribers'; url: string; n: number; query: string }
  | { id: number; type: 'receiver' }
  | { id: number; type: 'wait'; expected: number; timeoutMs: number }
  | { id: number; type: 'close' };

export class LiveClients {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: any) => void>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: any) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  static spawn(): LiveClients {
    return new LiveClients(fork(__filename, [], { stdio: 'inherit' }));
  }

  /** Opens `n` subscribers (resolves once every socket is acknowledged and subscribed). */
  async subscribers(url: string, n: number, query: string): Promise<void> {
    await this.call({ type: 'subscribers', url, n, query });
  }

  /** Starts the webhook receiver; its port. */
  async receiver(): Promise<number> {
    return (await this.call({ type: 'receiver' })).port;
  }

  /** Waits until `expected` deliveries arrived (or the timeout), then the figures. */
  async wait(expected: number, timeoutMs: number): Promise<ChannelStats> {
    return (await this.call({ type: 'wait', expected, timeoutMs })).stats;
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.call({ type: 'close' });
    await exited;
  }

  private call(req: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ ...req, id });
    });
  }
}

if (require.main === module) {
  // Delays in ms, bucketed by 1 ms up to 10 minutes: a million deliveries need no sorting.
  const buckets = new Uint32Array(600_001);
  let received = 0;
  let errors = 0;
  let first = 0;
  let last = 0;
  let maxMs = 0;
  const clients: Client[] = [];
  let server: http.Server | undefined;
  const record = (occurredAt: string) => {
    const now = Date.now();
    const d = Math.max(0, now - Date.parse(occurredAt));
    buckets[Math.min(buckets.length - 1, d)]++;
    if (d > maxMs) maxMs = d;
    if (received++ === 0) first = now;
    last = now;
  };
  const quantile = (q: number) => {
    const rank = Math.ceil(q * received);
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i];
      if (seen >= rank && rank > 0) return i;
    }
    return NaN;
  };
  const stats = (): ChannelStats => ({ received, errors, first, last, medianMs: quantile(0.5), p99Ms: quantile(0.99), maxMs });

  process.on('message', async (m: Request) => {
    const reply = (body: Record<string, unknown>) => process.send!({ id: m.id, ...body });
    if (m.type === 'subscribers') {
      const acked: Promise<void>[] = [];
      for (let i = 0; i < m.n; i++) {
        let connected!: () => void;
        acked.push(new Promise<void>((r) => (connected = r)));
        const c = createClient({ url: m.url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, on: { connected: () => connected() } });
        clients.push(c);
        c.subscribe<any>(
          { query: m.query },
          {
            next: (r) => {
              if (r.data?.catalogChanged) record(r.data.catalogChanged.occurredAt);
              else errors++;
            },
            error: (e) => {
              errors++;
              console.error('subscriber error', e);
            },
            complete: () => undefined,
          },
        );
      }
      await Promise.all(acked);
      reply({});
    } else if (m.type === 'receiver') {
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          try {
            record(JSON.parse(Buffer.concat(chunks).toString('utf8')).occurredAt);
          } catch {
            errors++;
          }
          res.end();
        });
      });
      server.keepAliveTimeout = 60_000;
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      reply({ port: (server.address() as AddressInfo).port });
    } else if (m.type === 'wait') {
      const deadline = Date.now() + m.timeoutMs;
      while (received < m.expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      reply({ stats: stats() });
    } else if (m.type === 'close') {
      await Promise.all(clients.map((c) => c.dispose()));
      server?.closeAllConnections();
      server?.close();
      reply({});
      process.exit(0);
    }
  });
}
