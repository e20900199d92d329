import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, fetchExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import type {
  CatalogPageQuery,
  CatalogPageQueryVariables,
  UpdateResourceMutation,
  UpdateResourceMutationVariables,
} from '../../examples/operations/generated';
import { TEST_ADMIN_TOKEN } from '../support/app';
import { operation, recordingFetch } from './documents';
import { LiveService, startLiveService } from './live-service';

const CATALOG_PAGE = operation('CatalogPage');

/** @urql/core with graphcache's relayPagination against the live service, with urql's defaults (GET for queries). */
describe('urql with graphcache', () => {
  let live: LiveService;
  before(async () => {
    live = await startLiveService('urql_client');
  });
  after(async () => {
    await live?.close();
  });

  function client() {
    const rec = recordingFetch();
    const urql = new Client({
      url: live.app.graphqlUrl,
      fetch: rec.fetch,
      // urql sends queries as GET by default: Apollo's CSRF prevention wants this header on them.
      fetchOptions: { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${TEST_ADMIN_TOKEN}` } },
      exchanges: [
        cacheExchange({
          resolvers: { Query: { resources: relayPagination() } },
          // Connections, edges and page info have no identity of their own: they are embedded.
          keys: { ResourceConnection: () => null, ResourceEdge: () => null, PageInfo: () => null },
        }),
        fetchExchange,
      ],
    });
    return { urql, calls: rec.calls };
  }

  async function walk(direction: 'forward' | 'backward', size: number) {
    const { urql, calls } = client();
    let variables: CatalogPageQueryVariables = direction === 'forward' ? { first: size } : { last: size };
    for (let guard = 0; guard < 50; guard++) {
      const res = await urql.query<CatalogPageQuery, CatalogPageQueryVariables>(CATALOG_PAGE, variables).toPromise();
      assert.equal(res.error, undefined, String(res.error));
      const info = res.data!.resources.pageInfo;
      const more = direction === 'forward' ? info.hasNextPage : info.hasPreviousPage;
      if (!more) return { names: res.data!.resources.edges.map((e) => e.node.name), calls };
      variables = direction === 'forward' ? { first: size, after: info.endCursor } : { last: size, before: info.startCursor };
    }
    throw new Error('no last page');
  }

  test('relayPagination walks every page forward and backward: no duplicate, no missing node', async () => {
    const forward = await walk('forward', 4);
    assert.deepEqual(forward.names, live.names);
    assert.equal(forward.calls.length, Math.ceil(live.names.length / 4), 'one request per page');
    assert.ok(forward.calls.every((c) => c.method === 'GET' && c.status === 200));
    assert.equal(forward.calls[0].headers.get('cache-control'), null, 'an answer to a request with a token is not for shared caches');
    const backward = await walk('backward', 6);
    assert.deepEqual(backward.names, live.names);
    // Without the preflight header, Apollo's CSRF prevention refuses urql's plain GET (the README says to add it).
    const plain = await fetch(forward.calls[0].url);
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /CSRF/);
  });

  test('updateResource updates the cached entity: the list reads the new value from the cache', async () => {
    const { urql, calls } = client();
    const page = await urql.query<CatalogPageQuery, CatalogPageQueryVariables>(CATALOG_PAGE, { first: 5 }).toPromise();
    const target = page.data!.resources.edges[3].node;
    const text = `Edited through urql ${Date.now()}`;
    const res = await urql
      .mutation<UpdateResourceMutation, UpdateResourceMutationVariables>(operation('UpdateResource'), { input: { id: target.id, shortDescription: text } })
      .toPromise();
    assert.equal(res.error, undefined, String(res.error));
    const sent = calls.length;
    const cached = await urql
      .query<CatalogPageQuery, CatalogPageQueryVariables>(CATALOG_PAGE, { first: 5 }, { requestPolicy: 'cache-only' })
      .toPromise();
    assert.equal(cached.data!.resources.edges[3].node.shortDescription, text);
    assert.equal(calls.length, sent, 'no refetch');
  });
});
