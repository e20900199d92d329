import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsBanner, rootIndex } from '../../src/http/server';

test('the start-up banner names the Sandbox URL in plain words, or says it is off', () => {
  const on = endpointsBanner('http://localhost:4000', true);
  assert.match(on, /^catalog-sync is ready\. GraphQL endpoint: http:\/\/localhost:4000\/graphql$/m);
  assert.match(on, /^Apollo Sandbox: open http:\/\/localhost:4000\/ in a browser \(.*needs internet access\)\.$/m);
  assert.doesNotMatch(on, /^\{/m, 'not a JSON log line');
  const off = endpointsBanner('http://localhost:4000', false);
  assert.match(off, /Apollo Sandbox is off/);
  assert.doesNotMatch(off, /open http/);
});

test('the JSON index links the Sandbox only when it is on, /metrics only when served', () => {
  assert.equal(rootIndex(true, true).sandbox, '/');
  assert.equal(rootIndex(false, true).sandbox, undefined);
  assert.equal(rootIndex(false, false).metrics, undefined);
  assert.equal(rootIndex(false, false).graphql, '/graphql');
});
