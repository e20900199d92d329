import { compileTagPattern, TagFilterError, validateTagFilter } from '../scraping/registry/tag-filter';

/**
 * A tracked image's tag filter: `include` and `exclude` regular expressions over tag names.
 * Checked when it is set (GraphQL inputs, the env list), so a scrape never meets a bad one.
 */

export { MAX_FILTER_LENGTH as MAX_TAG_FILTER_LENGTH } from '../scraping/registry/tag-filter';

export interface TagFilter {
  include: string | null;
  exclude: string | null;
}

/**
 * Why `pattern` cannot be a tag filter, or null when it can: the registry client's checks
 * (validateTagFilter: length, a valid JavaScript regular expression, no shape that can
 * backtrack catastrophically such as `(a+)+`), in words.
 */
export function tagFilterProblem(pattern: string, field: 'include' | 'exclude' = 'include'): string | null {
  try {
    validateTagFilter({ [field]: pattern });
    if (pattern === '') compileTagPattern(field, pattern);
    return null;
  } catch (e) {
    if (e instanceof TagFilterError) return e.reason;
    throw e;
  }
}

/** The tags a filter keeps, in their order. */
export function filterTags<T>(items: readonly T[], name: (t: T) => string, filter: TagFilter | null | undefined): T[] {
  if (!filter || (!filter.include && !filter.exclude)) return [...items];
  const { include, exclude } = validateTagFilter(filter);
  return items.filter((t) => {
    const n = name(t);
    return (!include || include.test(n)) && !(exclude && exclude.test(n));
  });
}

/**
 * Splits the env list (`DOCKER_SCRAPER_IMAGES`) into entries, each an image name with an
 * optional tag filter in braces right after it:
 * `nginx,ghcr.io/acme/app{include=^v\d+;exclude=-rc},org/x{exclude=^nightly}`.
 * Braces cannot occur in image names, so the syntax cannot collide with one; commas and
 * balanced braces inside the filter (`\d{1,3}`) belong to the expression. Within the braces
 * `include=` and `exclude=` name the parts, separated by `;` (`;` is therefore not allowed
 * inside an expression written here; the API takes any).
 */
export function splitImageList(raw: string): { name: string; filter: TagFilter | null; problem?: string }[] {
  const out: { name: string; filter: TagFilter | null; problem?: string }[] = [];
  let depth = 0;
  let start = 0;
  const entries: string[] = [];
  for (let i = 0; i <= raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if ((ch === ',' && depth === 0) || i === raw.length) {
      entries.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  for (const entry of entries) {
    const text = entry.trim();
    if (text === '') continue;
    const brace = text.indexOf('{');
    if (brace < 0) {
      out.push({ name: text, filter: null });
      continue;
    }
    const name = text.slice(0, brace).trim();
    if (!text.endsWith('}')) {
      out.push({ name, filter: null, problem: `the tag filter of ${JSON.stringify(name)} must end with "}"` });
      continue;
    }
    const filter: TagFilter = { include: null, exclude: null };
    let problem: string | undefined;
    for (const part of text.slice(brace + 1, -1).split(';')) {
      const m = /^\s*(include|exclude)=(.*)$/s.exec(part);
      if (!m) {
        problem = `${JSON.stringify(name)}: "${part}" is not include=REGEX or exclude=REGEX`;
        break;
      }
      const why = tagFilterProblem(m[2], m[1] as 'include' | 'exclude');
      if (why) {
        problem = `${JSON.stringify(name)}: ${m[1]} ${why}`;
        break;
      }
      filter[m[1] as 'include' | 'exclude'] = m[2];
    }
    out.push({ name, filter: problem ? null : filter, ...(problem ? { problem } : {}) });
  }
  return out;
}
