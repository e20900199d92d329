import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plural, progressText, ProgressView, readableLogLine } from '../../src/cli/terminal';

const run = (done: number, total = 3, failed = 0) => ({ imagesTotal: total, imagesDone: done, imagesFailed: failed, instancesAdded: done, instancesUpdated: 0 });

function sink() {
  const writes: string[] = [];
  return { out: { write: (t: string) => writes.push(t) }, writes, text: () => writes.join('') };
}

test('plurals', () => {
  assert.equal(plural(0, 'image'), '0 images');
  assert.equal(plural(1, 'image'), '1 image');
  assert.equal(plural(2, 'image'), '2 images');
  assert.equal(progressText(run(1, 1)), '1/1 image · 0 failed · +1 instance, 0 updated');
  assert.equal(progressText(run(2, 3, 1)), '2/3 images · 1 failed · +2 instances, 0 updated');
});

test('on a terminal the bar is redrawn in place and a message goes above it', () => {
  const s = sink();
  const view = new ProgressView(s.out, true);
  view.update(run(0));
  view.update(run(0)); // unchanged: nothing written
  view.update(run(1));
  view.message('WARN  image scraped: image=acme/broken status=FAILED');
  view.done(run(3));
  view.message('after the end');
  assert.deepEqual(s.writes, [
    '\r\x1b[K[------------------------------] 0/3 images · 0 failed · +0 instances, 0 updated',
    '\r\x1b[K[##########--------------------] 1/3 images · 0 failed · +1 instance, 0 updated',
    '\r\x1b[KWARN  image scraped: image=acme/broken status=FAILED\n[##########--------------------] 1/3 images · 0 failed · +1 instance, 0 updated',
    '\r\x1b[K[##############################] 3/3 images · 0 failed · +3 instances, 0 updated',
    '\n',
    'after the end\n',
  ]);
});

test('without a terminal: messages as they come, a progress line when it changed, at most every interval', () => {
  const s = sink();
  let now = 0;
  const view = new ProgressView(s.out, false, 5_000, () => now);
  view.update(run(0));
  now = 1_000;
  view.update(run(1)); // too soon
  view.message('{"level":40,"msg":"x"}');
  now = 6_000;
  view.update(run(2));
  view.done(run(3));
  assert.deepEqual(s.writes, [
    'progress: 0/3 images · 0 failed · +0 instances, 0 updated\n',
    '{"level":40,"msg":"x"}\n',
    'progress: 2/3 images · 0 failed · +2 instances, 0 updated\n',
    'progress: 3/3 images · 0 failed · +3 instances, 0 updated\n',
  ]);
});

test('a JSON log line reads as words: level, message, its own fields', () => {
  const line = JSON.stringify({
    level: 40,
    time: '2026-12-03T12:00:00.000Z',
    service: 'catalog-sync',
    pid: 1,
    component: 'scraper',
    worker: 'h:1:abc',
    image: 'acme/broken',
    status: 'FAILED',
    error: 'Docker Hub answered 403 with an HTML page',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
    msg: 'image scraped',
  });
  assert.equal(
    readableLogLine(line),
    'WARN  image scraped: image=acme/broken status=FAILED error="Docker Hub answered 403 with an HTML page" err="boom"',
  );
  assert.equal(readableLogLine(JSON.stringify({ level: 50, msg: 'plain' })), 'ERROR plain');
  assert.equal(readableLogLine(JSON.stringify({ level: 40, msg: 'w' }), true), '\x1b[33mWARN\x1b[0m  w');
  assert.equal(readableLogLine('not json\n'), 'not json');
});
