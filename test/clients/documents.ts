/**
 * The example operations (examples/operations/*.graphql, typed by `npm run codegen`) for the
 * client tests: the documents a frontend would ship, not test-only copies.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DocumentNode, Kind, parse, print } from 'graphql';

export const ROOT = path.resolve(__dirname, '../../..');

const parsed = new Map<string, DocumentNode>();
function file(name: string): DocumentNode {
  let doc = parsed.get(name);
  if (!doc) parsed.set(name, (doc = parse(fs.readFileSync(path.join(ROOT, 'examples', 'operations', name), 'utf8'))));
  return doc;
}

/** The named operation of examples/operations/catalog.graphql or mutations.graphql, alone in a document. */
export function operation(name: string): DocumentNode {
  for (const f of ['catalog.graphql', 'mutations.graphql']) {
    const def = file(f).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
    if (def) return { kind: Kind.DOCUMENT, definitions: [def] };
  }
  throw new Error(`no operation ${name} in examples/operations`);
}

export function operationText(name: string): string {
  return print(operation(name));
}

/** A fetch that records every request (method, URL, body) and response status and headers. */
export function recordingFetch() {
  const calls: { method: string; url: string; body: any; status: number; headers: Headers; response: any }[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? 'GET';
    const res = await fetch(input, init);
    const text = await res.text();
    let response: any;
    try {
      response = JSON.parse(text);
    } catch {
      response = text;
    }
    calls.push({ method, url, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined, status: res.status, headers: res.headers, response });
    return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  return { fetch: fetchFn, calls };
}
