/**
 * The per-host circuit breaker: unit (fake clock) and through DockerHubClient against the
 * fake Docker Hub. No database.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConfigError, DockerHubConfig, loadConfig } from '../../src/config/config';
import { CircuitBreaker, DockerHubClient, HubNetworkError, HubNotFoundError, HubUnreachableError } from '../../src/scraping/hub';
import { createLogger } from '../../src/shared/logger';
import { FakeDockerHub, faults, hubPaths } from '../support/fake-docker-hub';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, fails at once, then lets one probe through after the cool-down', () => {
    let now = 1_000_000;
    const changes: string[] = [];
    const b = new CircuitBreaker({ host: 'hub.test', threshold: 3, cooldownMs: 100, now: () => now, onStateChange: (s, prev) => changes.push(`${prev}>${s.state}`) });
    assert.deepEqual(b.permit(), { go: true, probe: false });
    b.failure('refused');
    b.failure('refused');
    b.success(); // any answer resets the streak
    b.failure('refused');
    b.failure('refused');
    assert.equal(b.snapshot().state, 'CLOSED');
    now += 5;
    b.failure('refused'); // third in a row
    const open = b.snapshot();
    assert.equal(open.state, 'OPEN');
    assert.equal(open.unreachableSince, 1_000_000);
    assert.equal(open.retryAt, now + 100);
    const denied = b.permit();
    assert.equal(denied.go, false);

    now += 100;
    const probe = b.permit();
    assert.deepEqual(probe, { go: true, probe: true });
    assert.equal(b.permit().go, false, 'only one probe at a time');
    b.failure('still refused', true);
    assert.equal(b.snapshot().state, 'OPEN');
    assert.equal(b.snapshot().unreachableSince, 1_000_000, 'since stays the start of the outage');

    now += 100;
    const probe2 = b.permit();
    assert.equal(probe2.go && probe2.probe, true);
    b.success(true);
    assert.equal(b.snapshot().state, 'CLOSED');
    assert.equal(b.snapshot().unreachableSince, null);
    assert.deepEqual(changes, ['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
  });
});

function hubConfig(url: string, extra: Partial<DockerHubConfig> = {}): DockerHubConfig {
  return {
    url,
    timeoutMs: 2_000,
    maxAttempts: 3,
    retryBaseMs: 1,
    retryMaxMs: 5,
    maxRateLimitWaitMs: 5_000,
    maxBodyBytes: 1024 * 1024,
    userAgent: 'catalog-sync-test',
    requestDeadlineMs: 10_000,
    circuitThreshold: 3,
    circuitCooldownMs: 300,
    ...extra,
  };
}

describe('DockerHubClient circuit breaker', () => {
  it('connection failures open it; requests then fail at once with "unreachable since"; one warning per change; a probe closes it', async () => {
    const hub = await FakeDockerHub.start();
    cleanups.push(() => hub.close());
    hub.setRepository('acme', 'app');
    const logs: string[] = [];
    const states: string[] = [];
    const client = new DockerHubClient({
      config: hubConfig(hub.url),
      logger: createLogger('debug', { write: (l: string) => void logs.push(l) }),
      observer: { circuitState: (e) => states.push(`${e.host}:${e.state}`) },
      random: () => 0,
    });
    cleanups.push(() => client.close());
    const reset = hub.inject(hubPaths.api, faults.reset(), { times: Infinity });

    const first = await client.getRepository('acme', 'app').catch((e: unknown) => e);
    assert.ok(first instanceof HubNetworkError, String(first));
    assert.equal(hub.countRequests(), 3, 'three attempts: the third failure opened the breaker');
    assert.equal(client.circuit().state, 'OPEN');

    const started = Date.now();
    const skipped = await client.getRepository('acme', 'app').catch((e: unknown) => e);
    assert.ok(skipped instanceof HubUnreachableError, String(skipped));
    assert.match(skipped.message, /^Docker Hub unreachable since \d{4}-\d\d-\d\dT[\d:.]+Z, skipped \(127\.0\.0\.1:\d+; last failure: /);
    assert.ok(Date.now() - started < 50, 'failed at once');
    assert.equal(hub.countRequests(), 3, 'nothing was sent while open');

    // An HTTP answer (even 404) is not a connection failure: the probe closes the breaker.
    reset.remove();
    await new Promise((r) => setTimeout(r, 320));
    assert.equal(client.circuit().state, 'HALF_OPEN');
    const probe = await client.getRepository('acme', 'missing').catch((e: unknown) => e);
    assert.ok(probe instanceof HubNotFoundError, String(probe));
    assert.equal(client.circuit().state, 'CLOSED');
    assert.equal((await client.getRepository('acme', 'app')).repository, 'app');

    const port = new URL(hub.url).host;
    assert.deepEqual(states, [`${port}:OPEN`, `${port}:HALF_OPEN`, `${port}:CLOSED`]);
    const warnings = logs.map((l) => JSON.parse(l)).filter((l) => l.level === 40 && /circuit breaker/.test(l.msg));
    assert.equal(warnings.length, 2, 'one warning when it opened, one when it closed');
  });

  it('signed in: a sign-in refused by the open breaker is "unreachable", not an authentication error', async () => {
    const creds = { username: 'robot', token: 'dckr_pat_breaker-0123456789' };
    const hub = await FakeDockerHub.start({ credentials: creds });
    cleanups.push(() => hub.close());
    hub.setRepository('acme', 'app');
    const client = new DockerHubClient({ config: hubConfig(hub.url, { ...creds, maxAttempts: 5 }), logger: createLogger('silent'), random: () => 0 });
    cleanups.push(() => client.close());
    hub.inject(hubPaths.auth, faults.reset(), { times: Infinity });
    await client.getRepository('acme', 'app').catch(() => undefined);
    assert.equal(client.circuit().state, 'OPEN');
    const e = await client.getRepository('acme', 'app').catch((err: unknown) => err);
    assert.ok(e instanceof HubUnreachableError, String(e));
    assert.equal(hub.countRequests(), 3);
  });

  it('HTTP errors (404, 500) never open it', async () => {
    const hub = await FakeDockerHub.start();
    cleanups.push(() => hub.close());
    const client = new DockerHubClient({ config: hubConfig(hub.url, { maxAttempts: 1 }), logger: createLogger('silent'), random: () => 0 });
    cleanups.push(() => client.close());
    hub.inject(hubPaths.api, faults.status(500), { times: 5 });
    for (let i = 0; i < 10; i++) await client.getRepository('acme', 'nope').catch(() => undefined);
    assert.equal(client.circuit().state, 'CLOSED');
    assert.equal(hub.countRequests(), 10);
  });
});

describe('configuration of deadlines, breaker and backoff', () => {
  it('defaults, and bad values named', () => {
    const c = loadConfig({});
    assert.deepEqual(
      [c.dockerHub.requestDeadlineMs, c.dockerHub.circuitThreshold, c.dockerHub.circuitCooldownMs, c.scraper.imageDeadlineMs, c.scraper.failureBackoffMs],
      [120_000, 5, 30_000, 600_000, 60_000],
    );
    const tuned = loadConfig({ DOCKER_HUB_REQUEST_DEADLINE: '5s', DOCKER_HUB_CIRCUIT_THRESHOLD: '2', DOCKER_HUB_CIRCUIT_COOLDOWN: '1m', DOCKER_SCRAPER_IMAGE_DEADLINE: '90s', DOCKER_SCRAPER_FAILURE_BACKOFF: '10s' });
    assert.deepEqual(
      [tuned.dockerHub.requestDeadlineMs, tuned.dockerHub.circuitThreshold, tuned.dockerHub.circuitCooldownMs, tuned.scraper.imageDeadlineMs, tuned.scraper.failureBackoffMs],
      [5_000, 2, 60_000, 90_000, 10_000],
    );
    assert.throws(
      () => loadConfig({ DOCKER_HUB_CIRCUIT_THRESHOLD: '0', DOCKER_HUB_REQUEST_DEADLINE: 'soon', DOCKER_SCRAPER_FAILURE_BACKOFF: '10ms' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        ['DOCKER_HUB_CIRCUIT_THRESHOLD', 'DOCKER_HUB_REQUEST_DEADLINE', 'DOCKER_SCRAPER_FAILURE_BACKOFF'].every((v) => e.problems.some((p) => p.variable === v)),
    );
  });
});
