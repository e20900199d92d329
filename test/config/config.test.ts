import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, ConfigProblem, loadConfig } from '../../src/config/config';
import { DEFAULT_IMAGES } from '../../src/config/default-images';
import { formatDuration, parseDuration } from '../../src/config/duration';
import {
  canonicalName,
  dockerRef,
  ImageNameError,
  parseImageName,
  parseImageNames,
} from '../../src/shared/image-name';

/** The Go scraper's `defaultImages`, in its order (duplicate `neo4j` and misspellings included). */
const GO_DEFAULT_IMAGES = [
  'ubuntu', 'debian', 'alpine', 'python', 'golang', 'node', 'nginx', 'postgres', 'redis', 'mysql', 'redmine', 'ruby',
  'rabbitmq', 'nextcloud', 'php', 'wordpress', 'fluentd', 'gradle', 'mongo', 'clickhouse', 'mariadb', 'eclipse-temurin',
  'sonarqube', 'neo4j', 'rust', 'oraclelinux', 'openjdk', 'traefik', 'ghost', 'docker', 'websphere-liberty',
  'open-liberty', 'storm', 'swift', 'rocket.chat', 'odoo', 'busybox', 'nats', 'mageia', 'tomcat', 'perl', 'xwiki',
  'cassandra', 'varnish', 'ibm-semeru-runtimes', 'archlinux', 'clojure', 'maven', 'buildpack-deps', 'solr', 'groovy',
  'phpmyadmin', 'hylang', 'joomla', 'matomo', 'drupal', 'yourls', 'haproxy', 'elixir', 'geonetwork', 'convertigo',
  'erlang', 'azul-zulu', 'kibana', 'percona', 'logstash', 'elasticsearch', 'krakend', 'postfixadmin', 'monica',
  'friendica', 'sapmachine', 'dart', 'spiped', 'amazoncorreto', 'zookeeper', 'julia', 'gcc', 'ibmjava', 'mediawiki',
  'couchbase', 'jetty', 'sparl', 'tomee', 'kapacitor', 'ros', 'silverpeas', 'jruby', 'neurodebian', 'flink', 'pypy',
  'orientdb', 'liquidbase', 'haxe', 'r-base', 'lighstreamer', 'kong', 'aerospike', 'influxdb', 'irssi', 'rakudo-star',
  'satosa', 'rethinkdb', 'chronograf', 'memcached', 'backdrop', 'telegraf', 'httpd', 'haskell', 'emqx', 'swipl',
  'couchdb', 'hitch', 'composer', 'adminer', 'amazonlinux', 'bash', 'caddy', 'arangodb', 'bonita', 'photon',
  'almalinux', 'teamspeak', 'fedora', 'eclipse-mosquitto', 'registry', 'eggdrop', 'znc', 'api-firewall', 'alt', 'unit',
  'clearlinux', 'gazebo', 'mongo-express', 'plone', 'cirros', 'mono', 'nats-streaming', 'sl', 'rockylinux', 'notary',
  'vault', 'jobber', 'consul', 'php-zendserver', 'centos', 'express-gateway', 'clefos', 'adoptopenjdk', 'thrift',
  'rapidoid', 'kaazing-gateway', 'nuxeo', 'neo4j', 'fsharp', 'sourcemage', 'swarm', 'euleros', 'crux', 'sentry',
  'known', 'opensuse', 'owncloud', 'piwik', 'jenkins', 'celery', 'iojs', 'java', 'rails', 'django', 'glassfish',
  'hipache', 'ubuntu-upstart', 'ubuntu-debootstrap', 'docker-dev', 'scratch',
];

/** The problems a bad environment produces (fails when it loads). */
function problemsOf(env: Record<string, string>): ConfigProblem[] {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return [...e.problems];
  }
  return assert.fail(`expected ${JSON.stringify(env)} to be refused`);
}

/** Asserts that `env` is refused with exactly one problem, about `variable`, echoing `value` and saying what is accepted. */
function assertRefused(env: Record<string, string>, variable: string, value: string, expected: RegExp): ConfigError {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError, `expected ${JSON.stringify(env)} to be refused with a ConfigError`);
  assert.equal(error.problems.length, 1, `one problem: ${error.message}`);
  const [p] = error.problems;
  assert.equal(p.variable, variable);
  assert.equal(p.value, value);
  assert.match(p.expected, expected);
  // The message a person reads holds all three.
  assert.ok(error.message.includes(variable), error.message);
  assert.ok(error.message.includes(JSON.stringify(value)), error.message);
  assert.ok(error.message.includes(p.expected), error.message);
  assert.doesNotMatch(error.message, /\n/, 'one problem is one line');
  return error;
}

describe('loadConfig: defaults', () => {
  test('an empty environment gives every documented default', () => {
    const c = loadConfig({});
    assert.equal(c.port, 4000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.production, false);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.databasePoolSize, 12, 'twice the default concurrency (4), plus 4');
    assert.equal(c.dataDir, path.resolve('./.data'));
    assert.equal(c.adminToken, undefined);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.dockerHub.url, 'https://hub.docker.com');
    assert.equal(c.dockerHub.username, undefined);
    assert.equal(c.dockerHub.token, undefined);
    assert.equal(c.dockerHub.timeoutMs, 30_000);
    assert.equal(c.dockerHub.maxAttempts, 5);
    assert.equal(c.dockerHub.maxBodyBytes, 10 * 1024 * 1024);
    assert.match(c.dockerHub.userAgent, /^catalog-sync\/\d+\.\d+\.\d+ /);
    assert.equal(c.scraper.enabled, true);
    assert.equal(c.scraper.imagesSource, 'DEFAULT');
    assert.equal(c.scraper.images.length, 175);
    assert.equal(c.scraper.maxTags, 10);
    assert.equal(c.scraper.intervalMs, 24 * 3_600_000);
    assert.equal(c.scraper.concurrency, 4);
    assert.equal(c.scraper.onStartup, 'due');
    assert.equal(c.scraper.leaseMs, 30_000);
    assert.equal(c.scraper.heartbeatMs, 10_000);
    assert.equal(c.scraper.pollMs, 5_000);
    assert.equal(c.scraper.shutdownGraceMs, 10_000);
    assert.deepEqual(c.graphql, {
      maxDepth: 10,
      maxCost: 10_000,
      maxAliases: 50,
      maxRootFields: 50,
      maxBatch: 10,
      maxBodyBytes: 1024 * 1024,
      maxTokens: 2_000,
      maxParseDepth: 40,
      maxConcurrent: 64,
      introspection: true,
      landingPage: true,
      sandboxTelemetry: false,
      apqCacheBytes: 8 * 1024 * 1024,
      getMaxAgeSeconds: 5,
      compiledReads: true,
    });
  });

  test('empty and blank variables count as unset', () => {
    const c = loadConfig({ PORT: '', DOCKER_SCRAPER_MAX_TAGS: '   ', DOCKER_SCRAPER_IMAGES: '', DATABASE_URL: '', LOG_LEVEL: ' ' });
    assert.equal(c.port, 4000);
    assert.equal(c.scraper.maxTags, 10);
    assert.equal(c.scraper.imagesSource, 'DEFAULT');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.logLevel, 'info');
  });

  test('the configuration is frozen', () => {
    const c = loadConfig({});
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.scraper));
    assert.ok(Object.isFrozen(c.scraper.images));
    assert.throws(() => {
      (c.scraper as { maxTags: number }).maxTags = 3;
    }, TypeError);
  });
});

describe('the default image list', () => {
  test('is the Go list in its order, without the duplicate, with the three misspellings corrected', () => {
    const fixes: Record<string, string> = { amazoncorreto: 'amazoncorretto', liquidbase: 'liquibase', lighstreamer: 'lightstreamer' };
    const expected: string[] = [];
    for (const n of GO_DEFAULT_IMAGES.map((n) => fixes[n] ?? n)) if (!expected.includes(n)) expected.push(n);
    assert.equal(expected.length, 175);
    assert.deepEqual([...DEFAULT_IMAGES], expected);

    const names = loadConfig({}).scraper.images.map((i) => i.name);
    assert.deepEqual(names, expected);
    assert.equal(new Set(names).size, 175, 'no duplicate');
    assert.equal(names.filter((n) => n === 'neo4j').length, 1);
    assert.equal(names.indexOf('neo4j'), 23, 'neo4j keeps its first place');
    for (const fixed of ['amazoncorretto', 'liquibase', 'lightstreamer']) assert.ok(names.includes(fixed), fixed);
    for (const typo of ['amazoncorreto', 'liquidbase', 'lighstreamer']) assert.ok(!names.includes(typo), typo);
    assert.ok(names.includes('sparl'), 'sparl stays (it does not exist upstream; scrapes record NOT_FOUND)');
    assert.equal(names.at(-1), 'scratch', 'scratch stays, last');
    assert.deepEqual(names.slice(0, 3), ['ubuntu', 'debian', 'alpine']);
  });

  test('every default image is an official image with a valid name', () => {
    for (const image of loadConfig({}).scraper.images) {
      assert.equal(image.namespace, 'library', image.name);
      assert.equal(image.repository, image.name);
    }
  });
});

describe('loadConfig: valid values', () => {
  test('server, database, token and logging', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://user:pw@db.example:5433/catalog',
      DATABASE_POOL_SIZE: '25',
      CATALOG_DATA_DIR: '/var/lib/catalog',
      CATALOG_ADMIN_TOKEN: 'a-secret-of-sufficient-length',
      LOG_LEVEL: 'debug',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, 'postgres://user:pw@db.example:5433/catalog');
    assert.equal(c.databasePoolSize, 25);
    assert.equal(c.dataDir, '/var/lib/catalog');
    assert.equal(c.adminToken, 'a-secret-of-sufficient-length');
    assert.equal(c.logLevel, 'debug');
    assert.equal(loadConfig({ PORT: '0' }).port, 0, 'PORT=0: any free port');
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://localhost/x' }).databaseUrl, 'postgresql://localhost/x');
    assert.equal(loadConfig({ CATALOG_DATA_DIR: 'rel/dir' }).dataDir, path.resolve('rel/dir'));
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level);
    }
  });

  test('Docker Hub: URL (trailing slash dropped), username with token', () => {
    const c = loadConfig({ DOCKER_HUB_URL: 'http://127.0.0.1:9999/', DOCKER_HUB_USERNAME: 'me', DOCKER_HUB_TOKEN: 'dckr_pat_x' });
    assert.equal(c.dockerHub.url, 'http://127.0.0.1:9999');
    assert.equal(c.dockerHub.username, 'me');
    assert.equal(c.dockerHub.token, 'dckr_pat_x');
    assert.equal(loadConfig({ DOCKER_HUB_URL: 'https://mirror.example/hub' }).dockerHub.url, 'https://mirror.example/hub');
    const tuned = loadConfig({
      DOCKER_HUB_TIMEOUT: '5s',
      DOCKER_HUB_MAX_ATTEMPTS: '3',
      DOCKER_HUB_RETRY_BASE: '100ms',
      DOCKER_HUB_RETRY_MAX: '2s',
      DOCKER_HUB_MAX_RATE_LIMIT_WAIT: '1m',
      DOCKER_HUB_MAX_BODY_BYTES: '2048',
    }).dockerHub;
    assert.equal(tuned.timeoutMs, 5_000);
    assert.equal(tuned.maxAttempts, 3);
    assert.equal(tuned.retryBaseMs, 100);
    assert.equal(tuned.retryMaxMs, 2_000);
    assert.equal(tuned.maxRateLimitWaitMs, 60_000);
    assert.equal(tuned.maxBodyBytes, 2048);
  });

  test('DOCKER_SCRAPER_ENABLED accepts true/false/1/0 in any case', () => {
    for (const [raw, value] of [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['false', false],
      ['False', false],
      ['0', false],
    ] as const) {
      assert.equal(loadConfig({ DOCKER_SCRAPER_ENABLED: raw }).scraper.enabled, value, raw);
    }
  });

  test('DOCKER_SCRAPER_IMAGES: both forms, white space, empty entries, order, merging', () => {
    const c = loadConfig({ DOCKER_SCRAPER_IMAGES: ' nginx , bitnami/redis,,library/postgres,' });
    assert.equal(c.scraper.imagesSource, 'CONFIG');
    assert.deepEqual(c.scraper.images, [
      { registry: 'docker.io', path: 'library/nginx', namespace: 'library', repository: 'nginx', name: 'nginx' },
      { registry: 'docker.io', path: 'bitnami/redis', namespace: 'bitnami', repository: 'redis', name: 'bitnami/redis' },
      { registry: 'docker.io', path: 'library/postgres', namespace: 'library', repository: 'postgres', name: 'postgres' },
    ]);
    const merged = loadConfig({ DOCKER_SCRAPER_IMAGES: 'nginx,library/nginx,redis,nginx' }).scraper.images;
    assert.deepEqual(
      merged.map((i) => i.name),
      ['nginx', 'redis'],
      '`nginx` and `library/nginx` are one image; the first place counts',
    );
  });

  test('DOCKER_SCRAPER_MAX_TAGS, CONCURRENCY and ON_STARTUP', () => {
    assert.equal(loadConfig({ DOCKER_SCRAPER_MAX_TAGS: '1' }).scraper.maxTags, 1);
    assert.equal(loadConfig({ DOCKER_SCRAPER_MAX_TAGS: '250' }).scraper.maxTags, 250);
    assert.equal(loadConfig({ DOCKER_SCRAPER_MAX_TAGS: '10000' }).scraper.maxTags, 10_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_CONCURRENCY: '16' }).scraper.concurrency, 16);
    assert.equal(loadConfig({ DOCKER_SCRAPER_ON_STARTUP: 'always' }).scraper.onStartup, 'always');
    assert.equal(loadConfig({ DOCKER_SCRAPER_ON_STARTUP: 'due' }).scraper.onStartup, 'due');
  });

  test('interval: hours, a duration, and the duration wins over hours', () => {
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL_H: '6' }).scraper.intervalMs, 6 * 3_600_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL: '90s' }).scraper.intervalMs, 90_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL: '15m' }).scraper.intervalMs, 900_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL: '2h' }).scraper.intervalMs, 7_200_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL: '1h30m' }).scraper.intervalMs, 5_400_000);
    assert.equal(loadConfig({ DOCKER_SCRAPER_INTERVAL: '15m', DOCKER_SCRAPER_INTERVAL_H: '6' }).scraper.intervalMs, 900_000);
  });

  test('lease, heartbeat, poll, shutdown grace', () => {
    const s = loadConfig({ DOCKER_SCRAPER_LEASE: '9s' }).scraper;
    assert.equal(s.leaseMs, 9_000);
    assert.equal(s.heartbeatMs, 3_000, 'the heartbeat defaults to a third of the lease');
    const t = loadConfig({
      DOCKER_SCRAPER_LEASE: '10s',
      DOCKER_SCRAPER_HEARTBEAT: '2s',
      DOCKER_SCRAPER_POLL: '250ms',
      SHUTDOWN_GRACE: '3s',
    }).scraper;
    assert.deepEqual([t.leaseMs, t.heartbeatMs, t.pollMs, t.shutdownGraceMs], [10_000, 2_000, 250, 3_000]);
  });

  test('GraphQL limits, and production turns introspection and Sandbox off by default', () => {
    const g = loadConfig({
      GRAPHQL_MAX_DEPTH: '5',
      GRAPHQL_MAX_COST: '500',
      GRAPHQL_MAX_ALIASES: '7',
      GRAPHQL_MAX_ROOT_FIELDS: '8',
      GRAPHQL_MAX_BATCH: '2',
      GRAPHQL_MAX_BODY_BYTES: '4096',
    }).graphql;
    assert.deepEqual(
      [g.maxDepth, g.maxCost, g.maxAliases, g.maxRootFields, g.maxBatch, g.maxBodyBytes],
      [5, 500, 7, 8, 2, 4096],
    );
    const apq = loadConfig({ GRAPHQL_APQ_CACHE_BYTES: '0', GRAPHQL_GET_MAX_AGE: '60' }).graphql;
    assert.deepEqual([apq.apqCacheBytes, apq.getMaxAgeSeconds], [0, 60]);
    assert.throws(() => loadConfig({ GRAPHQL_GET_MAX_AGE: '-1' }), /GRAPHQL_GET_MAX_AGE/);
    assert.throws(() => loadConfig({ GRAPHQL_APQ_CACHE_BYTES: 'lots' }), /GRAPHQL_APQ_CACHE_BYTES/);
    const prod = loadConfig({ NODE_ENV: 'production' });
    assert.equal(prod.production, true);
    assert.equal(prod.graphql.introspection, false);
    assert.equal(prod.graphql.landingPage, false);
    const prodOn = loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_SANDBOX: 'true' });
    assert.equal(prodOn.graphql.introspection, true);
    assert.equal(prodOn.graphql.landingPage, true);
    const devOff = loadConfig({ GRAPHQL_INTROSPECTION: 'false', GRAPHQL_SANDBOX: '0' });
    assert.equal(devOff.graphql.introspection, false);
    assert.equal(devOff.graphql.landingPage, false);
    assert.equal(loadConfig({ GRAPHQL_SANDBOX_TELEMETRY: 'true' }).graphql.sandboxTelemetry, true);
    assert.equal(loadConfig({ GRAPHQL_COMPILED_READS: 'false' }).graphql.compiledReads, false);
    assert.throws(() => loadConfig({ GRAPHQL_COMPILED_READS: 'maybe' }), /GRAPHQL_COMPILED_READS/);
  });
});

describe('loadConfig: bad values name the variable, the value and what is accepted', () => {
  test('DOCKER_SCRAPER_MAX_TAGS', () => {
    assertRefused({ DOCKER_SCRAPER_MAX_TAGS: 'abc' }, 'DOCKER_SCRAPER_MAX_TAGS', 'abc', /whole number from 1 to 10000/);
    assertRefused({ DOCKER_SCRAPER_MAX_TAGS: '0' }, 'DOCKER_SCRAPER_MAX_TAGS', '0', /whole number from 1 to 10000/);
    assertRefused({ DOCKER_SCRAPER_MAX_TAGS: '-5' }, 'DOCKER_SCRAPER_MAX_TAGS', '-5', /whole number/);
    assertRefused({ DOCKER_SCRAPER_MAX_TAGS: '2.5' }, 'DOCKER_SCRAPER_MAX_TAGS', '2.5', /whole number/);
    assertRefused({ DOCKER_SCRAPER_MAX_TAGS: '10001' }, 'DOCKER_SCRAPER_MAX_TAGS', '10001', /from 1 to 10000/);
  });

  test('the message of a bad value reads as one line', () => {
    const e = assertRefused({ DOCKER_SCRAPER_MAX_TAGS: 'abc' }, 'DOCKER_SCRAPER_MAX_TAGS', 'abc', /whole number/);
    assert.equal(e.message, 'invalid configuration: DOCKER_SCRAPER_MAX_TAGS="abc": expected a whole number from 1 to 10000');
  });

  test('intervals', () => {
    assertRefused({ DOCKER_SCRAPER_INTERVAL: 'soon' }, 'DOCKER_SCRAPER_INTERVAL', 'soon', /duration.*90s, 15m, 2h/);
    assertRefused({ DOCKER_SCRAPER_INTERVAL: '15' }, 'DOCKER_SCRAPER_INTERVAL', '15', /duration/);
    assertRefused({ DOCKER_SCRAPER_INTERVAL: '500ms' }, 'DOCKER_SCRAPER_INTERVAL', '500ms', /at least 1s/);
    assertRefused({ DOCKER_SCRAPER_INTERVAL: '0s' }, 'DOCKER_SCRAPER_INTERVAL', '0s', /at least 1s/);
    assertRefused({ DOCKER_SCRAPER_INTERVAL_H: '0' }, 'DOCKER_SCRAPER_INTERVAL_H', '0', /whole number from 1 to 8760/);
    assertRefused({ DOCKER_SCRAPER_INTERVAL_H: '1.5' }, 'DOCKER_SCRAPER_INTERVAL_H', '1.5', /whole number/);
  });

  test('booleans and choices', () => {
    assertRefused({ DOCKER_SCRAPER_ENABLED: 'maybe' }, 'DOCKER_SCRAPER_ENABLED', 'maybe', /"true" or "false"/);
    assertRefused({ DOCKER_SCRAPER_ENABLED: 'yes' }, 'DOCKER_SCRAPER_ENABLED', 'yes', /"true" or "false"/);
    assertRefused({ DOCKER_SCRAPER_ON_STARTUP: 'sometimes' }, 'DOCKER_SCRAPER_ON_STARTUP', 'sometimes', /"due", "always"/);
    assertRefused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'loud', /"fatal", "error", "warn", "info", "debug", "trace", "silent"/);
    assertRefused({ GRAPHQL_INTROSPECTION: 'perhaps' }, 'GRAPHQL_INTROSPECTION', 'perhaps', /"true" or "false"/);
    assertRefused({ GRAPHQL_SANDBOX: 'on' }, 'GRAPHQL_SANDBOX', 'on', /"true" or "false"/);
  });

  test('numbers out of range', () => {
    assertRefused({ PORT: '70000' }, 'PORT', '70000', /whole number from 0 to 65535/);
    assertRefused({ PORT: 'http' }, 'PORT', 'http', /whole number from 0 to 65535/);
    assertRefused({ DATABASE_POOL_SIZE: '1' }, 'DATABASE_POOL_SIZE', '1', /from 2 to 400/);
    assertRefused({ DATABASE_POOL_SIZE: '12', DOCKER_SCRAPER_CONCURRENCY: '8' }, 'DATABASE_POOL_SIZE', '12', /at least 18 with DOCKER_SCRAPER_CONCURRENCY=8/);
    assertRefused({ DOCKER_SCRAPER_CONCURRENCY: '0' }, 'DOCKER_SCRAPER_CONCURRENCY', '0', /from 1 to 64/);
    assertRefused({ DOCKER_SCRAPER_CONCURRENCY: '65' }, 'DOCKER_SCRAPER_CONCURRENCY', '65', /from 1 to 64/);
    assertRefused({ DOCKER_HUB_MAX_ATTEMPTS: '0' }, 'DOCKER_HUB_MAX_ATTEMPTS', '0', /from 1 to 20/);
    assertRefused({ DOCKER_HUB_MAX_BODY_BYTES: '10' }, 'DOCKER_HUB_MAX_BODY_BYTES', '10', /from 1024/);
    assertRefused({ GRAPHQL_MAX_DEPTH: '1' }, 'GRAPHQL_MAX_DEPTH', '1', /from 2 to 100/);
    assertRefused({ GRAPHQL_MAX_BATCH: '0' }, 'GRAPHQL_MAX_BATCH', '0', /from 1 to 100/);
    assertRefused({ GRAPHQL_MAX_BODY_BYTES: 'lots' }, 'GRAPHQL_MAX_BODY_BYTES', 'lots', /whole number/);
    assertRefused({ DOCKER_HUB_TIMEOUT: '10' }, 'DOCKER_HUB_TIMEOUT', '10', /duration/);
    assertRefused({ DOCKER_SCRAPER_LEASE: '1s' }, 'DOCKER_SCRAPER_LEASE', '1s', /at least 2s/);
    assertRefused({ DOCKER_SCRAPER_POLL: 'often' }, 'DOCKER_SCRAPER_POLL', 'often', /duration/);
    assertRefused({ SHUTDOWN_GRACE: 'soon' }, 'SHUTDOWN_GRACE', 'soon', /duration/);
  });

  test('a heartbeat not shorter than the lease', () => {
    assertRefused(
      { DOCKER_SCRAPER_LEASE: '10s', DOCKER_SCRAPER_HEARTBEAT: '10s' },
      'DOCKER_SCRAPER_HEARTBEAT',
      '10s',
      /shorter than the lease \(10s\)/,
    );
  });

  test('DATABASE_URL: malformed values are refused without echoing the password', () => {
    for (const [raw, shown] of [
      ['mysql://app:hunter2secret@db/catalog', 'mysql://app:***@db/catalog'],
      ['postgres//app:hunter2secret@db/catalog', 'postgres//app:***@db/catalog'],
      ['app:hunter2secret@db/catalog', 'app:***@db/catalog'],
      ['postgres://app:hunter2/secret@db/catalog', 'postgres://app:***@db/catalog'],
      ['postgres://app:hunter2secret@:5432/catalog', 'postgres://app:***@:5432/catalog'],
      ['postgres://db:port/catalog?password=hunter2secret', 'postgres://db:port/catalog?password=***'],
      ['not a url', 'not a url'],
    ]) {
      const e = assertRefused({ DATABASE_URL: raw }, 'DATABASE_URL', shown, /PostgreSQL URL such as postgres:\/\//);
      assert.doesNotMatch(e.message, /hunter2/, `the password of ${raw} is not echoed`);
      assert.doesNotMatch(JSON.stringify(e.problems), /hunter2/);
    }
  });

  test('DOCKER_SCRAPER_IMAGES: names that break Docker naming rules', () => {
    for (const [raw, reason] of [
      ['nginx,Nginx', /"Nginx": it must be lowercase/],
      ['nginx:1.27', /"nginx:1.27": give the repository only, without a tag/],
      ['nginx@sha256:abc', /without a tag or digest/],
      ['docker.io/library/x/nginx', /"docker.io\/library\/x\/nginx": .*at most one "\/"/],
      ['ng!nx', /"ng!nx": "ng!nx" must be lowercase letters and digits/],
      ['-nginx', /must start and end with a letter or digit/],
      ['org/', /the repository must be 1 to 255 characters/],
      ['x/nginx', /the namespace must be 2 to 255 characters/],
      [',,', /at least one image name/],
    ] as const) {
      const e = assertRefused({ DOCKER_SCRAPER_IMAGES: raw }, 'DOCKER_SCRAPER_IMAGES', raw, reason);
      if (raw !== ',,') assert.match(e.message, /comma-separated list of image names \("name" or "org\/name" on Docker Hub, "host\/path" on another registry\)/);
    }
  });

  test('DOCKER_SCRAPER_IMAGES: each bad name is reported', () => {
    const problems = problemsOf({ DOCKER_SCRAPER_IMAGES: 'nginx,Redis,a/b/c,bitnami/redis' });
    assert.equal(problems.length, 2);
    assert.ok(problems.every((p) => p.variable === 'DOCKER_SCRAPER_IMAGES'));
    assert.match(problems[0].expected, /"Redis"/);
    assert.match(problems[1].expected, /"a\/b\/c"/);
  });

  test('Docker Hub URL and credentials', () => {
    assertRefused({ DOCKER_HUB_URL: 'hub.docker.com' }, 'DOCKER_HUB_URL', 'hub.docker.com', /http:\/\/ or https:\/\/ base URL/);
    assertRefused({ DOCKER_HUB_URL: 'ftp://hub.docker.com' }, 'DOCKER_HUB_URL', 'ftp://hub.docker.com', /http:\/\/ or https:\/\//);
    assertRefused({ DOCKER_HUB_URL: 'https://hub.docker.com/?x=1' }, 'DOCKER_HUB_URL', 'https://hub.docker.com/?x=1', /base URL/);
    assertRefused({ DOCKER_HUB_USERNAME: 'me' }, 'DOCKER_HUB_TOKEN', '', /set together with DOCKER_HUB_USERNAME/);
    assertRefused({ DOCKER_HUB_TOKEN: 'dckr_pat_x' }, 'DOCKER_HUB_USERNAME', '', /set together with DOCKER_HUB_TOKEN/);
  });

  test('a short admin token is refused without echoing it', () => {
    const e = assertRefused({ CATALOG_ADMIN_TOKEN: 'short-secret' }, 'CATALOG_ADMIN_TOKEN', '<hidden>', /at least 16 characters/);
    assert.doesNotMatch(e.message, /short-secret/);
    assertRefused({ CATALOG_ADMIN_TOKEN: 'has white space inside it' }, 'CATALOG_ADMIN_TOKEN', '<hidden>', /without white space/);
  });

  test('several bad values are reported together, one line each', () => {
    let error: unknown;
    try {
      loadConfig({
        DOCKER_SCRAPER_MAX_TAGS: 'abc',
        DOCKER_SCRAPER_INTERVAL: 'soon',
        DOCKER_SCRAPER_ENABLED: 'maybe',
        DOCKER_SCRAPER_ON_STARTUP: 'sometimes',
        LOG_LEVEL: 'loud',
        PORT: '70000',
        DOCKER_SCRAPER_IMAGES: 'Nginx',
        DATABASE_URL: 'mysql://u:pw-secret@h/d',
        DOCKER_HUB_USERNAME: 'me',
      });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.variable).sort(), [
      'DATABASE_URL',
      'DOCKER_HUB_TOKEN',
      'DOCKER_SCRAPER_ENABLED',
      'DOCKER_SCRAPER_IMAGES',
      'DOCKER_SCRAPER_INTERVAL',
      'DOCKER_SCRAPER_MAX_TAGS',
      'DOCKER_SCRAPER_ON_STARTUP',
      'LOG_LEVEL',
      'PORT',
    ]);
    const lines = error.message.split('\n');
    assert.equal(lines.length, 9);
    for (const line of lines) assert.match(line, /^invalid configuration: [A-Z_]+=".*": expected .+/);
    assert.doesNotMatch(error.message, /pw-secret/);
  });
});

describe('durations', () => {
  test('parseDuration reads units and their sums', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1m30s250ms'), 90_250);
    assert.equal(parseDuration(' 2h '), 7_200_000);
    assert.equal(parseDuration('0s'), 0);
  });

  test('parseDuration refuses everything else', () => {
    for (const bad of ['', 'soon', '15', 'h', '1.5h', '-1h', '2H', '1 h', '1y', '1h 30m', '99999999999999999999d']) {
      assert.equal(parseDuration(bad), undefined, JSON.stringify(bad));
    }
  });

  test('formatDuration prints what parseDuration reads back', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(500), '500ms');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(86_400_000), '24h');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(1_500), '1s500ms');
    for (const ms of [1, 999, 1_000, 61_001, 3_600_000, 90_061_001, 7 * 86_400_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, `round trip of ${ms}`);
    }
  });
});

describe('image names', () => {
  test('official images, org images and white space', () => {
    const hub = (namespace: string, repository: string, name: string) => ({ registry: 'docker.io', path: `${namespace}/${repository}`, namespace, repository, name });
    assert.deepEqual(parseImageName('nginx'), hub('library', 'nginx', 'nginx'));
    assert.deepEqual(parseImageName('library/nginx'), hub('library', 'nginx', 'nginx'));
    assert.deepEqual(parseImageName(' bitnami/redis\t'), hub('bitnami', 'redis', 'bitnami/redis'));
    // Docker Hub spelled out is Docker Hub.
    assert.deepEqual(parseImageName('docker.io/library/nginx'), hub('library', 'nginx', 'nginx'));
    assert.deepEqual(parseImageName('index.docker.io/bitnami/redis'), hub('bitnami', 'redis', 'bitnami/redis'));
    assert.deepEqual(parseImageName('docker.io/nginx'), hub('library', 'nginx', 'nginx'));
    assert.equal(parseImageName('rocket.chat').name, 'rocket.chat');
    assert.equal(parseImageName('my-org/my_app__v2.x').name, 'my-org/my_app__v2.x');
    assert.equal(parseImageName('a--b').name, 'a--b');
    assert.equal(parseImageName('r-base').repository, 'r-base');
  });

  test('names breaking Docker naming rules are refused with the reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['   ', /empty/],
      ['Nginx', /lowercase/],
      ['bitnami/Redis', /lowercase/],
      ['nginx:latest', /without a tag or digest/],
      ['nginx@sha256:0123', /without a tag or digest/],
      ['docker.io/library/x/nginx', /at most one "\/"/],
      ['ghcr.io/', /empty path component/],
      ['ghcr.io/Org/app', /lowercase/],
      ['bad_host.io/app', /not a registry host name/],
      ['localhost:99999/app', /port 99999 is out of range/],
      ['https://ghcr.io/org/app', /without a scheme/],
      ['a/b/c', /at most one "\/"/],
      ['x/nginx', /namespace must be 2 to 255/],
      ['bitnami/', /repository must be 1 to 255/],
      ['/nginx', /namespace must be 2 to 255/],
      ['ng!nx', /must be lowercase letters and digits/],
      ['ngi nx', /must be lowercase letters and digits/],
      ['_nginx', /start and end with a letter or digit/],
      ['nginx.', /start and end with a letter or digit/],
      ['ngi___nx', /separated by/],
      ['ngi..nx', /separated by/],
      [`org/${'a'.repeat(256)}`, /repository must be 1 to 255/],
    ];
    for (const [raw, reason] of cases) {
      assert.throws(
        () => parseImageName(raw),
        (e: unknown) => e instanceof ImageNameError && e.input === raw && reason.test(e.reason) && e.message.includes(e.reason),
        JSON.stringify(raw),
      );
    }
  });

  test('names with a registry host: ghcr.io, quay.io, host:port, localhost', () => {
    assert.deepEqual(parseImageName('ghcr.io/acme/app'), { registry: 'ghcr.io', path: 'acme/app', namespace: 'acme', repository: 'app', name: 'ghcr.io/acme/app' });
    assert.deepEqual(parseImageName('registry.example.com:5000/team/sub/app'), {
      registry: 'registry.example.com:5000', path: 'team/sub/app', namespace: 'team/sub', repository: 'app', name: 'registry.example.com:5000/team/sub/app',
    });
    assert.deepEqual(parseImageName('localhost/tool'), { registry: 'localhost', path: 'tool', namespace: '', repository: 'tool', name: 'localhost/tool' });
    assert.equal(parseImageName('127.0.0.1:5000/team/tool').registry, '127.0.0.1:5000');
    assert.equal(parseImageName('Quay.IO/org/name').name, 'quay.io/org/name');
    assert.equal(parseImageName('[::1]:5000/app').registry, '[::1]:5000');
    // `a.b/c` is a host; `ab/c` is a Docker Hub org.
    assert.equal(parseImageName('rocket.chat/app').registry, 'rocket.chat');
    assert.equal(parseImageName('acme/app').registry, 'docker.io');
    assert.equal(dockerRef(parseImageName('ghcr.io/acme/app'), 'v1'), 'ghcr.io/acme/app:v1');
  });

  test('canonical names, refs and list merging', () => {
    assert.equal(canonicalName('library', 'nginx'), 'nginx');
    assert.equal(canonicalName('bitnami', 'redis'), 'bitnami/redis');
    assert.equal(dockerRef(parseImageName('library/nginx'), '1.27'), 'docker.io/nginx:1.27');
    assert.equal(dockerRef(parseImageName('bitnami/redis'), '7.4'), 'docker.io/bitnami/redis:7.4');
    assert.deepEqual(
      parseImageNames(['nginx', 'bitnami/redis', 'library/nginx', 'redis', 'bitnami/redis']).map((i) => i.name),
      ['nginx', 'bitnami/redis', 'redis'],
    );
    assert.throws(() => parseImageNames(['nginx', 'Bad']), ImageNameError);
  });
});

describe('the process', () => {
  test('a bad value stops `node dist/src/main.js` at once with one clear line on stderr', async () => {
    const main = path.resolve(__dirname, '..', '..', 'src', 'main.js');
    const started = Date.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? '', DOCKER_SCRAPER_MAX_TAGS: 'abc', DOCKER_HUB_URL: 'http://127.0.0.1:9', PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('error', reject);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
    });
    const ms = Date.now() - started;
    assert.notEqual(code, 0);
    assert.notEqual(code, null, 'it exits by itself');
    assert.ok(ms < 10_000, `it exits quickly (took ${ms} ms)`);
    const lines = stderr.trim().split('\n');
    assert.deepEqual(lines, ['invalid configuration: DOCKER_SCRAPER_MAX_TAGS="abc": expected a whole number from 1 to 10000']);
    assert.doesNotMatch(stderr, /\s+at\s/, 'no stack trace');
    assert.equal(stdout, '', 'nothing started, nothing logged');
  });
});
