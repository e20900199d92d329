import { MAX_PAGE_SIZE } from './connection';
import { MAX_NODE_IDS } from './node';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
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
import { ErrorCode } from './errors';

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

export type LimitName = 'depth' | 'cost' | 'aliases' | 'rootFields';

const VARIABLE: Record<LimitName, string> = {
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

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const out = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
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
 * (NoFragmentCyclesRule reports them).
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

/** Deepest nesting below a root field (root fields are at depth 0). */
export function operationDepth(schema: GraphQLSchema, document: DocumentNode, op: OperationDefinitionNode): number {
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
  return visit(op.selectionSet, rootType(schema, op));
}

/** Aliased fields, counted as often as they occur once fragments are expanded. */
export function operationAliases(schema: GraphQLSchema, document: DocumentNode, op: OperationDefinitionNode): number {
  const visit = foldSelections(schema, fragmentsOf(document), (node, _def, _parent, child) => (node.alias ? 1 : 0) + child(), (a, b) => a + b);
  return visit(op.selectionSet, rootType(schema, op));
}

/** Distinct response keys of the root selection set, fragments expanded. */
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
 * The cost of an operation: 1 per field; a field with a `first` argument multiplies the cost
 * of its selections by `first` — the literal, the variable's value (or its default in the
 * operation), or the argument's default.
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
  const visit = foldSelections(
    schema,
    fragmentsOf(document),
    (node, def, _parent, child) => {
      if (!node.selectionSet) return 1;
      return 1 + multiplier(node, def, vars) * child();
    },
    (a, b) => a + b,
  );
  return visit(op.selectionSet, rootType(schema, op));
}

function multiplier(node: FieldNode, def: GraphQLField<unknown, unknown> | undefined, vars: Record<string, unknown>): number {
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
  if (!argDef && !argNode) return 1;
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

/** One check per operation of the document, reported once at the operation. */
function perOperation(check: (ctx: ValidationContext, op: OperationDefinitionNode) => GraphQLError | undefined): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const error = check(context, node);
      if (error) context.reportError(error);
      return false;
    },
  });
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return perOperation((ctx, op) => {
    const depth = operationDepth(ctx.getSchema(), ctx.getDocument(), op);
    return depth > maxDepth
      ? limitError('depth', depth, maxDepth, `${operationLabel(op)} nests fields ${depth} levels deep; at most ${maxDepth} are allowed`, [op])
      : undefined;
  });
}

export function aliasLimitRule(maxAliases: number): ValidationRule {
  return perOperation((ctx, op) => {
    const aliases = operationAliases(ctx.getSchema(), ctx.getDocument(), op);
    return aliases > maxAliases
      ? limitError('aliases', aliases, maxAliases, `${operationLabel(op)} uses ${aliases} aliases; at most ${maxAliases} are allowed`, [op])
      : undefined;
  });
}

export function rootFieldLimitRule(maxRootFields: number): ValidationRule {
  return perOperation((ctx, op) => {
    const fields = operationRootFields(ctx.getDocument(), op);
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

/** The validation rules of the limits that depend on the document only. */
export function limitRules(limits: Pick<GraphQLLimits, 'maxDepth' | 'maxAliases' | 'maxRootFields'>): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth), aliasLimitRule(limits.maxAliases), rootFieldLimitRule(limits.maxRootFields)];
}

/** Refuses an operation whose cost, with its variables, exceeds `maxCost`, before it executes. */
export function costLimitPlugin<T extends object>(maxCost: number): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = operationCost(schema, document, operation, request.variables ?? {});
          if (cost > maxCost) {
            throw limitError(
              'cost',
              cost,
              maxCost,
              `${operationLabel(operation)} would cost ${cost}; at most ${maxCost} is allowed (every field costs 1, and ` +
                'a connection multiplies the cost of what it selects by `first`: ask for fewer items or fewer nested connections)',
              [operation],
            );
          }
        },
      };
    },
  };
}
