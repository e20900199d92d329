import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
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

/** Apollo Client 4 (core entry, no React) with InMemoryCache and relayStylePagination against the live service. */
describe('Apollo Client', () => {
  let live: LiveService;
  before(async () => {
    live = await startLiveService('apollo_client');
  });
  after(async () => {
    await live?.close();
  });

  function client(opts: { persisted?: boolean; get?: boolean } = {}) {
    const rec = recordingFetch();
    const http = new HttpLink({ uri: live.app.graphqlUrl, fetch: rec.fetch, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const link = opts.persisted
      ? new PersistedQueryLink({ sha256: (q: string) => createHash('sha256').update(q).digest('hex'), useGETForHashedQueries: opts.get }).concat(http)
      : http;
    const cache = new InMemoryCache({ typePolicies: { Query: { fields: { resources: relayStylePagination(['filter', 'orderBy']) } } } });
    return { apollo: new ApolloClient({ link, cache }), calls: rec.calls, cache };
  }

  async function walk(direction: 'forward' | 'backward', size: number) {
    const { apollo, calls } = client();
    const variables: CatalogPageQueryVariables = direction === 'forward' ? { first: size } : { last: size };
    const query = apollo.watchQuery<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables });
    const sub = query.subscribe(() => {});
    try {
      let { data } = await query.refetch();
      for (let guard = 0; guard < 50; guard++) {
        const info = data!.resources.pageInfo;
        if (direction === 'forward' ? !info.hasNextPage : !info.hasPreviousPage) break;
        await query.fetchMore({ variables: direction === 'forward' ? { after: info.endCursor } : { before: info.startCursor } });
        // The cache merged the page into the one list (relayStylePagination): read it as a component would.
        data = apollo.readQuery<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables })!;
      }
      return { names: data!.resources.edges.map((e) => e.node.name), requests: calls.length, apollo, calls };
    } finally {
      sub.unsubscribe();
    }
  }

  test('fetchMore with relayStylePagination walks every page forward and backward: no duplicate, no missing node', async () => {
    const forward = await walk('forward', 4);
    assert.deepEqual(forward.names, live.names);
    assert.equal(forward.requests, Math.ceil(live.names.length / 4), 'one request per page');
    const backward = await walk('backward', 5);
    assert.deepEqual(backward.names, live.names);
    // The backward requests sent `last`/`before` and no `first`: the service paged backward.
    assert.ok(backward.calls.slice(1).every((c) => c.body.variables.before && c.body.variables.last === 5 && c.body.variables.first === undefined));
  });

  test('from a page in the middle, fetchMore backward (forward variables nulled) then forward completes the list', async () => {
    const { apollo, calls } = client();
    const middle = (await live.app.gql(`{ resources(first: 10) { pageInfo { endCursor } } }`)).data.resources.pageInfo.endCursor;
    const query = apollo.watchQuery<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: { first: 4, after: middle } });
    const sub = query.subscribe(() => {});
    try {
      await query.refetch();
      const read = () => apollo.readQuery<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: { first: 4, after: middle } })!.resources;
      assert.deepEqual(read().edges.map((e) => e.node.name), live.names.slice(10, 14));
      while (read().pageInfo.hasPreviousPage) {
        await query.fetchMore({ variables: { first: null, after: null, last: 3, before: read().pageInfo.startCursor } });
      }
      assert.deepEqual(read().edges.map((e) => e.node.name), live.names.slice(0, 14));
      while (read().pageInfo.hasNextPage) await query.fetchMore({ variables: { after: read().pageInfo.endCursor } });
      assert.deepEqual(read().edges.map((e) => e.node.name), live.names);
      assert.ok(calls.every((c) => !c.response.errors));
    } finally {
      sub.unsubscribe();
    }
  });

  test('updateResource updates the cached resource in place, without a refetch', async () => {
    const { apollo, calls } = client();
    const first = await apollo.query<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: { first: 3 } });
    const target = first.data!.resources.edges[1].node;
    const before = calls.length;
    const text = `Edited through Apollo ${Date.now()}`;
    const res = await apollo.mutate<UpdateResourceMutation, UpdateResourceMutationVariables>({
      mutation: operation('UpdateResource'),
      variables: { input: { id: target.id, shortDescription: text } },
    });
    assert.equal(res.data!.updateResource.resource.shortDescription, text);
    assert.equal(calls.length, before + 1, 'only the mutation went to the server');
    // The list query, read from the cache alone, shows the new value.
    const cached = apollo.readQuery<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: { first: 3 } });
    assert.equal(cached!.resources.edges[1].node.shortDescription, text);
    assert.equal(apollo.cache.identify({ __typename: 'ProcessingResource', id: target.id }), `ProcessingResource:${target.id}`);
    const fromCache = await apollo.query<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: { first: 3 }, fetchPolicy: 'cache-only' });
    assert.equal(fromCache.data!.resources.edges[1].node.shortDescription, text);
    assert.equal(calls.length, before + 1);
    // And the server has it.
    const server = await live.app.gql(`query($id: ID) { resource(id: $id) { shortDescription } }`, { id: target.id });
    assert.equal(server.data.resource.shortDescription, text);
  });

  test('automatic persisted queries: hash first, the text once, then the hash alone (also as a cacheable GET)', async () => {
    const a = client({ persisted: true });
    const vars = { first: 2, filter: { search: 'img1' } };
    const r1 = await a.apollo.query<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: vars });
    assert.equal(r1.data!.resources.edges.length, 2);
    assert.equal(a.calls.length, 2, 'a miss: the hash, then hash + text');
    assert.equal(a.calls[0].body.query, undefined);
    assert.equal(a.calls[0].response.errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.ok(a.calls[1].body.query);
    assert.equal(a.calls[1].method, 'POST');
    assert.equal(a.calls[1].headers.get('cache-control'), null, 'POST answers carry no caching header');
    assert.equal(a.calls[1].body.extensions.persistedQuery.sha256Hash, a.calls[0].body.extensions.persistedQuery.sha256Hash);

    // A second client (another browser) sends the hash alone and gets the answer at once.
    const b = client({ persisted: true, get: true });
    const r2 = await b.apollo.query<CatalogPageQuery, CatalogPageQueryVariables>({ query: CATALOG_PAGE, variables: vars });
    assert.deepEqual(r2.data, r1.data);
    assert.equal(b.calls.length, 1);
    assert.equal(b.calls[0].method, 'GET');
    assert.doesNotMatch(b.calls[0].url, /query=/);
    assert.match(b.calls[0].url, /extensions=/);
    // With the admin token the answer is not for shared caches; without, a public GET query is.
    assert.equal(b.calls[0].headers.get('cache-control'), null);
    const hash = a.calls[0].body.extensions.persistedQuery.sha256Hash;
    const url = new URL(live.app.graphqlUrl);
    url.searchParams.set('variables', JSON.stringify(vars));
    url.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
    const publicGet = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(publicGet.status, 200);
    assert.equal(publicGet.headers.get('cache-control'), 'public, max-age=5');
    assert.deepEqual(((await publicGet.json()) as any).data.resources.edges.length, 2);
    // An unknown hash is an error, never cached.
    url.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } }));
    const miss = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(((await miss.json()) as any).errors[0].extensions.code, 'PERSISTED_QUERY_NOT_FOUND');
    assert.notEqual(miss.headers.get('cache-control'), 'public, max-age=5');
    // Mutations are refused over GET (and so never cached).
    const mutationUrl = new URL(live.app.graphqlUrl);
    mutationUrl.searchParams.set('query', 'mutation { triggerScrape { created } }');
    const getMutation = await fetch(mutationUrl, { headers: { 'apollo-require-preflight': 'true' } });
    assert.equal(getMutation.status, 405);
    assert.notEqual(getMutation.headers.get('cache-control'), 'public, max-age=5');
  });
});
