import type { TestApp } from './app';
import type { TestDatabase } from './db';

/** Polls until a run has ended (any status but QUEUED/RUNNING); returns the run row via GraphQL. */
export async function waitForRun(app: TestApp, runId: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await app.gql(
      `query($id: ID!) { scrapeRun(id: $id) { id trigger status scope error imagesTotal imagesDone imagesFailed resourcesCreated
        instancesAdded instancesUpdated recoveryOf results { image status error warning instancesAdded instancesUpdated resourceCreated tagsSeen attempts } } }`,
      { id: runId },
    );
    const run = r.data?.scrapeRun;
    if (run && run.status !== 'QUEUED' && run.status !== 'RUNNING') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Polls the database until `sql` returns a row that `pass` accepts. */
export async function waitForRow<T = any>(db: TestDatabase, sql: string, params: unknown[] = [], pass: (row: T | undefined) => boolean = (r) => r !== undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let row: T | undefined;
    try {
      [row] = await db.query<T>(sql, params);
    } catch (e) {
      // A process under test may not have created the schema yet.
      if ((e as { code?: string }).code !== '42P01') throw e;
    }
    if (pass(row)) return row as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${sql} (last: ${JSON.stringify(row)})`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Starts a manual scrape through the API and waits for it. */
export async function scrape(app: TestApp, images?: string[]): Promise<any> {
  const r = await app.gql(`mutation($input: TriggerScrapeInput) { triggerScrape(input: $input) { created run { id status } } }`, {
    input: images ? { images } : null,
  });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return waitForRun(app, r.data.triggerScrape.run.id);
}
