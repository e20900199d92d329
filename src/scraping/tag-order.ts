/**
 * Which tags of a registry to import when its `tags/list` gives no dates (it is lexical):
 * the `maxTags` newest by version order. `latest` first, then versions (a leading `v`
 * allowed) compared part by part as numbers — a release before its own pre-releases
 * (`1.2.0` > `1.2.0-rc1`) — and finally other names, numeric-aware, highest first.
 */
interface Key {
  latest: boolean;
  version: number[] | null;
  pre: string | null;
  name: string;
}

const VERSION = /^v?(\d+(?:\.\d+)*)(?:[-+](.+))?$/;
const collator = new Intl.Collator('en', { numeric: true });

function key(name: string): Key {
  const m = VERSION.exec(name);
  return { latest: name === 'latest', version: m ? m[1].split('.').map(Number) : null, pre: m ? (m[2] ?? null) : null, name };
}

/** Negative when `a` is newer than `b`. */
function newerFirst(a: Key, b: Key): number {
  if (a.latest !== b.latest) return a.latest ? -1 : 1;
  if (a.version && !b.version) return -1;
  if (!a.version && b.version) return 1;
  if (a.version && b.version) {
    for (let i = 0; i < Math.max(a.version.length, b.version.length); i++) {
      const d = (b.version[i] ?? -1) - (a.version[i] ?? -1);
      if (d !== 0) return d;
    }
    if (a.pre === null && b.pre !== null) return -1;
    if (a.pre !== null && b.pre === null) return 1;
  }
  return collator.compare(b.name, a.name);
}

export function selectNewestTags(tags: readonly string[], maxTags: number): string[] {
  return tags
    .map(key)
    .sort(newerFirst)
    .slice(0, maxTags)
    .map((k) => k.name);
}
