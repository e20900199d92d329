/**
 * A fake Docker Hub in a process of its own, driven over IPC, so that a benchmark's process
 * holds only the service: its CPU time, event-loop delay and RSS are the service's.
 */
import { fork, ChildProcess } from 'node:child_process';
import { FakeDockerHub } from '../test/support/fake-docker-hub';
import { syntheticCatalog } from '../test/support/hub-data';

type Request =
  | { id: number; type: 'start'; images: number; tags: number; latencyMs: number }
  | { id: number; type: 'count' }
  | { id: number; type: 'clear' }
  | { id: number; type: 'close' };

export class RemoteFakeHub {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: any) => void>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: any) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  /** Starts the process and a fake Hub in it, seeded with a synthetic catalog. */
  static async start(opts: { images: number; tags: number; latencyMs: number }): Promise<{ hub: RemoteFakeHub; url: string; names: string[] }> {
    const hub = new RemoteFakeHub(fork(__filename, [], { stdio: 'inherit' }));
    const reply = await hub.call({ type: 'start', ...opts });
    return { hub, url: reply.url, names: reply.names };
  }

  async requests(): Promise<number> {
    return (await this.call({ type: 'count' })).n;
  }

  async clearRequests(): Promise<void> {
    await this.call({ type: 'clear' });
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
  let hub: FakeDockerHub | undefined;
  process.on('message', async (m: Request) => {
    const reply = (body: Record<string, unknown>) => process.send!({ id: m.id, ...body });
    if (m.type === 'start') {
      // maxPageSize 100, as the real Hub: ten tags are one page.
      hub = await FakeDockerHub.start({ maxPageSize: 100, latencyMs: m.latencyMs });
      const catalog = syntheticCatalog(m.images, { tagsPerImage: m.tags });
      hub.seed(catalog);
      reply({ url: hub.url, names: catalog.map((c) => `${c.namespace}/${c.name}`) });
    } else if (m.type === 'count') reply({ n: hub?.countRequests() ?? 0 });
    else if (m.type === 'clear') {
      hub?.clearRequests();
      reply({});
    } else if (m.type === 'close') {
      await hub?.close();
      reply({});
      process.exit(0);
    }
  });
}
