import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImageNameError, parseImageName } from '../../src/shared/image-name';
import { decodeCursor, encodeCursor } from '../../src/graphql/connection';
import { DomainError } from '../../src/graphql/errors';
import { stringProblem } from '../../src/graphql/input-guard';
import { sourceNesting } from '../../src/graphql/limits';
import { ConfigError, loadConfig } from '../../src/config/config';
import { formatDuration, parseDuration } from '../../src/config/duration';
import { extractLogoUrl } from '../../src/scraping/sync/hub-mapping';

/**
 * Issue 9, hostile input: property tests. Seeded and bounded for CI; FUZZ_RUNS (runs per
 * property, default 300) and FUZZ_SEED (default 9) make a long run: `FUZZ_RUNS=100000 npm run test:faults`.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 9);
const params = { numRuns: RUNS, seed: SEED };

/** Characters that matter to the parsers under test, and a few that break text. */
const hostileChar = fc.constantFrom('a', 'Z', '0', '/', ':', '@', '.', '_', '-', ' ', '\t', '\n', '\u0000', '\uD800', '\uDC00', '🐳', 'é', "'", '"', '%', '\\');
const hostileString = fc.oneof(fc.string({ unit: hostileChar, maxLength: 40 }), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,3}$/);

describe('properties: image names', () => {
  test('any string is either a valid canonical name or an ImageNameError, never anything else', () => {
    fc.assert(
      fc.property(hostileString, (raw) => {
        let image;
        try {
          image = parseImageName(raw);
        } catch (e) {
          assert.ok(e instanceof ImageNameError, String(e));
          return;
        }
        assert.ok(COMPONENT.test(image.namespace) && COMPONENT.test(image.repository), JSON.stringify(image));
        assert.equal(stringProblem(image.name), undefined);
        assert.doesNotMatch(image.name, /[A-Z:@\s]/);
        // Canonical: parsing the name again gives the same image.
        assert.deepEqual(parseImageName(image.name), image);
      }),
      params,
    );
  });

  test('names built from the grammar are accepted, `library/x` and `x` are one image', () => {
    fc.assert(
      // A first component with a dot (or `localhost`) names a registry host, not a Docker Hub namespace.
      fc.property(component.filter((c) => c.length >= 2 && !c.includes('.') && c !== 'localhost'), component, (ns, repo) => {
        const image = parseImageName(`${ns}/${repo}`);
        assert.equal(image.repository, repo);
        if (ns === 'library') assert.equal(image.name, repo);
        else assert.equal(image.name, `${ns}/${repo}`);
        assert.deepEqual(parseImageName(`library/${repo}`), parseImageName(repo));
      }),
      params,
    );
  });

  test('a 1 MB name is refused at once', () => {
    for (const raw of ['a'.repeat(1_000_000), `${'a-'.repeat(500_000)}!`, `org/${'a_'.repeat(500_000)}`]) {
      const t = performance.now();
      assert.throws(() => parseImageName(raw), ImageNameError);
      assert.ok(performance.now() - t < 200);
    }
  });
});

describe('properties: cursors', () => {
  test('any string given as a cursor decodes or is BAD_USER_INPUT, never another error', () => {
    const base64ish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/'.split('')), maxLength: 80 });
    const forged = fc
      .tuple(fc.oneof(fc.constant('resources:name:asc'), hostileString), fc.oneof(hostileString, fc.constant(null), fc.integer()), fc.oneof(hostileString, fc.uuid()))
      .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url'));
    fc.assert(
      fc.property(fc.oneof(hostileString, base64ish, forged), (cursor) => {
        try {
          const k = decodeCursor('resources:name:asc', cursor);
          assert.equal(typeof k.id, 'string');
          assert.equal(stringProblem(k.id), undefined);
          if (k.key !== null) assert.equal(stringProblem(k.key), undefined);
        } catch (e) {
          assert.ok(e instanceof DomainError && e.code === 'BAD_USER_INPUT', String(e));
        }
      }),
      params,
    );
  });

  test('what the API encodes, it decodes to the same keyset', () => {
    const text = fc.string({ maxLength: 60 }).filter((s) => stringProblem(s) === undefined);
    fc.assert(
      fc.property(fc.oneof(text, fc.constant(null)), fc.uuid(), (key, id) => {
        assert.deepEqual(decodeCursor('o', encodeCursor('o', { key, id })), { key, id });
      }),
      params,
    );
  });
});

describe('properties: configuration', () => {
  const VARIABLES = [
    'PORT',
    'DOCKER_SCRAPER_MAX_TAGS',
    'DOCKER_SCRAPER_INTERVAL',
    'DOCKER_SCRAPER_INTERVAL_H',
    'DOCKER_SCRAPER_IMAGES',
    'DOCKER_SCRAPER_ENABLED',
    'DOCKER_SCRAPER_ON_STARTUP',
    'GRAPHQL_MAX_COST',
    'GRAPHQL_MAX_TOKENS',
    'GRAPHQL_MAX_CONCURRENT',
    'LOG_LEVEL',
    'DATABASE_URL',
    'DOCKER_HUB_URL',
  ];
  const value = fc.oneof(
    hostileString,
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom('', ' ', '0', '-1', '1e3', '0x10', '99999999999999999999', 'true', 'false', 'yes', '15m', '1h30m', 'nginx,,bitnami/redis', 'postgres://u:p@h/db'),
  );

  test('any environment loads to a valid config or a ConfigError naming the variables, never another error', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...VARIABLES), value, { maxKeys: 5 }), (env) => {
        try {
          const c = loadConfig(env);
          assert.ok(Number.isInteger(c.port) && c.port >= 0 && c.port <= 65535);
          assert.ok(Number.isInteger(c.scraper.maxTags) && c.scraper.maxTags >= 1);
          assert.ok(Number.isSafeInteger(c.scraper.intervalMs) && c.scraper.intervalMs > 0);
          assert.ok(Number.isInteger(c.graphql.maxCost) && Number.isInteger(c.graphql.maxTokens) && Number.isInteger(c.graphql.maxConcurrent));
          for (const image of c.scraper.images) assert.deepEqual(parseImageName(image.name), image);
        } catch (e) {
          assert.ok(e instanceof ConfigError, String(e));
          for (const p of (e as ConfigError).problems) assert.ok(VARIABLES.some((v) => p.variable.startsWith(v.split('_')[0])), p.variable);
        }
      }),
      params,
    );
  });

  test('durations: what formatDuration writes, parseDuration reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 86_400_000 }), (ms) => {
        assert.equal(parseDuration(formatDuration(ms)), ms);
      }),
      params,
    );
    fc.assert(
      fc.property(hostileString, (text) => {
        const ms = parseDuration(text);
        assert.ok(ms === undefined || Number.isSafeInteger(ms));
      }),
      params,
    );
  });
});

describe('properties: logo extraction', () => {
  const REFERENCE = /!\[[^\]]*\]\((https?:\/\/[^)]+)\)/;
  const markdownChar = fc.constantFrom('!', '[', ']', '(', ')', 'h', 't', 'p', 's', ':', '/', 'a', ' ', '\n', 'x');
  const fragment = fc.constantFrom('![', '](', 'http://', 'https://', ')', ']', 'logo.png', '![a](http://x/a.png)');

  test('finds exactly what the Go scraper\'s regular expression finds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: markdownChar, maxLength: 60 }), fc.array(fragment, { maxLength: 12 }).map((a) => a.join(''))), (md) => {
        assert.equal(extractLogoUrl(md), REFERENCE.exec(md)?.[1] ?? null, JSON.stringify(md));
      }),
      { ...params, numRuns: RUNS * 10 },
    );
  });

  test('1 MB of adversarial Markdown is scanned in bounded time', () => {
    const MB = 1_000_000;
    const cases: [string, string | null][] = [
      ['!['.repeat(MB / 2), null],
      ['![a]'.repeat(MB / 4), null],
      ['![a](http://'.repeat(MB / 12), null],
      ['![]('.repeat(MB / 4), null],
      [`${'![a](ftp://x) '.repeat(MB / 14)}![logo](https://x/logo.png)`, 'https://x/logo.png'],
      [`${'x'.repeat(MB)}![l](http://y)`, 'http://y'],
      [`${'![a](http://)'.repeat(MB / 13)}`, null],
    ];
    for (const [md, expected] of cases) {
      const t = performance.now();
      assert.equal(extractLogoUrl(md), expected);
      const ms = performance.now() - t;
      assert.ok(ms < 1_000, `${ms.toFixed(0)} ms for ${JSON.stringify(md.slice(0, 20))}…`);
    }
  });
});

describe('properties: the input guard and the source scan', () => {
  test('stringProblem refuses exactly NUL and ill-formed UTF-16', () => {
    fc.assert(
      fc.property(fc.oneof(hostileString, fc.string({ unit: 'grapheme', maxLength: 20 })), (s) => {
        const wellFormed = Buffer.from(s, 'utf8').toString('utf8') === s;
        assert.equal(stringProblem(s) === undefined, wellFormed && !s.includes('\u0000'), JSON.stringify(s));
      }),
      params,
    );
  });

  test('sourceNesting counts brackets outside strings and comments, never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '(', ')', '"', '\\', '#', '\n', 'a', ' '), maxLength: 80 }), (src) => {
        const n = sourceNesting(src);
        assert.ok(Number.isInteger(n) && n >= 0);
        if (!/["#]/.test(src)) {
          let d = 0;
          let max = 0;
          for (const c of src) {
            if ('{[('.includes(c)) max = Math.max(max, ++d);
            else if ('}])'.includes(c) && d > 0) d--;
          }
          assert.equal(n, max);
        }
      }),
      params,
    );
  });
});
