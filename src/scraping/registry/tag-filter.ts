/**
 * Per-image tag filters: `include` / `exclude` regular expressions (JavaScript syntax,
 * matched against the whole tag name unless anchored otherwise — they are searched, as
 * `RegExp.test` does). Each is at most {@link MAX_FILTER_LENGTH} characters and refused when
 * it could backtrack catastrophically (a quantified group holding a quantifier, such as
 * `(a+)+`, or a back-reference): tag names come from the registry, not from the operator.
 */
import { newestTags } from './tag-order';

export const MAX_FILTER_LENGTH = 200;

export interface TagFilter {
  include?: string | null;
  exclude?: string | null;
}

export class TagFilterError extends Error {
  constructor(
    readonly field: 'include' | 'exclude',
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`tag filter ${field} ${JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern)}: ${reason}`);
    this.name = 'TagFilterError';
  }
}

/**
 * Star height above 1 (a quantifier applied to a group that itself holds a quantifier) or a
 * back-reference: the shapes that make a backtracking engine exponential.
 */
function unsafeReason(pattern: string): string | undefined {
  if (/\\[1-9]|\\k</.test(pattern)) return 'back-references are not allowed';
  // Stack of groups: whether each holds a quantifier.
  const stack: boolean[] = [];
  let lastGroupHadQuantifier = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      lastGroupHadQuantifier = false;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      lastGroupHadQuantifier = false;
    } else if (ch === '(') stack.push(false);
    else if (ch === ')') {
      lastGroupHadQuantifier = stack.pop() ?? false;
      if (lastGroupHadQuantifier && stack.length > 0) stack[stack.length - 1] = true;
      const next = pattern[i + 1];
      if (next === '*' || next === '+' || next === '{' || next === '?') {
        if (lastGroupHadQuantifier && next !== '?') return 'a repeated group holds a repetition (such as (a+)+), which can take exponential time';
        if (stack.length > 0) stack[stack.length - 1] = true;
      }
      continue;
    } else if (ch === '*' || ch === '+' || ch === '{') {
      if (stack.length > 0) stack[stack.length - 1] = true;
    } else if (ch === '?' && pattern[i - 1] !== '(') {
      if (stack.length > 0) stack[stack.length - 1] = true;
    }
    lastGroupHadQuantifier = false;
  }
  return undefined;
}

/** Compiles one pattern or throws a {@link TagFilterError} saying why it is refused. */
export function compileTagPattern(field: 'include' | 'exclude', pattern: string): RegExp {
  if (pattern.length === 0) throw new TagFilterError(field, pattern, 'is empty (leave it unset to match every tag)');
  if (pattern.length > MAX_FILTER_LENGTH) {
    throw new TagFilterError(field, pattern, `is ${pattern.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed`);
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new TagFilterError(field, pattern, `is not a valid regular expression (${e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e)})`);
  }
  const unsafe = unsafeReason(pattern);
  if (unsafe) throw new TagFilterError(field, pattern, `is refused: ${unsafe}`);
  return re;
}

/** Throws a {@link TagFilterError} for the first bad pattern; returns the compiled ones. */
export function validateTagFilter(filter: TagFilter): { include: RegExp | null; exclude: RegExp | null } {
  return {
    include: filter.include ? compileTagPattern('include', filter.include) : null,
    exclude: filter.exclude ? compileTagPattern('exclude', filter.exclude) : null,
  };
}

/**
 * The tags to import from a lexical list: those matching `include` (when given) and not
 * `exclude`, the `maxTags` newest by version order (see tag-order.ts), newest first.
 */
export function selectTags(tags: readonly string[], opts: { maxTags: number } & TagFilter): string[] {
  const { include, exclude } = validateTagFilter(opts);
  const kept = tags.filter((t) => (include === null || include.test(t)) && (exclude === null || !exclude.test(t)));
  return newestTags(kept, opts.maxTags);
}
