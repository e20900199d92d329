/**
 * Upstream data that PostgreSQL (or a client) cannot take as it is, made storable before it
 * reaches the catalog — each change said in a warning on the image's result:
 *
 * - NUL characters (PostgreSQL text and jsonb refuse them) are removed from every string;
 * - counts and sizes that are not whole numbers from 0 to 2^53−1 (1e300, 2^63−1, −1, 1.5)
 *   are dropped: a resource keeps its stored count, a tag's size becomes unknown (null);
 * - a tag whose name is not a Docker tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`) cannot be
 *   made into a ref: it is skipped, and the image's other tags are stored.
 */
import type { InstanceUpstream, ResourceUpstream } from './hub-mapping';
import type { PlatformRow } from '../../catalog/processing-instance.entity';

/** Docker's tag grammar (distribution/reference). */
export const TAG_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Shown in warnings: at most this many offending values, each cut to {@link MAX_SHOWN_CHARS}. */
const MAX_SHOWN = 5;
const MAX_SHOWN_CHARS = 40;

export interface SanitizedImage {
  resource: ResourceUpstream;
  tags: InstanceUpstream[];
  /** What was changed or skipped, in words; empty when the data was clean. */
  warnings: string[];
}

/** A value for a message: JSON-quoted (NUL and control characters escaped), cut short. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}…` : text;
  return JSON.stringify(cut);
}

function list(values: string[]): string {
  const head = values.slice(0, MAX_SHOWN).join(', ');
  return values.length > MAX_SHOWN ? `${head} and ${values.length - MAX_SHOWN} more` : head;
}

export function isCount(n: number | null): boolean {
  return n === null || (Number.isSafeInteger(n) && n >= 0);
}

class Collector {
  /** field → how many NULs were removed. */
  readonly nuls = new Map<string, number>();
  /** Numbers dropped, in words. */
  readonly numbers: string[] = [];

  str(field: string, v: string | null): string | null {
    if (v === null || !v.includes('\u0000')) return v;
    const clean = v.replace(/\u0000/g, '');
    this.nuls.set(field, (this.nuls.get(field) ?? 0) + (v.length - clean.length));
    return clean;
  }

  count(field: string, v: number | null): number | null {
    if (isCount(v)) return v;
    this.numbers.push(`${field} ${String(v)}`);
    return null;
  }
}

/** A JSON value without NUL characters in any of its strings (keys included). */
function noNul<T>(c: Collector, field: string, value: T): T {
  const json = JSON.stringify(value);
  if (!json.includes('\\u0000')) return value;
  const clean = json.replace(/\\u0000/g, '');
  c.nuls.set(field, (c.nuls.get(field) ?? 0) + (json.length - clean.length) / 6);
  return JSON.parse(clean) as T;
}

export function sanitizeImage(resource: ResourceUpstream, tags: readonly InstanceUpstream[]): SanitizedImage {
  const c = new Collector();
  const warnings: string[] = [];
  const cleanResource: ResourceUpstream = {
    description: c.str('full_description', resource.description),
    shortDescription: c.str('description', resource.shortDescription),
    logo: c.str('logo', resource.logo),
    starCount: c.count('star_count', resource.starCount),
    pullCount: c.count('pull_count', resource.pullCount),
    lastUpdated: c.str('last_updated', resource.lastUpdated),
  };
  const invalid: string[] = [];
  const kept: InstanceUpstream[] = [];
  for (const tag of tags) {
    if (!TAG_NAME_RE.test(tag.name)) {
      invalid.push(shown(tag.name));
      continue;
    }
    const where = `tag ${tag.name}:`;
    const platforms: PlatformRow[] = tag.platforms.map((p) => ({
      architecture: c.str(`${where} architecture`, p.architecture) ?? p.architecture,
      os: c.str(`${where} os`, p.os) ?? p.os,
      variant: c.str(`${where} variant`, p.variant),
      digest: c.str(`${where} digest`, p.digest),
      size: c.count(`${where} image size`, p.size),
      ...(p.config ? { config: noNul(c, `${where} platform config`, p.config) } : {}),
    }));
    kept.push({
      name: tag.name,
      digest: c.str(`${where} digest`, tag.digest),
      fullSize: c.count(`${where} full_size`, tag.fullSize),
      lastUpdated: c.str(`${where} last_updated`, tag.lastUpdated),
      tagStatus: c.str(`${where} tag_status`, tag.tagStatus),
      lastPushed: c.str(`${where} tag_last_pushed`, tag.lastPushed),
      platforms,
      env: platforms.length > 0 ? { ARCH: platforms[0].architecture } : {},
      ...(tag.image ? { image: noNul(c, `${where} image config`, tag.image) } : {}),
    });
  }
  if (invalid.length > 0) {
    warnings.push(
      `skipped ${invalid.length} tag${invalid.length === 1 ? '' : 's'} whose name is not a valid Docker tag ` +
        `([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}): ${list(invalid)}`,
    );
  }
  if (c.nuls.size > 0) {
    warnings.push(`removed NUL characters from ${list([...c.nuls].map(([field, n]) => `${field} (${n})`))}`);
  }
  if (c.numbers.length > 0) {
    warnings.push(
      `ignored numbers that are not counts (whole numbers from 0 to 2^53-1): ${list(c.numbers)} ` +
        `(a resource keeps its stored count; a size becomes unknown)`,
    );
  }
  return { resource: cleanResource, tags: kept, warnings };
}
