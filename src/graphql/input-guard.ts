import type { ApolloServerPlugin } from '@apollo/server';
import {
  ArgumentNode,
  DocumentNode,
  GraphQLError,
  GraphQLSchema,
  isNonNullType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  TypeInfo,
  ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { ErrorCode, InvalidField, invalidArguments } from './errors';

/**
 * The one check of every string a request passes in, before anything runs: literal
 * arguments (in the operation and the fragments it spreads), variables, and variable
 * defaults. PostgreSQL text cannot hold NUL (`\u0000`), and a lone UTF-16 surrogate has no
 * UTF-8 form: either would reach the database as an error of its own, so both are refused
 * here as BAD_USER_INPUT (HTTP 400) naming each field (`invalidFields`), by the argument
 * path that carries it: `filter.search`, `ref`, `input.images[2]`.
 */
/**
 * Length caps of read arguments (queries), in UTF-16 code units, checked with the rest:
 * a string argument of a query is at most {@link READ_ARGUMENT_MAX_CHARS} long (names,
 * refs, ids and cursors are far shorter), free-text filters less. Mutation inputs have
 * their own caps per field (class-validator); the body cap bounds everything.
 */
export const READ_ARGUMENT_MAX_CHARS = 1_000;
/** Tighter caps by the argument's last name: `filter.search` of resources and instances alike. */
export const READ_ARGUMENT_CAPS: Readonly<Record<string, number>> = { search: 200, architecture: 50 };

/** The cap of a read argument by its path (`filter.search`, `filter.names[2]`, `ref`). */
function readCap(path: string): number {
  const last = path.replace(/\[\d+\]$/, '').split('.').pop() ?? '';
  return READ_ARGUMENT_CAPS[last] ?? READ_ARGUMENT_MAX_CHARS;
}

/** Why a string cannot be taken, or undefined when it can; `maxChars` caps its length. */
export function stringProblem(value: string, maxChars = Infinity): string | undefined {
  if (value.length > maxChars) return `must be at most ${maxChars} characters long (it has ${value.length})`;
  if (value.includes('\u0000')) return 'must not contain NUL characters (\\u0000)';
  if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) return 'must be valid Unicode: it holds a lone surrogate';
  return undefined;
}

type Caps = ((path: string) => number) | undefined;
const MIN_CAP = Math.min(READ_ARGUMENT_MAX_CHARS, ...Object.values(READ_ARGUMENT_CAPS));

/** The cap of one string; worked out by path only for strings long enough to meet one (10,000-item lists stay cheap). */
function capOf(value: string, path: string, caps: Caps): number {
  return caps && value.length > MIN_CAP ? caps(path) : Infinity;
}

/** Every string in `value` (any depth, no recursion) with a problem, named under `path`. */
function checkValue(value: unknown, path: string, out: InvalidField[], caps: Caps): void {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      const reason = stringProblem(v, capOf(v, p, caps));
      if (reason) out.push({ field: p, reason });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${p}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) stack.push([item, p === '' ? k : `${p}.${k}`]);
    }
  }
}

/** Literal strings in an argument value; variables are checked with the name of the argument that uses them. */
function checkLiteral(
  node: ValueNode,
  path: string,
  variables: Record<string, unknown>,
  used: Set<string>,
  out: InvalidField[],
  caps: Caps,
  defaults: ReadonlyMap<string, ValueNode> = new Map(),
): void {
  const stack: [ValueNode, string][] = [[node, path]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (v.kind === Kind.STRING) {
      const reason = stringProblem(v.value, capOf(v.value, p, caps));
      if (reason) out.push({ field: p, reason });
    } else if (v.kind === Kind.LIST) {
      v.values.forEach((item, i) => stack.push([item, `${p}[${i}]`]));
    } else if (v.kind === Kind.OBJECT) {
      for (const f of v.fields) stack.push([f.value, `${p}.${f.name.value}`]);
    } else if (v.kind === Kind.VARIABLE) {
      const name = v.name.value;
      if (used.has(name)) continue;
      if (name in variables) {
        used.add(name);
        checkValue(variables[name], p, out, caps);
      } else if (defaults.has(name)) {
        used.add(name);
        stack.push([defaults.get(name)!, p]);
      }
    }
  }
}

/** Problems of one operation's strings, fragments it spreads visited once each; a query's are length-capped too. */
export function invalidStrings(document: DocumentNode, op: OperationDefinitionNode, variables: Record<string, unknown>): InvalidField[] {
  const out: InvalidField[] = [];
  const caps: Caps = op.operation === 'query' ? readCap : undefined;
  const used = new Set<string>();
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const seen = new Set<string>();
  const defaults = new Map((op.variableDefinitions ?? []).flatMap((v) => (v.defaultValue ? [[v.variable.name.value, v.defaultValue] as const] : [])));
  const args = (list: readonly ArgumentNode[] | undefined) => {
    for (const a of list ?? []) checkLiteral(a.value, a.name.value, variables, used, out, caps, defaults);
  };
  const sets: SelectionSetNode[] = [op.selectionSet];
  args(op.directives?.flatMap((d) => d.arguments ?? []));
  while (sets.length > 0) {
    const set = sets.pop()!;
    for (const sel of set.selections) {
      args(sel.directives?.flatMap((d) => d.arguments ?? []));
      if (sel.kind === Kind.FIELD) {
        args(sel.arguments);
        if (sel.selectionSet) sets.push(sel.selectionSet);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        sets.push(sel.selectionSet);
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment = fragments.get(sel.name.value);
        if (fragment) sets.push(fragment.selectionSet);
      }
    }
  }
  for (const v of op.variableDefinitions ?? []) {
    const name = v.variable.name.value;
    if (used.has(name)) continue;
    if (name in variables) checkValue(variables[name], `$${name}`, out, caps);
    else if (v.defaultValue) checkLiteral(v.defaultValue, `$${name}`, {}, used, out, caps);
  }
  return out;
}

/**
 * Arguments of a non-null type (`first: Int! = 20`) given a nullable variable whose value is
 * an explicit null: graphql-js lets the document through (the argument has a default) and
 * then fails the field at run time; here it is the client's error, named.
 */
export function nullArguments(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): InvalidField[] {
  const nulls = Object.keys(variables).filter((k) => variables[k] === null);
  if (nulls.length === 0) return [];
  const out: InvalidField[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const def = typeInfo.getArgument();
        if (node.value.kind !== Kind.VARIABLE || !def || !isNonNullType(def.type)) return;
        if (variables[node.value.name.value] !== null) return;
        const field = node.name.value;
        if (out.some((f) => f.field === field)) return;
        const fallback = def.defaultValue !== undefined ? `; leave it out for its default (${JSON.stringify(def.defaultValue)})` : '';
        out.push({ field, reason: `must not be null${fallback}` });
      },
    }),
  );
  return out;
}

export function inputGuardPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const variables = request.variables ?? {};
          const invalidFields = [...invalidStrings(document, operation, variables), ...nullArguments(schema, document, variables)];
          if (invalidFields.length === 0) return;
          const { message, ...report } = invalidArguments(invalidFields);
          throw new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...report, http: { status: 400 } } });
        },
      };
    },
  };
}
