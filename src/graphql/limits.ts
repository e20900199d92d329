import { MAX_PAGE_SIZE } from './connection';
import { MAX_NODE_IDS } from './node';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  defaultFieldResolver,
  getNamedType,
  GraphQLResolveInfo,
  getNullableType,
  isListType,
  GraphQLError,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  isInputType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SchemaMetaFieldDef,
  SelectionSetNode,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  typeFromAST,
  ValidationContext,
  ValidationRule,
  valueFromAST,
  ValueNode,
} from 'graphql';
import type { GraphQLLimits } from '../config/config';
import { ErrorCode, requestScope } from './errors';

/**
 * Abuse limits, checked on the parsed document before anything runs: no resolver is called
 * and no SQL is sent for a refused operation. Each refusal is a GraphQL error with
 * `extensions.code = QUERY_TOO_COMPLEX`, `limit`, `maximum` and `actual`, and HTTP 400.
 *
 * - depth (GRAPHQL_MAX_DEPTH): how far fields nest below a root field. `{ resources { totalCount } }`
 *   is 1 deep, `{ resources { edges { node { name } } } }` 3. `__Type.ofType` adds no depth: a
 *   type reference is a chain of at most a few wrappers that cannot fan out (introspection
 *   queries nest it 7–9 times), while graphql-js's MaxIntrospectionDepthRule bounds the
 *   introspection fields that can.
 * - aliases (GRAPHQL_MAX_ALIASES): aliased fields in the operation, fragments counted as often
 *   as they are spread.
 * - root fields (GRAPHQL_MAX_ROOT_FIELDS): distinct response keys at the root.
 * - cost (GRAPHQL_MAX_COST): every field costs 1; a field with a `first` argument (a
 *   connection) multiplies the cost of what it selects by `first` (its default when absent,
 *   variables resolved), or by `last` when that is given; `nodes(ids:)` by the number of ids. The cost depends on the variables, which graphql-js validation does
 *   not see and Apollo caches validation per document, so it runs as the
 *   `didResolveOperation` hook of {@link costLimitPlugin}: still before execution.
 *
 * Batch size (GRAPHQL_MAX_BATCH) and body size (GRAPHQL_MAX_BODY_BYTES) are enforced by the
 * HTTP server (src/http/server.ts) before Apollo sees the request.
 */

export type LimitName = 'depth' | 'cost' | 'aliases' | 'rootFields' | 'nesting';

const VARIABLE: Record<LimitName, string> = {
  nesting: 'GRAPHQL_MAX_PARSE_DEPTH',
  depth: 'GRAPHQL_MAX_DEPTH',
  cost: 'GRAPHQL_MAX_COST',
  aliases: 'GRAPHQL_MAX_ALIASES',
  rootFields: 'GRAPHQL_MAX_ROOT_FIELDS',
};

export function limitError(limit: LimitName, actual: number, maximum: number, message: string, nodes?: readonly OperationDefinitionNode[]) {
  return new GraphQLError(`${message} (limit ${VARIABLE[limit]}=${maximum}).`, {
    nodes,
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, maximum, actual, http: { status: 400 } },
  });
}

function operationLabel(op: OperationDefinitionNode): string {
  return op.name ? `Operation "${op.name.value}"` : `The ${op.operation}`;
}

// ------------------------------------------------------------------ walking

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

const FRAGMENTS = new WeakMap<DocumentNode, Map<string, FragmentDefinitionNode>>();

/** The fragments of a document by name, computed once per document (not once per operation). */
function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  let out = FRAGMENTS.get(document);
  if (!out) {
    out = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
    FRAGMENTS.set(document, out);
  }
  return out;
}

/** The definition of a field of `parent`, meta fields included; undefined when unknown. */
function fieldDef(schema: GraphQLSchema, parent: GraphQLNamedType | undefined, node: FieldNode): GraphQLField<unknown, unknown> | undefined {
  const name = node.name.value;
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === '__schema') return SchemaMetaFieldDef;
    if (name === '__type') return TypeMetaFieldDef;
  }
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name];
  return undefined;
}

function typeCondition(schema: GraphQLSchema, node: { typeCondition?: { name: { value: string } } }, fallback: GraphQLNamedType | undefined) {
  return node.typeCondition ? schema.getType(node.typeCondition.name.value) : fallback;
}

function rootType(schema: GraphQLSchema, op: OperationDefinitionNode): GraphQLNamedType | undefined {
  return (op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()) ?? undefined;
}

/**
 * A fold over an operation's selections with fragments expanded, each fragment computed
 * once (fragment "bombs" that spread each other many times stay linear) and cycles cut
 * (NoFragmentCyclesRule reports them). Reuse one fold for every operation of a document:
 * its fragment memo is shared, so a document of many operations spreading the same
 * fragments stays linear too.
 */
function foldSelections(
  schema: GraphQLSchema,
  fragments: Fragments,
  onField: (node: FieldNode, def: GraphQLField<unknown, unknown> | undefined, parent: GraphQLNamedType | undefined, child: () => number) => number,
  combine: (a: number, b: number) => number,
) {
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
    let acc = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const def = fieldDef(schema, parent, sel);
        const childType = def ? getNamedType(def.type) : undefined;
        acc = combine(acc, onField(sel, def, parent, () => (sel.selectionSet ? visit(sel.selectionSet, childType) : 0)));
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        acc = combine(acc, visit(sel.selectionSet, typeCondition(schema, sel, parent)));
      } else {
        const name = sel.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue;
        let value = memo.get(name);
        if (value === undefined) {
          inProgress.add(name);
          value = visit(fragment.selectionSet, typeCondition(schema, fragment, parent));
          inProgress.delete(name);
          memo.set(name, value);
        }
        acc = combine(acc, value);
      }
    }
    return acc;
  };
  return visit;
}

// ------------------------------------------------------------------ measures

type Measure = (op: OperationDefinitionNode) => number;

/** Deepest nesting below a root field (root fields are at depth 0), for every operation of a document. */
function depthMeasure(schema: GraphQLSchema, document: DocumentNode): Measure {
  const visit = foldSelections(
    schema,
    fragmentsOf(document),
    (node, _def, parent, child) => {
      if (!node.selectionSet) return 0;
      const free = parent?.name === '__Type' && node.name.value === 'ofType';
      return (free ? 0 : 1) + child();
    },
    Math.max,
  );
  return (op) => visit(op.selectionSet, rootType(schema, op));
}

/** Aliased fields, counted as often as they occur once fragments are expanded. */
function aliasMeasure(schema: GraphQLSchema, document: DocumentNode): Measure {
  const visit = foldSelections(schema, fragmentsOf(document), (node, _def, _parent, child) => (node.alias ? 1 : 0) + child(), (a, b) => a + b);
  return (op) => visit(op.selectionSet, rootType(schema, op));
}

/**
 * Nesting of selection sets, counting fragment spreads and inline fragments as a level
 * each: a chain of fragments that spread each other is as deep as the chain is long.
 */
function nestingMeasure(schema: GraphQLSchema, document: DocumentNode): Measure {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (set: SelectionSetNode): number => {
    let deepest = 0;
    for (const sel of set.selections) {
      let d = 0;
      if (sel.kind === Kind.FIELD) d = sel.selectionSet ? 1 + visit(sel.selectionSet) : 0;
      else if (sel.kind === Kind.INLINE_FRAGMENT) d = 1 + visit(sel.selectionSet);
      else {
        const name = sel.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue;
        let value = memo.get(name);
        if (value === undefined) {
          inProgress.add(name);
          value = visit(fragment.selectionSet);
          inProgress.delete(name);
          memo.set(name, value);
        }
        d = 1 + value;
      }
      if (d > deepest) deepest = d;
    }
    return deepest;
  };
  void schema;
  return (op) => 1 + visit(op.selectionSet);
}

/** Deepest nesting below a root field (root fields are at depth 0). */
export function operationDepth(schema: GraphQLSchema, document: DocumentNode, op: OperationDefinitionNode): number {
  return depthMeasure(schema, document)(op);
}

/** Aliased fields, counted as often as they occur once fragments are expanded. */
export function operationAliases(schema: GraphQLSchema, document: DocumentNode, op: OperationDefinitionNode): number {
  return aliasMeasure(schema, document)(op);
}

/**
 * Distinct response keys of the root selection set, fragments expanded. Linear in the
 * operation and the fragments it spreads (each at most once).
 */
export function operationRootFields(document: DocumentNode, op: OperationDefinitionNode): number {
  const fragments = fragmentsOf(document);
  const keys = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) keys.add((sel.alias ?? sel.name).value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet);
      else if (!seen.has(sel.name.value) && fragments.has(sel.name.value)) {
        seen.add(sel.name.value);
        visit(fragments.get(sel.name.value)!.selectionSet);
      }
    }
  };
  visit(op.selectionSet);
  return keys.size;
}

/**
 * Estimated sizes of the list fields that take no `first`: what one item of them costs is
 * multiplied by this. Unknown lists count {@link DEFAULT_LIST_SIZE}. The edges of a
 * connection count 1: the connection's `first` already multiplies them. An answer with
 * more items than estimated is charged the difference while it executes (see
 * {@link chargeActualSizes}), so a tag with 10,000 platforms cannot pass at the price of 4 (multi-arch
 * official images have 2–8; 8 priced the frontends' canonical 50 × 10 list at 12,601, over the limit).
 */
export const LIST_SIZE_ESTIMATES: Readonly<Record<string, number>> = {
  'ProcessingInstance.platforms': 4,
  'ProcessingInstance.editedFields': 4,
  'ProcessingResource.editedFields': 4,
  'ProcessingResource.owners': 1,
  'Container.command': 4,
  'Container.args': 4,
  'Container.env': 4,
  'Container.volumes': 4,
  'ScrapeRun.results': 50,
  'TrackedImagesPayload.trackedImages': 50,
  'SetTrackedImagesPayload.added': 50,
  'SetTrackedImagesPayload.removed': 50,
  'SetTrackedImagesPayload.trackedImages': 50,
};
export const DEFAULT_LIST_SIZE = 10;

/**
 * Large text fields: they cost 1 per started {@link TEXT_UNIT} characters, estimated at this
 * many units before execution (5,000 characters; a Docker Hub full description runs to ~25,000),
 * and charged for their actual length while executing.
 */
export const TEXT_COST_ESTIMATES: Readonly<Record<string, number>> = {
  'ProcessingResource.description': 50,
};
export const TEXT_UNIT = 100;

function coordinate(parent: GraphQLNamedType | undefined, node: FieldNode): string {
  return `${parent?.name ?? '?'}.${node.name.value}`;
}

/** How many times a list field's items are counted, before execution. */
function listEstimate(parent: GraphQLNamedType | undefined, node: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number {
  if (!def || !isListType(getNullableType(def.type))) return 1;
  if (node.name.value === 'edges' && parent?.name.endsWith('Connection')) return 1;
  if (parent?.name.startsWith('__')) return 1; // introspection: bounded by the schema, and by MaxIntrospectionDepthRule
  return LIST_SIZE_ESTIMATES[coordinate(parent, node)] ?? DEFAULT_LIST_SIZE;
}

/**
 * The cost of an operation: 1 per field; a field with a `first` argument multiplies the cost
 * of its selections by `first` — the literal, the variable's value (or its default in the
 * operation), or the argument's default; any other list field multiplies the cost of one
 * item (at least 1) by its estimated size ({@link LIST_SIZE_ESTIMATES}); large text fields
 * cost their estimate ({@link TEXT_COST_ESTIMATES}).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  op: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): number {
  const defaults: Record<string, unknown> = {};
  for (const v of op.variableDefinitions ?? []) {
    const type = typeFromAST(schema, v.type);
    if (v.defaultValue && type && isInputType(type)) defaults[v.variable.name.value] = valueFromAST(v.defaultValue, type);
  }
  const vars = { ...defaults, ...variables };
  const visit = foldSelections(schema, fragmentsOf(document), (node, def, parent, child) => fieldCost(node, def, parent, child, vars), (a, b) => a + b);
  return visit(op.selectionSet, rootType(schema, op));
}

function fieldCost(
  node: FieldNode,
  def: GraphQLField<unknown, unknown> | undefined,
  parent: GraphQLNamedType | undefined,
  child: () => number,
  vars: Record<string, unknown>,
): number {
  const text = TEXT_COST_ESTIMATES[coordinate(parent, node)];
  if (text !== undefined) return text;
  const first = multiplier(node, def, vars);
  if (first !== undefined) return 1 + first * child();
  const items = listEstimate(parent, node, def);
  if (items !== 1) return 1 + items * Math.max(1, child());
  return node.selectionSet ? 1 + child() : 1;
}

/** `first` (or `last`) of a connection field, the number of `ids` of `nodes`, or undefined when the field has none. */
function multiplier(node: FieldNode, def: GraphQLField<unknown, unknown> | undefined, vars: Record<string, unknown>): number | undefined {
  // `last` (backward paging) counts as `first` does; `ids` (nodes) by how many ids it lists.
  const last = node.arguments?.find((a) => a.name.value === 'last');
  const lastValue = last ? literal(last.value, vars) : undefined;
  if (typeof lastValue === 'number' && Number.isFinite(lastValue)) return Math.min(MAX_PAGE_SIZE, Math.max(0, Math.floor(lastValue)));
  const ids = node.arguments?.find((a) => a.name.value === 'ids');
  if (ids) {
    const list = ids.value.kind === Kind.LIST ? ids.value.values : ids.value.kind === Kind.VARIABLE ? vars[ids.value.name.value] : undefined;
    return Array.isArray(list) ? Math.min(MAX_NODE_IDS, Math.max(1, list.length)) : 1;
  }
  const argDef = def?.args.find((a) => a.name === 'first');
  const argNode = node.arguments?.find((a) => a.name.value === 'first');
  if (!argDef && !argNode) return undefined;
  let value: unknown = argNode ? literal(argNode.value, vars) : undefined;
  if (value === undefined || value === null) value = argDef?.defaultValue;
  // Clamped to the page size limit: a larger `first` is refused by argument validation with
  // BAD_USER_INPUT naming the argument, which says more than a cost figure would.
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(MAX_PAGE_SIZE, Math.max(0, Math.floor(value))) : 1;
}

function literal(node: ValueNode, vars: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return vars[node.name.value];
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.NULL) return null;
  return undefined;
}

// ------------------------------------------------------------------ rules and plugin

/**
 * One check per operation of the document, reported once at the operation. `prepare` runs
 * once per document (a fold whose fragment memo all operations share): linear in the
 * document, however many operations it holds.
 */
function perOperation<P>(
  prepare: (ctx: ValidationContext) => P,
  check: (prepared: P, op: OperationDefinitionNode) => GraphQLError | undefined,
): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let prepared: { value: P } | undefined;
    return {
      OperationDefinition(node) {
        prepared ??= { value: prepare(context) };
        const error = check(prepared.value, node);
        if (error) context.reportError(error);
        return false;
      },
    };
  };
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return perOperation((ctx) => depthMeasure(ctx.getSchema(), ctx.getDocument()), (measure, op) => {
    const depth = measure(op);
    return depth > maxDepth
      ? limitError('depth', depth, maxDepth, `${operationLabel(op)} nests fields ${depth} levels deep; at most ${maxDepth} are allowed`, [op])
      : undefined;
  });
}

export function aliasLimitRule(maxAliases: number): ValidationRule {
  return perOperation((ctx) => aliasMeasure(ctx.getSchema(), ctx.getDocument()), (measure, op) => {
    const aliases = measure(op);
    return aliases > maxAliases
      ? limitError('aliases', aliases, maxAliases, `${operationLabel(op)} uses ${aliases} aliases; at most ${maxAliases} are allowed`, [op])
      : undefined;
  });
}

export function rootFieldLimitRule(maxRootFields: number): ValidationRule {
  return perOperation((ctx) => ctx.getDocument(), (document, op) => {
    const fields = operationRootFields(document, op);
    return fields > maxRootFields
      ? limitError(
          'rootFields',
          fields,
          maxRootFields,
          `${operationLabel(op)} asks for ${fields} root fields; at most ${maxRootFields} are allowed`,
          [op],
        )
      : undefined;
  });
}

/**
 * Selection sets and fragments nested deeper than GRAPHQL_MAX_PARSE_DEPTH: the source scan
 * ({@link sourceGuardPlugin}) sees braces, not a chain of fragments spreading each other.
 */
export function nestingLimitRule(maxNesting: number): ValidationRule {
  return perOperation((ctx) => nestingMeasure(ctx.getSchema(), ctx.getDocument()), (measure, op) => {
    const nesting = measure(op);
    return nesting > maxNesting
      ? limitError(
          'nesting',
          nesting,
          maxNesting,
          `${operationLabel(op)} nests selections and fragments ${nesting} levels deep; at most ${maxNesting} are allowed`,
          [op],
        )
      : undefined;
  });
}

/** The validation rules of the limits that depend on the document only. */
export function limitRules(limits: Pick<GraphQLLimits, 'maxDepth' | 'maxAliases' | 'maxRootFields' | 'maxParseDepth'>): ValidationRule[] {
  return [
    nestingLimitRule(limits.maxParseDepth),
    depthLimitRule(limits.maxDepth),
    aliasLimitRule(limits.maxAliases),
    rootFieldLimitRule(limits.maxRootFields),
  ];
}

// ------------------------------------------------------------------ before parsing

/**
 * The deepest nesting of `{`, `[` and `(` in a GraphQL source, strings and comments
 * skipped; stops counting once past `limit`. One pass, no recursion: graphql-js parses
 * recursively, and thousands of nested selections or list literals overflow its stack.
 */
export function sourceNesting(source: string, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  const n = source.length;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x7b || c === 0x5b || c === 0x28) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      if (depth > 0) depth--;
    } else if (c === 0x23) {
      while (i < n && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22) {
      if (source.startsWith('"""', i)) {
        i += 3;
        while (i < n && !source.startsWith('"""', i)) i += source.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < n) {
          const d = source.charCodeAt(i);
          if (d === 0x5c) i += 2;
          else if (d === 0x22 || d === 0x0a || d === 0x0d) break;
          else i++;
        }
      }
    }
  }
  return deepest;
}

/** The refusal of a source nested deeper than `maxParseDepth`: GRAPHQL_PARSE_FAILED, HTTP 400. */
export function nestingError(maxParseDepth: number): GraphQLError {
  return new GraphQLError(
    `Syntax Error: the document nests brackets more than ${maxParseDepth} levels deep (limit GRAPHQL_MAX_PARSE_DEPTH=${maxParseDepth}). Parsing aborted.`,
    { extensions: { code: 'GRAPHQL_PARSE_FAILED', limit: 'nesting', maximum: maxParseDepth, http: { status: 400 } } },
  );
}
/** What a request (all operations of a batch together) has spent of its cost budget. */
interface Budget {
  spent: number;
  readonly max: number;
}

/**
 * One budget per request: keyed by the HTTP request's scope (src/http/server.ts runs each
 * request in one; Apollo gives each operation of a batch its own copy of the context), or
 * by the context outside HTTP.
 */
const BUDGETS = new WeakMap<object, Budget>();

function budgetKey(context: unknown): object | undefined {
  return requestScope.getStore() ?? (context && typeof context === 'object' ? context : undefined);
}

function budgetOf(context: object, maxCost: number): Budget {
  const key = budgetKey(context)!;
  let budget = BUDGETS.get(key);
  if (!budget) {
    budget = { spent: 0, max: maxCost };
    BUDGETS.set(key, budget);
  }
  return budget;
}

/**
 * Refuses an operation whose cost, with its variables, exceeds what is left of the
 * request's budget of `maxCost`, before it executes. The operations of a batch share one
 * budget: ten operations near the limit do not get ten times it.
 */
export function costLimitPlugin<T extends object>(maxCost: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables ?? {});
          const budget = budgetOf(contextValue, maxCost);
          const before = budget.spent;
          budget.spent += cost;
          if (budget.spent > maxCost) {
            const shared = before > 0 ? ` (with the ${before} already spent by the other operations of this batch)` : '';
            throw limitError(
              'cost',
              budget.spent,
              maxCost,
              `${operationLabel(operation)} would cost ${cost}${shared}; at most ${maxCost} is allowed per request (every field costs 1, ` +
                'a connection multiplies the cost of what it selects by `first`, other lists by their estimated size: ' +
                'ask for fewer items or fewer nested connections)',
              [operation],
            );
          }
        },
      };
    },
  };
}

const CHARGED = Symbol('catalog-sync.chargedField');
const ITEM_COSTS = new WeakMap<FieldNode, number>();

/**
 * Makes the cost limit hold for what an answer really holds: the list and text fields
 * that are estimated before execution ({@link LIST_SIZE_ESTIMATES}, {@link TEXT_COST_ESTIMATES})
 * charge the request's budget for whatever exceeds their estimate once resolved. Past the
 * budget the field fails with QUERY_TOO_COMPLEX (its path says which), instead of the
 * process building an answer of any size. Only these few fields are wrapped; idempotent.
 */
export function chargeActualSizes(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const text = TEXT_COST_ESTIMATES[key];
      const isList = isListType(getNullableType(field.type));
      if (text === undefined && (!isList || field.args.some((a) => a.name === 'first') || (field.name === 'edges' && type.name.endsWith('Connection')))) continue;
      if ((field as { [CHARGED]?: boolean })[CHARGED]) continue;
      const estimate = text ?? LIST_SIZE_ESTIMATES[key] ?? DEFAULT_LIST_SIZE;
      const original = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const value = original(source, args, context, info);
        return value instanceof Promise ? value.then((v) => charge(v, estimate, key, context, info)) : charge(value, estimate, key, context, info);
      };
      (field as { [CHARGED]?: boolean })[CHARGED] = true;
    }
  }
}

function charge(value: unknown, estimate: number, key: string, context: unknown, info: GraphQLResolveInfo): unknown {
  const owner = budgetKey(context);
  const budget = owner ? BUDGETS.get(owner) : undefined;
  if (!budget) return value;
  let extra = 0;
  let what = '';
  if (Array.isArray(value) && value.length > estimate) {
    extra = (value.length - estimate) * itemCost(info);
    what = `${key} holds ${value.length} items where ${estimate} were estimated`;
  } else if (typeof value === 'string' && value.length > estimate * TEXT_UNIT) {
    extra = Math.ceil(value.length / TEXT_UNIT) - estimate;
    what = `${key} holds ${value.length} characters where ${estimate * TEXT_UNIT} were estimated`;
  }
  if (extra === 0) return value;
  budget.spent += extra;
  if (budget.spent > budget.max) {
    const error = limitError('cost', budget.spent, budget.max, `The answer grew past the cost limit while it was computed: ${what}`);
    delete (error.extensions as { http?: unknown }).http;
    throw error;
  }
  return value;
}

/** The cost of one item of a list field: its selections (at least 1). */
function itemCost(info: GraphQLResolveInfo): number {
  const node = info.fieldNodes[0];
  let cost = ITEM_COSTS.get(node);
  if (cost === undefined) {
    const fragments = new Map(Object.entries(info.fragments));
    const visit = foldSelections(info.schema, fragments, (n, def, parent, child) => fieldCost(n, def, parent, child, info.variableValues), (a, b) => a + b);
    cost = Math.max(1, node.selectionSet ? visit(node.selectionSet, getNamedType(info.returnType)) : 1);
    ITEM_COSTS.set(node, cost);
  }
  return cost;
}
