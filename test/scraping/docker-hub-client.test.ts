/**
 * DockerHubClient against the fake Docker Hub (never the real one). No database.
 * Run: npx tsc -p . && node --test dist/test/scraping/docker-hub-client.test.js
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DockerHubConfig } from '../../src/config/config';
import {
  DockerHubClient,
  HubAuthError,
  HubClientObserver,
  HubError,
  HubHttpError,
  HubNetworkError,
  HubNotFoundError,
  HubRateLimitError,
  HubResponseError,
  HubTimeoutError,
  RateLimitSource,
} from '../../src/scraping/hub';
import { createLogger } from '../../src/shared/logger';
import { FakeDockerHub, FakeDockerHubOptions, FakeRequest, faults, hubPaths } from '../support/fake-docker-hub';
import {
  loadRecordedFixture,
  RawRepository,
  RECORDED_FIXTURES,
  syntheticMultiArchTag,
  syntheticRepository,
  syntheticTag,
  syntheticTags,
} from '../support/hub-data';

// ------------------------------------------------------------------ harness

const USER_AGENT = 'catalog-sync-test/0.0 (+docker-hub-client.test)';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startHub(opts: FakeDockerHubOptions = {}): Promise<FakeDockerHub> {
  const hub = await FakeDockerHub.start(opts);
  cleanups.push(() => hub.close());
  return hub;
}

interface Events {
  requests: Array<{ status: number | 'network_error' | 'timeout'; endpoint: string }>;
  retries: Array<{ reason: string; attempt: number; delayMs: number }>;
  pauses: Array<{ ms: number; source: RateLimitSource }>;
}

interface Harness {
  hub: FakeDockerHub;
  client: DockerHubClient;
  /** Every pino line the client wrote (level debug). */
  logs: string[];
  events: Events;
  /** Added to Date.now() for the client's clock. */
  clock: { skewMs: number };
}

async function setup(
  opts: {
    hub?: FakeDockerHubOptions;
    config?: Partial<DockerHubConfig>;
    random?: () => number;
    existingHub?: FakeDockerHub;
  } = {},
): Promise<Harness> {
  const hub = opts.existingHub ?? (await startHub(opts.hub));
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const events: Events = { requests: [], retries: [], pauses: [] };
  const observer: HubClientObserver = {
    request: (e) => events.requests.push({ status: e.status, endpoint: e.endpoint }),
    retry: (e) => events.retries.push(e),
    rateLimitPause: (e) => events.pauses.push(e),
  };
  const clock = { skewMs: 0 };
  const config: DockerHubConfig = {
    url: hub.url,
    timeoutMs: 2_000,
    maxAttempts: 3,
    retryBaseMs: 1,
    retryMaxMs: 5,
    maxRateLimitWaitMs: 5_000,
    maxBodyBytes: 1024 * 1024,
    userAgent: USER_AGENT,
    requestDeadlineMs: 60_000,
    // High enough that tests of retries never open the breaker (its own tests lower it).
    circuitThreshold: 1_000,
    circuitCooldownMs: 30_000,
    ...opts.config,
  };
  const client = new DockerHubClient({
    config,
    logger,
    observer,
    random: opts.random ?? (() => 0),
    now: () => Date.now() + clock.skewMs,
  });
  cleanups.push(() => client.close());
  return { hub, client, logs, events, clock };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof Error, `rejected with a non-Error: ${String(e)}`);
    return e;
  }
  assert.fail('expected the promise to reject');
}

/** The error is a HubError of `Ctor` whose message names the image and the URL path. */
function assertHubError(e: Error, Ctor: abstract new (...args: never[]) => HubError, image: string, urlPart: string): asserts e is HubError {
  assert.ok(e instanceof Ctor, `expected ${Ctor.name}, got ${e.name}: ${e.message}`);
  assert.ok(e.message.includes(image), `message does not name ${image}: ${e.message}`);
  assert.ok(e.message.includes(urlPart), `message does not name the URL ${urlPart}: ${e.message}`);
  assert.ok(e.message.includes('http://127.0.0.1:'), `message has no absolute URL: ${e.message}`);
}

const repoPath = (ns: string, name: string) => `/v2/namespaces/${ns}/repositories/${name}`;
const tagsPath = (ns: string, name: string) => `/v2/namespaces/${ns}/repositories/${name}/tags`;

function names(list: { tags: Array<{ name: string }> }): string[] {
  return list.tags.map((t) => t.name);
}

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${prefix}${i}`);
  return out;
}

// ------------------------------------------------------------------ recorded fixtures

describe('DockerHubClient: recorded Docker Hub responses', () => {
  it('parses the current-shape disney repository that has no full_description key', async () => {
    const { hub, client } = await setup();
    const fixture = loadRecordedFixture<RawRepository>(RECORDED_FIXTURES.disneyRepo);
    assert.equal('full_description' in (fixture.json as object), false);
    hub.setRepository('ebusinessdocker', 'disney', { info: fixture.json, replaceInfo: true });

    const repo = await client.getRepository('ebusinessdocker', 'disney');
    assert.equal(repo.namespace, 'ebusinessdocker');
    assert.equal(repo.repository, 'disney');
    assert.equal(repo.fullDescription, null);
    assert.equal(repo.description, '');
    assert.equal(repo.starCount, 0);
    assert.equal(repo.pullCount, 275);
    assert.equal(repo.lastUpdated, '2017-11-02T07:47:35.758489Z');
    assert.equal(repo.statusDescription, 'active');
    assert.equal(repo.storageSize, 1007407794);
    assert.equal(repo.dateRegistered, '2017-04-25T09:11:17.568035Z');
  });

  it('parses the old-shape perceval repository, served byte for byte, with its long full_description', async () => {
    const { hub, client } = await setup();
    const fixture = loadRecordedFixture<{ full_description: string }>(RECORDED_FIXTURES.percevalRepo);
    hub.inject(hubPaths.repository('grimoirelab', 'perceval'), faults.status(200, { body: fixture.text, contentType: 'application/json' }));

    const repo = await client.getRepository('grimoirelab', 'perceval');
    assert.equal(repo.description, 'Perceval Docker image to work in standalone mode');
    assert.equal(repo.fullDescription, fixture.json.full_description);
    assert.ok(repo.fullDescription!.startsWith('# Perceval [![Build Status]'));
    assert.ok(repo.fullDescription!.length > 5_000);
    assert.equal(repo.starCount, 1);
    assert.equal(repo.pullCount, 398);
    assert.equal(repo.lastUpdated, '2017-05-10T08:12:52.217787Z');
    assert.equal(repo.dateRegistered, null);
    assert.equal(repo.storageSize, null);
  });

  it('parses the dotcms tag page (two single-arch tags, next null)', async () => {
    const { hub, client } = await setup();
    const fixture = loadRecordedFixture(RECORDED_FIXTURES.dotcmsTags);
    hub.inject(hubPaths.tags('dotcms', 'dotcms-test'), faults.status(200, { body: fixture.text, contentType: 'application/json' }));

    const list = await client.listTags('dotcms', 'dotcms-test', 10);
    assert.deepEqual(names(list), ['26.03.12-01', '26049-docker-build-and-publish']);
    assert.equal(list.pagesRead, 1);
    assert.equal(list.warning, undefined);
    const [first, second] = list.tags;
    assert.equal(first.digest, 'sha256:3e94fbb14cba73fdd3ceec52de7b9b687f9f2e37d420f5827de9611eae3f7381');
    assert.equal(first.fullSize, 535502520);
    assert.equal(first.lastUpdated, '2026-03-13T15:11:57.444216Z');
    assert.equal(first.tagStatus, 'active');
    assert.equal(first.tagLastPushed, '2026-03-13T15:11:57.444216Z');
    assert.equal(first.images.length, 1);
    assert.deepEqual(
      { ...first.images[0], osVersion: undefined, status: undefined, lastPushed: undefined },
      {
        architecture: 'amd64',
        os: 'linux',
        variant: null,
        digest: 'sha256:3e94fbb14cba73fdd3ceec52de7b9b687f9f2e37d420f5827de9611eae3f7381',
        size: 535502520,
        osVersion: undefined,
        status: undefined,
        lastPushed: undefined,
      },
    );
    assert.equal(second.fullSize, 420362600);
    assert.equal(second.images[0].digest, 'sha256:dba7eb94849e34d169c6f6e203e434f4098477f345b4fc7ac194638125604666');

    const [req] = hub.requestsTo(hubPaths.tags('dotcms', 'dotcms-test'));
    assert.deepEqual(req.query, { page_size: '10', ordering: 'last_updated' });
  });

  it('keeps the disney tag that has no tag-level digest', async () => {
    const { hub, client } = await setup();
    const fixture = loadRecordedFixture(RECORDED_FIXTURES.disneyTags);
    hub.inject(hubPaths.tags('ebusinessdocker', 'disney'), faults.status(200, { body: fixture.text, contentType: 'application/json' }));

    const list = await client.listTags('ebusinessdocker', 'disney', 10);
    assert.equal(list.tags.length, 1);
    const [tag] = list.tags;
    assert.equal(tag.name, 'latest');
    assert.equal(tag.digest, null);
    assert.equal(tag.fullSize, 25529703);
    assert.equal(tag.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.equal(tag.images[0].digest, 'sha256:46a577b81ad2ad37b99d7a809ccd21c135cbca3c6ab3b49cfcf705c54312de78');
    assert.equal(tag.images[0].architecture, 'amd64');
  });
});

// ------------------------------------------------------------------ parsing

describe('DockerHubClient: lenient parsing, strict shape', () => {
  it('lets through tags without digest, full_size 0, null dates and attestation entries; keeps big counts exact', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 10 } });
    hub.setRepository('acme', 'app', {
      info: { pull_count: 12_345_678_901, star_count: 3, full_description: null },
      tags: [
        syntheticMultiArchTag('multi', { lastUpdated: '2026-01-10T00:00:00Z' }),
        syntheticTag('nodigest', { withoutDigest: true, lastUpdated: '2026-01-09T00:00:00Z' }),
        syntheticTag('empty', { fullSize: 0, lastUpdated: '2026-01-08T00:00:00Z' }),
        syntheticTag('undated', { lastUpdated: null }),
      ],
    });

    const repo = await client.getRepository('acme', 'app');
    assert.equal(repo.pullCount, 12_345_678_901);
    assert.ok(repo.pullCount > 2 ** 31);
    assert.equal(repo.fullDescription, null);

    const list = await client.listTags('acme', 'app', 10);
    assert.deepEqual(names(list), ['multi', 'nodigest', 'empty', 'undated']);
    const [multi, nodigest, empty, undated] = list.tags;
    assert.equal(multi.images.length, 12, 'six platforms and six attestation entries, all returned');
    assert.equal(multi.images.filter((i) => i.architecture === 'unknown' && i.os === 'unknown').length, 6);
    assert.deepEqual(
      multi.images.slice(0, 3).map((i) => [i.architecture, i.os, i.variant]),
      [
        ['amd64', 'linux', null],
        ['arm64', 'linux', 'v8'],
        ['arm', 'linux', 'v7'],
      ],
    );
    assert.match(multi.digest!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(nodigest.digest, null);
    assert.match(nodigest.images[0].digest!, /^sha256:/);
    assert.equal(empty.fullSize, 0);
    assert.equal(undated.lastUpdated, null);
    assert.equal(undated.tagLastPushed, null);
  });

  it('rejects a tag page whose results is not an array, naming image and URL', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app', { tags: syntheticTags(3) });
    hub.inject(hubPaths.tags('acme', 'app'), faults.transform((page) => ({ ...page, results: { oops: true } })));
    const e = await rejection(client.listTags('acme', 'app', 5));
    assertHubError(e, HubResponseError, 'acme/app', tagsPath('acme', 'app'));
    assert.match(e.message, /"results" of the tag page should be an array, got a object/);
  });

  it('rejects repository info that is not an object, or not repository info', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.status(200, { body: [1, 2, 3] }));
    const e1 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e1, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e1.message, /should be a JSON object, got an array/);

    hub.inject(hubPaths.repository('acme', 'app'), faults.status(200, { body: { detail: 'hello' } }));
    const e2 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e2, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e2.message, /not repository information/);
  });
});

// ------------------------------------------------------------------ paging

describe('DockerHubClient: paging', () => {
  it('reads exactly maxTags across several pages, newest first, following next', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 5 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(23) });

    const list = await client.listTags('acme', 'app', 12);
    assert.deepEqual(names(list), range('t', 1, 12));
    assert.equal(list.pagesRead, 3);
    assert.equal(list.warning, undefined);
    const reqs = hub.requestsTo(hubPaths.tags('acme', 'app'));
    assert.deepEqual(
      reqs.map((r) => r.query),
      [
        { page_size: '12', ordering: 'last_updated' },
        { page_size: '12', ordering: 'last_updated', page: '2' },
        { page_size: '12', ordering: 'last_updated', page: '3' },
      ],
    );
    assert.ok(reqs.every((r) => r.userAgent === USER_AGENT && r.accept === 'application/json'));
  });

  it('follows next exactly as given, never computing offsets itself', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 5 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(20) });
    hub.inject(
      hubPaths.tagsPage('acme', 'app', 1),
      faults.transform((page, r) => ({
        ...page,
        next: `${hub.url}${r.path}?page=3&page_size=5&ordering=last_updated&marker=from-next`,
      })),
    );

    const list = await client.listTags('acme', 'app', 10);
    assert.deepEqual(names(list), [...range('t', 1, 5), ...range('t', 11, 15)]);
    const second = hub.requestsTo(hubPaths.tags('acme', 'app'))[1];
    assert.equal(second.url, `${tagsPath('acme', 'app')}?page=3&page_size=5&ordering=last_updated&marker=from-next`);
  });

  it('dedupes tags by name when the order shifts between pages', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 5 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(20) });
    // A push between page 1 and page 2 shifts every tag down by one: page 2 starts with t5 again.
    hub.inject(hubPaths.tagsPage('acme', 'app', 2), faults.before((_r, h) => void h.pushTag('acme', 'app', 'fresh')));

    const list = await client.listTags('acme', 'app', 12);
    assert.deepEqual(names(list), range('t', 1, 12));
    assert.equal(new Set(names(list)).size, 12);
    assert.equal(list.pagesRead, 3);
    const page2 = hub.requestsTo(hubPaths.tagsPage('acme', 'app', 2));
    assert.equal(page2.length, 1);
    assert.equal(hub.getTags('acme', 'app')[0].name, 'fresh');
  });

  it('caps page_size at 100 and asks for no more than maxTags per page', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 100 } });
    hub.setRepository('acme', 'big', { tags: syntheticTags(260) });

    const list = await client.listTags('acme', 'big', 250);
    assert.equal(list.tags.length, 250);
    assert.equal(list.tags[249].name, 't250');
    const reqs = hub.requestsTo(hubPaths.tags('acme', 'big'));
    assert.deepEqual(
      reqs.map((r) => [r.query.page_size, r.query.page ?? '1']),
      [
        ['100', '1'],
        ['100', '2'],
        ['100', '3'],
      ],
    );

    hub.clearRequests();
    const small = await client.listTags('acme', 'big', 3);
    assert.deepEqual(names(small), ['t1', 't2', 't3']);
    assert.deepEqual(hub.requestsTo(hubPaths.tags('acme', 'big')).map((r) => r.query.page_size), ['3']);
  });

  it('does not follow a next link to another host, or another port', async () => {
    for (const other of ['http://example.invalid', 'http://127.0.0.1:1', 'https://127.0.0.1']) {
      const { hub, client } = await setup({ hub: { maxPageSize: 5, linkBaseUrl: other } });
      hub.setRepository('acme', 'app', { tags: syntheticTags(12) });
      const list = await client.listTags('acme', 'app', 10);
      assert.deepEqual(names(list), range('t', 1, 5), other);
      assert.equal(list.pagesRead, 1);
      assert.ok(list.warning, 'a warning says why paging stopped');
      assert.match(list.warning!, /acme\/app: stopped after 5 tags/);
      assert.ok(list.warning!.includes(new URL(other).origin), list.warning);
      assert.match(list.warning!, /not followed/);
      assert.equal(hub.countRequests(), 1);
    }
  });

  it('treats 404 past the last page as the end of the list', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 5 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(10) });
    hub.inject(
      hubPaths.tagsPage('acme', 'app', 2),
      faults.transform((page, r) => ({ ...page, next: `${hub.url}${r.path}?page=3&page_size=10&ordering=last_updated` })),
    );
    const list = await client.listTags('acme', 'app', 20);
    assert.deepEqual(names(list), range('t', 1, 10));
    assert.equal(list.pagesRead, 2);
    assert.equal(list.warning, undefined);
    assert.deepEqual(
      hub.requestsTo(hubPaths.tags('acme', 'app')).map((r) => r.status),
      [200, 200, 404],
    );
  });

  it('reports a missing repository as HubNotFoundError (repository and first tag page), without retrying', async () => {
    const { hub, client } = await setup();
    const e1 = await rejection(client.getRepository('nobody', 'nothing'));
    assertHubError(e1, HubNotFoundError, 'nobody/nothing', repoPath('nobody', 'nothing'));
    assert.equal(e1.status, 404);
    assert.match(e1.message, /no such repository on Docker Hub, or it is private/);
    assert.match(e1.message, /object not found/);

    const e2 = await rejection(client.listTags('nobody', 'nothing', 10));
    assertHubError(e2, HubNotFoundError, 'nobody/nothing', tagsPath('nobody', 'nothing'));
    assert.equal(hub.countRequests(), 2);
  });

  it('returns no tags for a repository without tags (scratch)', async () => {
    const { hub, client } = await setup();
    hub.setRepository('library', 'scratch', { tags: [] });
    const list = await client.listTags('library', 'scratch', 10);
    assert.deepEqual(list, { tags: [], pagesRead: 1, complete: true }, 'the whole (empty) list: complete');
  });

  it('stops at the anonymous paging limit (403), keeps what was read and says a token is needed', async () => {
    const { hub, client } = await setup({ hub: { maxPageSize: 5, anonymousOffsetLimit: 10 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(30) });

    const list = await client.listTags('acme', 'app', 25);
    assert.deepEqual(names(list), range('t', 1, 10));
    assert.equal(list.complete, false, 'stopped by the paging limit: not a complete listing');
    assert.equal(list.pagesRead, 2);
    assert.ok(list.warning);
    assert.match(list.warning!, /acme\/app: stopped after 10 tags/);
    assert.match(list.warning!, /anonymous clients/);
    assert.match(list.warning!, /pagination offset too large for anonymous requests/);
    assert.match(list.warning!, /DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN/);
    assert.deepEqual(
      hub.requestsTo(hubPaths.tags('acme', 'app')).map((r) => r.status),
      [200, 200, 403],
      'the 403 is not retried',
    );

    // Signed in, the same listing goes past the limit.
    const creds = { username: 'robot', token: 'dckr_pat_offset_secret' };
    hub.credentials = creds;
    const signedIn = await setup({ existingHub: hub, config: creds });
    const full = await signedIn.client.listTags('acme', 'app', 25);
    assert.equal(full.tags.length, 25);
    assert.equal(full.warning, undefined);
  });
});

// ------------------------------------------------------------------ retries

describe('DockerHubClient: retries', () => {
  it('retries a 503 burst with full-jitter backoff, then succeeds', async () => {
    const { hub, client, events, logs } = await setup({
      config: { retryBaseMs: 10, retryMaxMs: 1_000, maxAttempts: 5 },
      random: () => 0.5,
    });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.serviceUnavailable(), { times: 2 });

    const repo = await client.getRepository('acme', 'app');
    assert.equal(repo.repository, 'app');
    assert.deepEqual(events.retries, [
      { reason: 'HTTP 503', attempt: 1, delayMs: 5 },
      { reason: 'HTTP 503', attempt: 2, delayMs: 10 },
    ]);
    assert.deepEqual(
      events.requests.map((r) => r.status),
      [503, 503, 200],
    );
    assert.equal(hub.countRequests(hubPaths.repository('acme', 'app')), 3);

    const parsed = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const debug = parsed.filter((l) => l.msg === 'docker hub request');
    assert.deepEqual(
      debug.map((l) => [l.level, l.method, l.status, l.attempt]),
      [
        [20, 'GET', 503, 1],
        [20, 'GET', 503, 2],
        [20, 'GET', 200, 3],
      ],
    );
    assert.ok(debug.every((l) => l.url === `${hub.url}${repoPath('acme', 'app')}` && typeof l.ms === 'number'));
    assert.equal(parsed.filter((l) => l.level === 40 && String(l.msg).startsWith('retrying Docker Hub request')).length, 2);
  });

  it('gives up after maxAttempts with HubHttpError; the backoff is capped at retryMaxMs', async () => {
    const { hub, client, events } = await setup({
      config: { retryBaseMs: 10, retryMaxMs: 15, maxAttempts: 4 },
      random: () => 0.999,
    });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.serviceUnavailable(), { times: Infinity });

    const e = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e, HubHttpError, 'acme/app', repoPath('acme', 'app'));
    assert.equal(e.status, 503);
    assert.equal(e.attempts, 4);
    assert.match(e.message, /HTTP 503 Service Unavailable/);
    assert.match(e.message, /gave up after 4 attempts/);
    assert.deepEqual(
      events.retries.map((r) => r.delayMs),
      [9, 14, 14],
    );
    assert.equal(hub.countRequests(), 4);
  });

  it('retries a bare 429 (no rate-limit header) with the backoff', async () => {
    const { hub, client, events } = await setup({ config: { retryBaseMs: 20, retryMaxMs: 1_000 }, random: () => 0.5 });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited());
    await client.getRepository('acme', 'app');
    assert.deepEqual(events.retries, [{ reason: 'HTTP 429', attempt: 1, delayMs: 10 }]);
    assert.deepEqual(events.pauses, []);
    assert.equal(hub.countRequests(), 2);
  });

  it('does not retry 400 or a 403 that is not the paging limit', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app', { tags: syntheticTags(3) });
    hub.inject(hubPaths.repository('acme', 'app'), faults.status(400, { body: { message: 'invalid namespace' } }));
    const e1 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e1, HubHttpError, 'acme/app', repoPath('acme', 'app'));
    assert.equal(e1.status, 400);
    assert.match(e1.message, /HTTP 400 Bad Request: "invalid namespace"/);

    hub.inject(hubPaths.tags('acme', 'app'), faults.status(403, { body: { message: 'forbidden', errinfo: {} } }));
    const e2 = await rejection(client.listTags('acme', 'app', 10));
    assertHubError(e2, HubHttpError, 'acme/app', tagsPath('acme', 'app'));
    assert.equal(e2.status, 403);
    assert.match(e2.message, /"forbidden"/);
    assert.equal(hub.countRequests(), 2);
  });

  it('retries a reset connection; fails with HubNetworkError when it keeps happening', async () => {
    const { hub, client, events } = await setup({ config: { maxAttempts: 3 } });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.reset());
    const repo = await client.getRepository('acme', 'app');
    assert.equal(repo.namespace, 'acme');
    assert.deepEqual(
      events.requests.map((r) => r.status),
      ['network_error', 200],
    );

    hub.inject(hubPaths.repository('acme', 'app'), faults.reset(), { times: Infinity });
    const e = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e, HubNetworkError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e.message, /closed or reset/);
    assert.equal(e.attempts, 3);
    assert.equal(hub.countRequests(), 5);
  });
});

// ------------------------------------------------------------------ rate limits

describe('DockerHubClient: rate limits', () => {
  it('waits Retry-After seconds on a 429 instead of the backoff', async () => {
    const { hub, client, events } = await setup({ random: () => 0 });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited({ retryAfter: 1 }));

    await client.getRepository('acme', 'app');
    const [first, second] = hub.requestsTo(hubPaths.repository('acme', 'app'));
    assert.equal(first.status, 429);
    assert.equal(second.status, 200);
    const gap = second.timestamp - first.respondedAt!;
    assert.ok(gap >= 950, `waited only ${gap} ms`);
    assert.ok(gap < 2_000, `waited ${gap} ms`);
    assert.equal(events.pauses.length, 1);
    assert.equal(events.pauses[0].source, 'retry-after');
    assert.ok(events.pauses[0].ms > 900 && events.pauses[0].ms <= 1_000, String(events.pauses[0].ms));
    assert.equal(events.retries.length, 1);
    assert.equal(events.retries[0].reason, 'HTTP 429');
  });

  it('waits until X-Retry-After (unix seconds) on a 429', async () => {
    const { hub, client, events, clock } = await setup();
    hub.setRepository('acme', 'app');
    const target = Math.ceil(Date.now() / 1000) + 100;
    hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited({ xRetryAfter: target }));
    clock.skewMs = target * 1000 - 400 - Date.now(); // the client's clock is 400 ms before the target

    await client.getRepository('acme', 'app');
    const [first, second] = hub.requestsTo(hubPaths.repository('acme', 'app'));
    const gap = second.timestamp - first.respondedAt!;
    assert.ok(gap >= 330, `waited only ${gap} ms`);
    assert.ok(gap < 1_500, `waited ${gap} ms`);
    assert.deepEqual(
      events.pauses.map((p) => p.source),
      ['x-retry-after'],
    );
  });

  it('accepts Retry-After as an HTTP date', async () => {
    const { hub, client, events, clock } = await setup();
    hub.setRepository('acme', 'app');
    const target = (Math.ceil(Date.now() / 1000) + 100) * 1000;
    hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited({ retryAfter: new Date(target).toUTCString() }));
    clock.skewMs = target - 300 - Date.now();

    await client.getRepository('acme', 'app');
    const [first, second] = hub.requestsTo(hubPaths.repository('acme', 'app'));
    const gap = second.timestamp - first.respondedAt!;
    assert.ok(gap >= 230 && gap < 1_500, `waited ${gap} ms`);
    assert.deepEqual(
      events.pauses.map((p) => p.source),
      ['retry-after'],
    );
  });

  it('X-RateLimit-Remaining: 0 pauses every other request to the host, concurrent ones included', async () => {
    const { hub, client, events, clock } = await setup({ hub: { maxPageSize: 5 } });
    hub.setRepository('acme', 'a');
    hub.setRepository('acme', 'b', { tags: syntheticTags(20) });
    hub.setRepository('acme', 'c');
    // A 200 that says the quota is used up for another 1000 ms on the client's clock (the
    // header is computed when the answer is built: no test-side timing is involved).
    const clientNow = () => Date.now() + clock.skewMs;
    hub.inject(hubPaths.repository('acme', 'a'), faults.rateLimitHeaders({ reset: () => (clientNow() + 1000) / 1000 }));
    // Page 2 of b is held by the fake until the client has taken the pause: it is in flight
    // while a's answer sets it, whatever the machine's load.
    hub.inject(
      hubPaths.tagsPage('acme', 'b', 2),
      faults.before(async () => {
        while (client.rateLimitPauseMs() === 0) await new Promise((r) => setTimeout(r, 2));
      }),
    );

    const listing = client.listTags('acme', 'b', 20); // 4 pages
    await hub.waitForRequests(2, hubPaths.tags('acme', 'b'));
    const a = await client.getRepository('acme', 'a');
    assert.equal(a.repository, 'a');
    const c = await client.getRepository('acme', 'c');
    assert.equal(c.repository, 'c');
    const b = await listing;
    assert.equal(b.tags.length, 20);

    assert.deepEqual(
      events.pauses.map((p) => p.source),
      ['x-ratelimit-reset'],
    );
    const pauseMs = events.pauses[0].ms;
    assert.ok(pauseMs > 0 && pauseMs <= 1000, String(pauseMs));
    // The pause began no earlier than the fake sent a's answer and lasted pauseMs from when the
    // client read it: every request sent after it is at least pauseMs later (1 ms clock slack).
    const aReq = hub.requestsTo(hubPaths.repository('acme', 'a'))[0];
    const pausedFrom = aReq.respondedAt!;
    const cReq = hub.requestsTo(hubPaths.repository('acme', 'c'))[0];
    assert.ok(cReq.timestamp - pausedFrom >= pauseMs - 1, `c was sent ${cReq.timestamp - pausedFrom} ms after the pause began (pause ${pauseMs} ms)`);
    const bReqs = hub.requestsTo(hubPaths.tags('acme', 'b'));
    assert.equal(bReqs.length, 4);
    assert.ok(bReqs[1].seq < aReq.seq, 'page 2 was requested before the pause');
    assert.ok(
      bReqs[2].timestamp - pausedFrom >= pauseMs - 1,
      `page 3 (asked for as soon as page 2 came back) was requested ${bReqs[2].timestamp - pausedFrom} ms after the pause began (pause ${pauseMs} ms)`,
    );
  });

  it('fails fast with HubRateLimitError when the wait exceeds maxRateLimitWaitMs, for every request to the host', async () => {
    const { hub, client } = await setup({ config: { maxRateLimitWaitMs: 1_000, maxAttempts: 3 } });
    hub.setRepository('acme', 'app');
    hub.setRepository('acme', 'other');
    hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited({ retryAfter: 3600 }));

    const started = Date.now();
    const e = await rejection(client.getRepository('acme', 'app'));
    assert.ok(Date.now() - started < 500, 'did not sleep');
    assertHubError(e, HubRateLimitError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e.message, /60 min/);
    assert.match(e.message, /Retry-After/);
    assert.match(e.message, /DOCKER_HUB_MAX_RATE_LIMIT_WAIT/);

    const e2 = await rejection(client.getRepository('acme', 'other'));
    assertHubError(e2, HubRateLimitError, 'acme/other', repoPath('acme', 'other'));
    assert.equal(hub.countRequests(), 1, 'the second request was never sent');
    assert.ok(client.rateLimitPauseMs() > 3_000_000);
  });
});

// ------------------------------------------------------------------ timeouts, bad bodies

describe('DockerHubClient: timeouts and bodies that are not the API', () => {
  it('times out a response whose headers never come, on every attempt', async () => {
    const { hub, client, events } = await setup({ config: { timeoutMs: 150, maxAttempts: 2 } });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.hang(), { times: Infinity });
    const started = Date.now();
    const e = await rejection(client.getRepository('acme', 'app'));
    const took = Date.now() - started;
    assertHubError(e, HubTimeoutError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e.message, /no response within 150 ms/);
    assert.equal(e.attempts, 2);
    assert.ok(took >= 280 && took < 5_000, `took ${took} ms`); // undici checks these timeouts at ~0.5–1 s resolution
    assert.deepEqual(
      events.requests.map((r) => r.status),
      ['timeout', 'timeout'],
    );
    assert.equal(hub.countRequests(), 2);
  });

  it('times out a body that stalls after the headers', async () => {
    const { hub, client } = await setup({ config: { timeoutMs: 150, maxAttempts: 2 } });
    hub.setRepository('acme', 'app', { tags: syntheticTags(3) });
    hub.inject(hubPaths.tags('acme', 'app'), faults.slowBody(20), { times: Infinity });
    const e = await rejection(client.listTags('acme', 'app', 3));
    assertHubError(e, HubTimeoutError, 'acme/app', tagsPath('acme', 'app'));
    assert.match(e.message, /body stalled for more than 150 ms/);
    assert.equal(hub.countRequests(), 2);
  });

  it('reports an HTML challenge page (200 or 403) as HubResponseError, not retried', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.html(200));
    const e1 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e1, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e1.message, /an HTML page \("Just a moment\.\.\."\) instead of JSON \(HTTP 200, text\/html/);
    assert.match(e1.message, /Cloudflare challenge/);

    hub.inject(hubPaths.repository('acme', 'app'), faults.html(403));
    const e2 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e2, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.equal(e2.status, 403);
    assert.equal(hub.countRequests(), 2);
  });

  it('reports "error code: 1010" as HubResponseError', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app', { tags: syntheticTags(2) });
    hub.inject(hubPaths.tags('acme', 'app'), faults.cloudflare1010());
    const e = await rejection(client.listTags('acme', 'app', 5));
    assertHubError(e, HubResponseError, 'acme/app', tagsPath('acme', 'app'));
    assert.match(e.message, /"error code: 1010"/);
    assert.match(e.message, /Cloudflare/);
    assert.equal(hub.countRequests(), 1);
  });

  it('reports JSON text under a non-JSON content type as HubResponseError', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.status(200, { body: '{"name":"app"}', contentType: 'text/plain' }));
    const e = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e.message, /content type "text\/plain" instead of JSON/);
  });

  it('reports truncated JSON as HubResponseError', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app', { tags: syntheticTags(4) });
    hub.inject(hubPaths.tags('acme', 'app'), faults.truncatedJson());
    const e = await rejection(client.listTags('acme', 'app', 5));
    assertHubError(e, HubResponseError, 'acme/app', tagsPath('acme', 'app'));
    assert.match(e.message, /malformed or truncated/);
    assert.equal(hub.countRequests(), 1);
  });

  it('refuses bodies over maxBodyBytes, announced by Content-Length or streamed', async () => {
    const { hub, client } = await setup({ config: { maxBodyBytes: 4_096 } });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.oversized(50_000));
    const e1 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e1, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e1.message, /50000 bytes \(Content-Length\), more than the 4096-byte cap/);

    hub.inject(hubPaths.repository('acme', 'app'), faults.oversized(50_000, { contentLength: false }));
    const e2 = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e2, HubResponseError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e2.message, /grew past the 4096-byte cap/);
    assert.equal(hub.countRequests(), 2);

    // A normal body under the cap still goes through on the same client.
    assert.equal((await client.getRepository('acme', 'app')).repository, 'app');
  });
});

// ------------------------------------------------------------------ abort

describe('DockerHubClient: abort', () => {
  it('rejects promptly with an AbortError while a response hangs, without retrying', async () => {
    const { hub, client } = await setup({ config: { timeoutMs: 10_000 } });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.hang(), { times: Infinity });
    const ac = new AbortController();
    const p = client.getRepository('acme', 'app', ac.signal);
    await hub.waitForRequests(1);
    const abortedAt = Date.now();
    ac.abort();
    const e = await rejection(p);
    assert.equal(e.name, 'AbortError');
    assert.ok(Date.now() - abortedAt < 200, `took ${Date.now() - abortedAt} ms`);
    assert.equal(hub.countRequests(), 1);
  });

  it('aborts a backoff wait and a rate-limit wait', async () => {
    const { hub, client } = await setup({ config: { retryBaseMs: 20_000, retryMaxMs: 20_000 }, random: () => 1 });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.serviceUnavailable(), { times: Infinity });
    const ac = new AbortController();
    const p = client.getRepository('acme', 'app', ac.signal);
    await hub.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    ac.abort(new DOMException('shutting down', 'AbortError'));
    const e = await rejection(p);
    assert.equal(e.name, 'AbortError');
    assert.equal(e.message, 'shutting down');
    assert.ok(Date.now() - t0 < 200);
    assert.equal(hub.countRequests(), 1);

    const other = await setup({ config: { maxRateLimitWaitMs: 60_000 } });
    other.hub.setRepository('acme', 'app');
    other.hub.inject(hubPaths.repository('acme', 'app'), faults.rateLimited({ retryAfter: 30 }));
    const ac2 = new AbortController();
    const p2 = other.client.getRepository('acme', 'app', ac2.signal);
    await other.hub.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 30));
    const t1 = Date.now();
    ac2.abort();
    const e2 = await rejection(p2);
    assert.equal(e2.name, 'AbortError');
    assert.ok(Date.now() - t1 < 200);
    assert.equal(other.hub.countRequests(), 1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { hub, client } = await setup();
    hub.setRepository('acme', 'app', { tags: syntheticTags(2) });
    const e = await rejection(client.listTags('acme', 'app', 5, AbortSignal.abort()));
    assert.equal(e.name, 'AbortError');
    assert.equal(hub.countRequests(), 0);
  });
});

// ------------------------------------------------------------------ auth

describe('DockerHubClient: sign-in with a personal access token', () => {
  const creds = { username: 'robot', token: 'dckr_pat_TOP-SECRET-0123456789' };

  it('fetches one token for concurrent calls and sends it as a bearer on every request', async () => {
    const { hub, client, events } = await setup({ hub: { credentials: creds }, config: creds });
    for (const n of ['a', 'b', 'c', 'd', 'e']) hub.setRepository('acme', n, { tags: syntheticTags(7) });

    await Promise.all([
      ...['a', 'b', 'c', 'd', 'e'].map((n) => client.getRepository('acme', n)),
      client.listTags('acme', 'a', 7),
    ]);
    assert.equal(hub.countRequests(hubPaths.auth), 1);
    assert.equal(hub.issuedTokens.length, 1);
    const api = hub.requestsTo(hubPaths.api);
    assert.equal(api.length, 5 + 2);
    assert.ok(api.every((r) => r.authorization && r.bearerValid));
    assert.deepEqual(
      events.requests.filter((r) => r.endpoint === 'auth').map((r) => r.status),
      [200],
    );
  });

  it('signs in again once on a 401 and retries that request', async () => {
    const { hub, client } = await setup({ hub: { credentials: creds }, config: creds });
    hub.setRepository('acme', 'app');
    await client.getRepository('acme', 'app');
    hub.expireTokens();
    hub.clearRequests();

    const repo = await client.getRepository('acme', 'app');
    assert.equal(repo.repository, 'app');
    assert.deepEqual(
      hub.requests.map((r) => [r.path === '/v2/auth/token' ? 'auth' : 'repo', r.status]),
      [
        ['repo', 401],
        ['auth', 200],
        ['repo', 200],
      ],
    );
    assert.equal(hub.issuedTokens.length, 2);
  });

  it('fails with HubAuthError when the fresh token is refused too (one refresh only)', async () => {
    const { hub, client } = await setup({ hub: { credentials: creds }, config: creds });
    hub.setRepository('acme', 'app');
    hub.inject(hubPaths.repository('acme', 'app'), faults.unauthorized(), { times: Infinity });
    const e = await rejection(client.getRepository('acme', 'app'));
    assertHubError(e, HubAuthError, 'acme/app', repoPath('acme', 'app'));
    assert.match(e.message, /refused the access token of "robot" even after signing in again/);
    assert.equal(hub.countRequests(hubPaths.repository('acme', 'app')), 2);
    assert.equal(hub.countRequests(hubPaths.auth), 2);
  });

  it('refreshes the token before it expires (8 minutes), without waiting for a 401', async () => {
    const { hub, client, clock } = await setup({ hub: { credentials: creds }, config: creds });
    hub.setRepository('acme', 'app');
    await client.getRepository('acme', 'app');
    clock.skewMs = 7 * 60_000;
    await client.getRepository('acme', 'app');
    assert.equal(hub.countRequests(hubPaths.auth), 1, 'still fresh after 7 minutes');
    clock.skewMs = 8 * 60_000 + 1_000;
    await client.getRepository('acme', 'app');
    assert.equal(hub.countRequests(hubPaths.auth), 2, 'refreshed after 8 minutes');
    assert.ok(hub.requests.every((r) => r.status !== 401));
  });

  it('refreshes from the JWT exp when the token lives shorter than 10 minutes', async () => {
    const { hub, client, clock } = await setup({ hub: { credentials: creds, tokenTtlMs: 60_000 }, config: creds });
    hub.setRepository('acme', 'app');
    await client.getRepository('acme', 'app');
    clock.skewMs = 40_000;
    await client.getRepository('acme', 'app');
    assert.equal(hub.countRequests(hubPaths.auth), 1);
    clock.skewMs = 50_000; // past 80 % of a 60 s token
    await client.getRepository('acme', 'app');
    assert.equal(hub.countRequests(hubPaths.auth), 2);
  });

  it('reports refused credentials as HubAuthError, naming the image of each waiting caller, without the secret', async () => {
    const { hub, client } = await setup({ hub: { credentials: creds }, config: { username: 'robot', token: 'dckr_pat_WRONG-1234567' } });
    hub.setRepository('acme', 'a');
    hub.setRepository('acme', 'b');
    const [ea, eb] = await Promise.all([rejection(client.getRepository('acme', 'a')), rejection(client.getRepository('acme', 'b'))]);
    assertHubError(ea, HubAuthError, 'acme/a', '/v2/auth/token');
    assertHubError(eb, HubAuthError, 'acme/b', '/v2/auth/token');
    assert.match(ea.message, /refused the sign-in as "robot" \(HTTP 401/);
    assert.match(ea.message, /DOCKER_HUB_USERNAME and DOCKER_HUB_TOKEN/);
    for (const e of [ea, eb]) assert.ok(!e.message.includes('dckr_pat_WRONG-1234567'));
    assert.equal(hub.countRequests(hubPaths.auth), 1, 'one shared sign-in, a 401 is not retried');
    assert.equal(hub.countRequests(hubPaths.api), 0);
  });

  it('never writes the token or the access tokens into logs or error messages', async () => {
    const { hub, client, logs } = await setup({
      hub: { credentials: creds, maxPageSize: 2 },
      config: { ...creds, maxAttempts: 2 },
    });
    hub.setRepository('acme', 'app', { tags: syntheticTags(5) });
    const errors: Error[] = [];

    await client.getRepository('acme', 'app');
    await client.listTags('acme', 'app', 5);
    hub.expireTokens();
    await client.getRepository('acme', 'app'); // 401 → sign in again
    errors.push(await rejection(client.getRepository('acme', 'missing')));
    hub.inject(hubPaths.repository('acme', 'app'), faults.serviceUnavailable(), { times: Infinity });
    errors.push(await rejection(client.getRepository('acme', 'app')));
    hub.clearFaults();
    hub.inject(hubPaths.repository('acme', 'app'), faults.unauthorized(), { times: Infinity });
    errors.push(await rejection(client.getRepository('acme', 'app')));
    hub.clearFaults();
    hub.inject(hubPaths.auth, faults.status(500, { body: { message: `echo ${creds.token}` } }), { times: Infinity });
    hub.expireTokens();
    errors.push(await rejection(client.getRepository('acme', 'app')));

    const tokens = hub.issuedTokens;
    assert.ok(tokens.length >= 3, `tokens issued: ${tokens.length}`);
    const secrets = [creds.token, ...tokens, ...tokens.map((t) => t.split('.')[2])];
    const everything = [...logs, ...errors.map((e) => `${e.message} ${String((e as { reason?: string }).reason)}`)].join('\n');
    for (const s of secrets) assert.ok(!everything.includes(s), `a secret leaked: ${s.slice(0, 8)}…`);

    // The capture works: it holds the request lines and the sign-ins.
    assert.ok(logs.length > 10);
    assert.ok(logs.some((l) => l.includes('"msg":"docker hub request"') && l.includes('"status":401')));
    assert.ok(logs.some((l) => l.includes('signed in to Docker Hub')));
    assert.deepEqual(
      errors.map((e) => e.name),
      ['HubNotFoundError', 'HubHttpError', 'HubAuthError', 'HubAuthError'],
    );
    assert.match(errors[3].message, /signing in to Docker Hub as "robot" failed \(HTTP 500/);
    assert.match(errors[3].message, /echo \[redacted\]/);
  });
});

// ------------------------------------------------------------------ the fake itself

describe('FakeDockerHub', () => {
  async function get(hub: FakeDockerHub, path: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${hub.url}${path}`, { headers });
    return { status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as any };
  }

  it('answers like Docker Hub: 404 body, paging links that keep the query, 404 past the end, ordering, null dates last', async () => {
    const hub = await startHub({ maxPageSize: 3 });
    const missing = await get(hub, repoPath('nobody', 'nothing'));
    assert.equal(missing.status, 404);
    assert.equal(missing.contentType, 'application/json');
    assert.deepEqual(missing.json, { errinfo: {}, message: 'object not found' });

    hub.setRepository('acme', 'app', {
      tags: [syntheticTag('undated', { lastUpdated: null }), ...syntheticTags(6)],
    });
    const p1 = await get(hub, `${tagsPath('acme', 'app')}?page_size=50&ordering=last_updated`);
    assert.equal(p1.json.count, 7);
    assert.deepEqual(
      p1.json.results.map((t: { name: string }) => t.name),
      ['t1', 't2', 't3'],
    );
    assert.equal(p1.json.next, `${hub.url}${tagsPath('acme', 'app')}?page_size=50&ordering=last_updated&page=2`);
    assert.equal(p1.json.previous, null);
    const p3 = await get(hub, new URL(p1.json.next).pathname + '?page_size=50&ordering=last_updated&page=3');
    assert.deepEqual(
      p3.json.results.map((t: { name: string }) => t.name),
      ['undated'],
    );
    assert.equal(p3.json.next, null);
    assert.equal(p3.json.previous, `${hub.url}${tagsPath('acme', 'app')}?page_size=50&ordering=last_updated&page=2`);
    assert.equal((await get(hub, `${tagsPath('acme', 'app')}?page_size=3&page=4`)).status, 404);
    const oldest = await get(hub, `${tagsPath('acme', 'app')}?page_size=3&ordering=-last_updated`);
    assert.deepEqual(
      oldest.json.results.map((t: { name: string }) => t.name),
      ['undated', 't6', 't5'],
    );
    assert.equal((await get(hub, `/v2/repositories/acme/app/tags?page_size=1`)).json.results[0].name, 't1');
    assert.equal(hub.countRequests(hubPaths.tags('acme', 'app')), 4);
  });

  it('simulates upstream changes: pushTag, moveTag, removeTag, removeRepository', async () => {
    const hub = await startHub();
    hub.setRepository('acme', 'app', { tags: syntheticTags(3) });
    const before = hub.getTags('acme', 'app').find((t) => t.name === 't3')!;
    hub.pushTag('acme', 'app', 'new');
    const moved = hub.moveTag('acme', 'app', 't3');
    assert.notEqual(moved.digest, before.digest);
    assert.equal(moved.images[0].digest, moved.digest);
    assert.deepEqual(
      hub.getTags('acme', 'app').map((t) => t.name),
      ['t3', 'new', 't1', 't2'],
    );
    assert.equal(hub.removeTag('acme', 'app', 't1'), true);
    assert.equal(hub.getTags('acme', 'app').length, 3);
    assert.equal(hub.removeRepository('acme', 'app'), true);
    assert.equal((await get(hub, repoPath('acme', 'app'))).status, 404);
  });

  it('issues tokens, rejects expired ones and enforces the anonymous offset limit', async () => {
    const hub = await startHub({ credentials: { username: 'u', token: 'p' }, anonymousOffsetLimit: 2, maxPageSize: 2 });
    hub.setRepository('acme', 'app', { info: syntheticRepository('acme', 'app', { star_count: 9 }), tags: syntheticTags(6) });
    const bad = await fetch(`${hub.url}/v2/auth/token`, { method: 'POST', body: JSON.stringify({ identifier: 'u', secret: 'x' }) });
    assert.equal(bad.status, 401);
    const good = await fetch(`${hub.url}/v2/auth/token`, { method: 'POST', body: JSON.stringify({ identifier: 'u', secret: 'p' }) });
    const { access_token } = (await good.json()) as { access_token: string };
    assert.equal(access_token.split('.').length, 3);
    const anon = await get(hub, `${tagsPath('acme', 'app')}?page_size=2&page=2`);
    assert.equal(anon.status, 403);
    assert.match(anon.json.message, /pagination offset too large for anonymous requests/);
    const auth = { authorization: `Bearer ${access_token}` };
    assert.equal((await get(hub, `${tagsPath('acme', 'app')}?page_size=2&page=2`, auth)).status, 200);
    assert.equal((await get(hub, repoPath('acme', 'app'), auth)).json.star_count, 9);
    hub.expireTokens();
    assert.equal((await get(hub, repoPath('acme', 'app'), auth)).status, 401);
    const logged: FakeRequest[] = hub.requestsTo(hubPaths.api);
    assert.deepEqual(
      logged.map((r) => [r.authorization, r.bearerValid, r.status]),
      [
        [false, false, 403],
        [true, true, 200],
        [true, true, 200],
        [true, false, 401],
      ],
    );
  });
});
