/**
 * Version order for registries without tag dates (`tags/list` is lexical): `latest` first,
 * then semantic versions (with or without `v`; newest first; a pre-release below its
 * release), then tags with numbers in natural order (newest first), then the rest.
 */

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

interface Semver {
  nums: [bigint, bigint, bigint];
  pre: string[] | null;
}

function semver(tag: string): Semver | undefined {
  const m = SEMVER.exec(tag);
  if (!m) return undefined;
  return { nums: [BigInt(m[1]), BigInt(m[2]), BigInt(m[3])], pre: m[4] ? m[4].split('.') : null };
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ascending semver precedence (semver.org §11). */
function compareSemver(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) {
    const c = cmpBig(a.nums[i], b.nums[i]);
    if (c !== 0) return c;
  }
  if (a.pre === null || b.pre === null) return a.pre === b.pre ? 0 : a.pre === null ? 1 : -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const c = cmpBig(BigInt(x), BigInt(y));
      if (c !== 0) return c;
    } else if (xn !== yn) return xn ? -1 : 1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Ascending natural order: digit runs compared as numbers. */
function compareNatural(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    const xn = /^\d/.test(x);
    const yn = /^\d/.test(y);
    let c: number;
    if (xn && yn) c = cmpBig(BigInt(x), BigInt(y)) || (x.length - y.length);
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function rank(tag: string): number {
  if (tag === 'latest') return 0;
  if (SEMVER.test(tag)) return 1;
  if (/\d/.test(tag)) return 2;
  return 3;
}

/** Newest first, as described above; a total order (ties broken lexically). */
export function compareTagsNewestFirst(a: string, b: string): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  let c = 0;
  if (ra === 1) c = compareSemver(semver(b)!, semver(a)!);
  else if (ra === 2) c = compareNatural(b, a);
  if (c !== 0) return c;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `maxTags` newest of `tags` (duplicates removed), newest first. */
export function newestTags(tags: readonly string[], maxTags: number): string[] {
  return [...new Set(tags)].sort(compareTagsNewestFirst).slice(0, Math.max(0, maxTags));
}
