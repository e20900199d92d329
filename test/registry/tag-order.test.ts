import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareTagsNewestFirst, newestTags } from '../../src/scraping/registry/tag-order';
import { compileTagPattern, MAX_FILTER_LENGTH, selectTags, TagFilterError, validateTagFilter } from '../../src/scraping/registry/tag-filter';

const semverArb = fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.boolean(), fc.option(fc.constantFrom('alpha', 'beta.1', 'rc.2', 'rc.10'))).map(
  ([a, b, c, v, pre]) => `${v ? 'v' : ''}${a}.${b}.${c}${pre ? `-${pre}` : ''}`,
);
const tagArb = fc.oneof(semverArb, fc.constantFrom('latest', 'stable', 'edge', 'alpine', '1.27-alpine', '1.9', '1.10', '20240101'), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}$/));

describe('tag order', () => {
  it('latest first, semver newest first, pre-release below release, natural numbers', () => {
    assert.deepEqual(newestTags(['1.9.0', 'latest', '1.10.0', 'v1.10.1', '1.10.1-rc.1', 'edge', '1.9', '1.10'], 10), ['latest', 'v1.10.1', '1.10.1-rc.1', '1.10.0', '1.9.0', '1.10', '1.9', 'edge']);
    assert.deepEqual(newestTags(['1.0.0-rc.2', '1.0.0-rc.10', '1.0.0-alpha'], 3), ['1.0.0-rc.10', '1.0.0-rc.2', '1.0.0-alpha']);
  });

  it('is a total order: antisymmetric and transitive (property)', () => {
    fc.assert(
      fc.property(tagArb, tagArb, tagArb, (a, b, c) => {
        assert.ok(Math.sign(compareTagsNewestFirst(a, b)) === -Math.sign(compareTagsNewestFirst(b, a)));
        if (a !== b) assert.notEqual(compareTagsNewestFirst(a, b), 0);
        if (compareTagsNewestFirst(a, b) < 0 && compareTagsNewestFirst(b, c) < 0) assert.ok(compareTagsNewestFirst(a, c) < 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('picks the maxTags newest regardless of input order (property)', () => {
    fc.assert(
      fc.property(fc.array(tagArb, { maxLength: 30 }), fc.integer({ min: 0, max: 10 }), (tags, n) => {
        const picked = newestTags(tags, n);
        assert.deepEqual(picked, newestTags([...tags].reverse(), n));
        assert.equal(picked.length, Math.min(n, new Set(tags).size));
        if (tags.includes('latest') && n > 0) assert.equal(picked[0], 'latest');
        const rest = [...new Set(tags)].filter((t) => !picked.includes(t));
        for (const p of picked) for (const r of rest) assert.ok(compareTagsNewestFirst(p, r) < 0);
      }),
    );
  });
});

describe('tag filters', () => {
  it('include/exclude select tags', () => {
    assert.deepEqual(selectTags(['1.0.0', '1.1.0', '1.1.0-alpine', 'latest', 'nightly'], { maxTags: 10, include: '^[0-9.]+$', exclude: 'alpine$' }), ['1.1.0', '1.0.0']);
  });

  it('refuses catastrophic, too long and invalid patterns with clear messages', () => {
    for (const p of ['(a+)+$', '(a*)*', '([a-z]+\\.?)+x', '(x+x+)+y', '(a|aa)+\\1']) {
      assert.throws(() => compileTagPattern('include', p), (e: unknown) => e instanceof TagFilterError && /refused/.test(e.message), p);
    }
    assert.throws(() => compileTagPattern('exclude', 'a'.repeat(MAX_FILTER_LENGTH + 1)), /at most 200/);
    assert.throws(() => validateTagFilter({ include: '(' }), /not a valid regular expression/);
    for (const p of ['^v?\\d+\\.\\d+\\.\\d+$', '-alpine$', '^(latest|stable)$', '[a-z]+-\\d+', '(ab)?c+']) assert.ok(compileTagPattern('include', p));
  });
});
