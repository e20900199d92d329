import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  commitMutation,
  createOperationDescriptor,
  Environment,
  fetchQuery,
  getPaginationMetadata,
  getPaginationVariables,
  getSelector,
  getVariablesFromFragment,
  Network,
  RecordSource,
  Store,
} from 'relay-runtime';
import { TEST_ADMIN_TOKEN } from '../support/app';
import { ROOT } from './documents';
import { LiveService, startLiveService } from './live-service';

const RELAY_COMPILER = path.join(ROOT, 'node_modules', '.bin', 'relay-compiler');
const SCHEMA = path.join(ROOT, 'schema', 'schema.graphql');

/** Runs relay-compiler on examples/relay (plus `extra` files) in a fresh directory; returns it and the compiler's output. */
function compile(extra: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-relay-'));
  fs.mkdirSync(path.join(dir, 'src'));
  for (const f of fs.readdirSync(path.join(ROOT, 'examples', 'relay'))) {
    if (f.endsWith('.js')) fs.copyFileSync(path.join(ROOT, 'examples', 'relay', f), path.join(dir, 'src', f));
  }
  for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, 'src', f), text);
  fs.writeFileSync(path.join(dir, 'relay.config.json'), JSON.stringify({ src: './src', schema: SCHEMA, language: 'javascript', eagerEsModules: false }));
  const run = spawnSync(RELAY_COMPILER, [], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { dir, status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe('Relay', () => {
  let live: LiveService;
  let compiled: ReturnType<typeof compile>;
  const artifact = (name: string) => require(path.join(compiled.dir, 'src', '__generated__', `${name}.graphql.js`));

  before(async () => {
    compiled = compile();
    live = await startLiveService('relay_client');
  });
  after(async () => {
    await live?.close();
    if (compiled) fs.rmSync(compiled.dir, { recursive: true, force: true });
  });

  function environment() {
    const requests: { text: string; variables: Record<string, unknown> }[] = [];
    const network = Network.create(async (params, variables) => {
      requests.push({ text: params.text!, variables });
      const res = await fetch(live.app.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        body: JSON.stringify({ query: params.text, variables }),
      });
      const body: any = await res.json();
      if (body.errors) throw new Error(`${params.name}: ${JSON.stringify(body.errors)}`);
      return body;
    });
    return { env: new Environment({ network, store: new Store(new RecordSource()) }), requests };
  }

  test('relay-compiler accepts the frontend documents against schema/schema.graphql, and reports a bad one', () => {
    assert.equal(compiled.status, 0, compiled.output);
    assert.doesNotMatch(compiled.output, /\bERROR\b|\berror\b/, compiled.output);
    for (const name of ['CatalogListPaginationQuery', 'ResourcePageRefetchQuery', 'InstanceDetailQuery', 'ResourcePageRemoveMutation']) {
      assert.ok(fs.existsSync(path.join(compiled.dir, 'src', '__generated__', `${name}.graphql.js`)), name);
    }
    // The refetchable fragment on a resource refetches it through node(id:).
    assert.match(artifact('ResourcePageRefetchQuery').params.text, /node\(id: \$id\)/);
    // A document the schema does not allow fails the compilation, naming the problem.
    const broken = compile({
      'Broken.js': "import { graphql } from 'relay-runtime';\nexport const q = graphql`query BrokenQuery { resources(first: 2) { edges { node { id nope } } } }`;\n",
    });
    fs.rmSync(broken.dir, { recursive: true, force: true });
    assert.notEqual(broken.status, 0);
    assert.match(broken.output, /nope/);
  });

  /** Reads the catalog list as usePaginationFragment does: the query, then its pagination query with Relay's own variables. */
  async function walk(direction: 'forward' | 'backward', count: number) {
    const { env, requests } = environment();
    const query = artifact('CatalogListQuery');
    const fragment = artifact('CatalogList_query');
    const variables = direction === 'forward' ? { first: count, search: null } : { first: null, last: count, search: null };
    await fetchQuery(env, query, variables).toPromise();
    const operation = createOperationDescriptor(query, variables);
    env.retain(operation);
    const root = env.lookup(operation.fragment).data as any;
    const selector = getSelector(fragment, root) as any;
    const read = () => (env.lookup(selector).data as any).resources;
    const { paginationRequest, paginationMetadata } = getPaginationMetadata(fragment, 'walk');
    const base = getVariablesFromFragment(fragment, root);
    for (let guard = 0; guard < 50; guard++) {
      const info = read().pageInfo;
      if (direction === 'forward' ? !info.hasNextPage : !info.hasPreviousPage) break;
      const cursor = direction === 'forward' ? info.endCursor : info.startCursor;
      const vars = getPaginationVariables(direction, count, cursor, base, {}, paginationMetadata as any);
      env.retain(createOperationDescriptor(paginationRequest as any, vars));
      await fetchQuery(env, paginationRequest as any, vars).toPromise();
    }
    return { names: read().edges.map((e: any) => e.node.name) as string[], requests, totalCount: read().totalCount };
  }

  test('a Relay environment pages the catalog forward and backward with the pagination fragment', async () => {
    const forward = await walk('forward', 5);
    assert.deepEqual(forward.names, live.names);
    assert.equal(forward.totalCount, live.names.length);
    assert.equal(forward.requests.length, Math.ceil(live.names.length / 5));
    const backward = await walk('backward', 4);
    assert.deepEqual(backward.names, live.names);
    // Relay pages backward with `first: null, after: null`: the service takes that as backward paging.
    assert.deepEqual(
      backward.requests.slice(1).map((r) => [r.variables.first, r.variables.after, r.variables.last]),
      backward.requests.slice(1).map(() => [null, null, 4]),
    );
  });

  test('a refetchable resource fragment refetches through node(id:); an instance detail reads its tag', async () => {
    const { env, requests } = environment();
    const name = live.names[2];
    const pageQuery = artifact('ResourcePageQuery');
    await fetchQuery(env, pageQuery, { name }).toPromise();
    const op = createOperationDescriptor(pageQuery, { name });
    env.retain(op);
    const ref = (env.lookup(op.fragment).data as any).resource;
    const fragment = artifact('ResourcePage_resource');
    const read = () => env.lookup(getSelector(fragment, ref) as any).data as any;
    const before = read();
    assert.equal(before.name, name);
    assert.equal(before.instances.edges.length, 3);

    // Someone else edits the resource; the page refetches itself by id.
    const text = `Edited elsewhere ${Date.now()}`;
    const edit = await live.app.gql(`mutation($input: UpdateResourceInput!) { updateResource(input: $input) { resource { id } } }`, {
      input: { id: before.id, shortDescription: text },
    });
    assert.equal(edit.errors, undefined);
    assert.equal(read().shortDescription, before.shortDescription);
    const refetch = artifact('ResourcePageRefetchQuery');
    await fetchQuery(env, refetch, { id: before.id }).toPromise();
    assert.equal(read().shortDescription, text);
    assert.match(requests.at(-1)!.text, /node\(id: \$id\)/);
    assert.deepEqual(requests.at(-1)!.variables, { id: before.id });

    // An instance detail: the store shares the instance record with the resource page.
    const instanceRef = before.instances.edges[0].node;
    const detail = env.lookup(getSelector(artifact('InstanceDetail_instance'), instanceRef) as any).data as any;
    const api = await live.app.gql(`query($ref: String) { instance(ref: $ref) { id name origin { ref } platforms { architecture } resource { name } } }`, {
      ref: detail.origin.ref,
    });
    assert.equal(detail.id, api.data.instance.id);
    assert.deepEqual(detail.platforms.map((p: any) => p.architecture), api.data.instance.platforms.map((p: any) => p.architecture));
    assert.equal(detail.resource.name, name);
    const detailQuery = artifact('InstanceDetailQuery');
    const sent = requests.length;
    await fetchQuery(env, detailQuery, { ref: detail.origin.ref }).toPromise();
    assert.equal(requests.length, sent + 1);
  });

  test('mutations update the Relay store: an edit in place, a purge deletes the records by the removed ids', async () => {
    const { env } = environment();
    const query = artifact('ResourcePageQuery');
    const name = live.names.at(-1)!;
    await fetchQuery(env, query, { name }).toPromise();
    const op = createOperationDescriptor(query, { name });
    env.retain(op);
    const ref = (env.lookup(op.fragment).data as any).resource;
    const read = () => env.lookup(getSelector(artifact('ResourcePage_resource'), ref) as any).data as any;
    const { id, instances } = read();
    const commit = (mutation: string, variables: Record<string, unknown>) =>
      new Promise<any>((resolve, reject) =>
        commitMutation(env, { mutation: artifact(mutation), variables, onCompleted: resolve, onError: reject }),
      );
    await commit('ResourcePageUpdateMutation', { input: { id, shortDescription: 'Set through Relay' } });
    assert.equal(read().shortDescription, 'Set through Relay');
    assert.deepEqual(read().editedFields, ['shortDescription']);

    const source = env.getStore().getSource();
    assert.ok(source.get(id));
    const result = await commit('ResourcePageRemoveMutation', { input: { images: [name], purge: true } });
    assert.deepEqual(result.removeTrackedImages.removedResourceIds, [id]);
    assert.equal(source.get(id), null, 'the resource record is deleted');
    for (const edge of instances.edges) assert.equal(source.get(edge.node.id), null, 'its instance records are deleted');
  });
});
