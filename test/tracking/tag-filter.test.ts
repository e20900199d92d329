import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterTags, splitImageList, tagFilterProblem } from '../../src/tracking/tag-filter';
import { loadConfig } from '../../src/config/config';

test('env list: filters in braces after the name, commas and braces inside belong to the expression', () => {
  assert.deepEqual(splitImageList('nginx, ghcr.io/acme/app{include=^v\\d{1,3}\\.;exclude=-rc,x},org/y{exclude=^nightly}'), [
    { name: 'nginx', filter: null },
    { name: 'ghcr.io/acme/app', filter: { include: '^v\\d{1,3}\\.', exclude: '-rc,x' } },
    { name: 'org/y', filter: { include: null, exclude: '^nightly' } },
  ]);
  assert.match(splitImageList('a{include=(a+)+}')[0].problem ?? '', /include is refused/);
  assert.match(splitImageList('a{match=x}')[0].problem ?? '', /not include=REGEX or exclude=REGEX/);
});

test('DOCKER_SCRAPER_IMAGES with a bad filter is a configuration problem naming the variable', () => {
  assert.throws(
    () => loadConfig({ DOCKER_SCRAPER_IMAGES: 'nginx,ghcr.io/acme/app{include=([}', CATALOG_ADMIN_TOKEN: 'x'.repeat(32) }),
    (e: any) => /DOCKER_SCRAPER_IMAGES/.test(String(e?.message ?? e)),
  );
  const ok = loadConfig({ DOCKER_SCRAPER_IMAGES: 'nginx,ghcr.io/acme/app{include=^v}', CATALOG_ADMIN_TOKEN: 'x'.repeat(32) });
  assert.deepEqual(ok.scraper.images.map((i) => i.name), ['nginx', 'ghcr.io/acme/app']);
  assert.deepEqual(ok.scraper.imageTagFilters.get('ghcr.io/acme/app'), { include: '^v', exclude: null });
});

test('filters: checked for length, validity and nested quantifiers; applied in order', () => {
  assert.equal(tagFilterProblem('^v\\d+\\.\\d+$'), null);
  assert.match(tagFilterProblem('x'.repeat(201))!, /at most 200/);
  assert.match(tagFilterProblem('(')!, /not a valid regular expression/);
  assert.match(tagFilterProblem('(\\d+)*')!, /refused/);
  assert.match(tagFilterProblem('')!, /empty/);
  assert.deepEqual(filterTags(['v1', 'v2-rc1', 'latest'], (t) => t, { include: '^v', exclude: '-rc' }), ['v1']);
});
