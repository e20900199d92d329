/**
 * A tracked image's tag filter: `include` and `exclude` regular expressions over tag names.
 * Checked when it is set (GraphQL inputs, the env list), so a scrape never meets a bad one.
 */

/** Longest pattern accepted: long enough for real filters, short enough to stay cheap. */
export const MAX_TAG_FILTER_LENGTH = 200;

export interface TagFilter {
  include: string | null;
  exclude: string | null;
}

/**
 * Why `pattern` cannot be a tag filter, or null when it can: too long, not a valid
 * JavaScript regular expression, or shaped for catastrophic backtracking (a quantified
 * group that itself holds a quantifier, `(a+)+`, `(\d*)*`).
 */
export function tagFilterProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty (leave it out, or null, to take every tag)';
  if (pattern.length > MAX_TAG_FILTER_LENGTH) return `must be at most ${MAX_TAG_FILTER_LENGTH} characters long`;
  try {
    new RegExp(pattern);
  } catch (e) {
    return `is not a valid regular expression (${(e as Error).message})`;
  }
  if (/\([^()]*[+*}][^()]*\)\s*[+*{]/.test(pattern)) {
    return 'nests quantifiers (like (a+)+), which can take exponential time: write it without a repeated group of repeats';
  }
  return null;
}

/** The tags a filter keeps, in their order. */
export function filterTags<T>(items: readonly T[], name: (t: T) => string, filter: TagFilter | null | undefined): T[] {
  if (!filter || (!filter.include && !filter.exclude)) return [...items];
  const include = filter.include ? new RegExp(filter.include) : null;
  const exclude = filter.exclude ? new RegExp(filter.exclude) : null;
  return items.filter((t) => {
    const n = name(t);
    return (!include || include.test(n)) && !(exclude && exclude.test(n));
  });
}
