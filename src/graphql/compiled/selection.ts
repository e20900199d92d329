import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLField,
  GraphQLIncludeDirective,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLSkipDirective,
  InlineFragmentNode,
  isAbstractType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import { validateSync } from 'class-validator';
import {
  InstanceFilter,
  InstanceLookupArgs,
  InstanceOrder,
  InstancesArgs,
  ResourceFilter,
  ResourceLookupArgs,
  ResourceOrder,
  ResourcesArgs,
} from '../../catalog/catalog.inputs';
import {
  ConnectionValue,
  ConstValue,
  ContainerValue,
  Entry,
  InstanceValue,
  isInstanceScalar,
  isResourceScalar,
  NotCompilable,
  ResourceValue,
  RootValue,
} from '../../catalog/read-compiler';

/**
 * The GraphQL half of the compiled read path: walks a validated operation with its coerced
 * variables as graphql-js's executor would (field collection with fragments, inline
 * fragments, type conditions, @include/@skip, response keys in first-seen order, merged
 * selections of fields that share a response key) and turns it into the selection tree
 * src/catalog/read-compiler.ts compiles to SQL.
 *
 * Whatever it does not know — a field, an argument, an input field (another helper may add
 * them to the schema), a mutation, introspection, an argument the resolvers would refuse —
 * throws {@link NotCompilable}: the request then goes through Apollo and the resolvers,
 * which answer it as they always did (with the same errors).
 */

const QUERY_FIELDS = new Set(['resources', 'resource', 'instance']);
const RESOURCES_ARGS = new Set(['first', 'after', 'filter', 'orderBy']);
const RESOURCE_FILTER_FIELDS = new Set(['search', 'names', 'isDraft', 'architecture', 'peerless']);
const INSTANCE_FILTER_FIELDS = new Set(['search', 'names', 'architecture', 'peerless']);
const ORDER_FIELDS = new Set(['field', 'direction']);
const LOOKUP_RESOURCE_ARGS = new Set(['id', 'name']);
const LOOKUP_INSTANCE_ARGS = new Set(['id', 'ref']);

/** type-graphql's settings for argument validation (src/graphql/schema.ts, plus its own defaults). */
const VALIDATION = { forbidUnknownValues: false, stopAtFirstError: false, skipMissingProperties: true } as const;

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

/** The root selection of a query operation; throws {@link NotCompilable} for anything else. */
export function rootSelection(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Entry<RootValue>[] {
  if (operation.operation !== 'query') throw new NotCompilable('not a query');
  const query = schema.getQueryType();
  if (!query) throw new NotCompilable('no query type');
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const walk: Walk = { schema, fragments, variables };
  return selectObject(walk, query, [operation.selectionSet], (name, nodes, def) => {
    if (!QUERY_FIELDS.has(name)) throw new NotCompilable(`Query.${name}`);
    const node = nodes[0];
    if (name === 'resources') {
      const args = checkedArgs(def, node, walk, RESOURCES_ARGS);
      const filter = inputObject(args.filter, RESOURCE_FILTER_FIELDS, ResourceFilter);
      const orderBy = inputObject(args.orderBy, ORDER_FIELDS, ResourceOrder);
      validated(Object.assign(new ResourcesArgs(), { ...args, filter, orderBy }));
      return {
        kind: 'resources',
        query: { first: args.first as number, after: args.after as string | null | undefined, filter, orderBy },
        connection: connection(walk, def, nodes, resourceNode),
      };
    }
    if (name === 'resource') {
      const args = checkedArgs(def, node, walk, LOOKUP_RESOURCE_ARGS);
      validated(Object.assign(new ResourceLookupArgs(), args));
      return { kind: 'resource', id: args.id as string | null | undefined, name: args.name as string | null | undefined, entries: resourceNode(walk, def, nodes) };
    }
    const args = checkedArgs(def, node, walk, LOOKUP_INSTANCE_ARGS);
    validated(Object.assign(new InstanceLookupArgs(), args));
    return { kind: 'instance', id: args.id as string | null | undefined, ref: args.ref as string | null | undefined, entries: instanceNode(walk, def, nodes) };
  });
}

// ------------------------------------------------------------------ field collection

type FieldFn<V> = (name: string, nodes: FieldNode[], def: GraphQLField<unknown, unknown>) => V;

/** The entries of an object of `type`: one per response key, `__typename` answered here. */
function selectObject<V>(walk: Walk, type: GraphQLObjectType, sets: readonly SelectionSetNode[], field: FieldFn<V>): Entry<V | ConstValue>[] {
  const out: Entry<V | ConstValue>[] = [];
  const fields = type.getFields();
  for (const [key, nodes] of collectFields(walk, type, sets)) {
    const name = nodes[0].name.value;
    if (name === '__typename') {
      out.push({ key, value: { kind: 'const', json: JSON.stringify(type.name) } });
      continue;
    }
    const def = fields[name];
    if (!def) throw new NotCompilable(`${type.name}.${name}`);
    out.push({ key, value: field(name, nodes, def) });
  }
  return out;
}

/** graphql-js's collectFields: response key → its field nodes, in first-seen order. */
function collectFields(walk: Walk, type: GraphQLObjectType, sets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (!included(walk, sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const key = (sel.alias ?? sel.name).value;
        const list = fields.get(key);
        if (list) list.push(sel);
        else fields.set(key, [sel]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (conditionMatches(walk, sel, type)) visit(sel.selectionSet);
      } else {
        const name = sel.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = walk.fragments[name];
        if (fragment && conditionMatches(walk, fragment, type)) visit(fragment.selectionSet);
      }
    }
  };
  for (const s of sets) visit(s);
  return fields;
}

function included(walk: Walk, node: Parameters<typeof getDirectiveValues>[1]): boolean {
  if (!node.directives?.length) return true;
  for (const d of node.directives) {
    if (d.name.value !== 'skip' && d.name.value !== 'include') throw new NotCompilable(`@${d.name.value}`);
  }
  if (getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.if === true) return false;
  if (getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.if === false) return false;
  return true;
}

function conditionMatches(walk: Walk, node: InlineFragmentNode | FragmentDefinitionNode, type: GraphQLObjectType): boolean {
  if (!node.typeCondition) return true;
  const condition = walk.schema.getType(node.typeCondition.name.value);
  if (condition === type) return true;
  return condition !== undefined && isAbstractType(condition) && walk.schema.isSubType(condition, type);
}

/** The merged sub-selections of a response key's field nodes, on the field's (object) type. */
function childOf(def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[]): { type: GraphQLObjectType; sets: SelectionSetNode[] } {
  const type = getNamedType(def.type);
  if (!isObjectType(type)) throw new NotCompilable(`${def.name}: not an object type`);
  return { type, sets: nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : [])) };
}

function leaf(nodes: readonly FieldNode[], def: GraphQLField<unknown, unknown>): void {
  if (def.args.length > 0 || nodes.some((n) => n.arguments?.length)) throw new NotCompilable(`${def.name}: arguments`);
}

// ------------------------------------------------------------------ arguments

/** Coerced arguments (defaults applied); an argument the compiler does not know is NotCompilable. */
function checkedArgs(def: GraphQLField<unknown, unknown>, node: FieldNode, walk: Walk, known: ReadonlySet<string>): Record<string, unknown> {
  let args: Record<string, unknown>;
  try {
    args = getArgumentValues(def, node, walk.variables);
  } catch {
    throw new NotCompilable(`${def.name}: arguments do not coerce`);
  }
  for (const k of Object.keys(args)) if (!known.has(k)) throw new NotCompilable(`${def.name}(${k})`);
  // `first: null` (backward-paging clients null it): the resolvers say what is wrong or page.
  if (known.has('first') && typeof args.first !== 'number') throw new NotCompilable(`${def.name}(first: null)`);
  return args;
}

/** An input object as the resolvers get it (an instance of its class), or null/undefined as given. */
function inputObject<T extends object>(value: unknown, known: ReadonlySet<string>, cls: new () => T): T | null | undefined {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'object') throw new NotCompilable('input object expected');
  for (const k of Object.keys(value)) if (!known.has(k)) throw new NotCompilable(`input field ${k}`);
  return Object.assign(new cls(), value);
}

/** The resolvers' own class-validator checks; a refusal leaves the request to them (and their error). */
function validated(args: object): void {
  if (validateSync(args, VALIDATION).length > 0) throw new NotCompilable('arguments refused by validation');
}

// ------------------------------------------------------------------ connections and nodes

type NodeFn<N> = (walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[]) => Entry<N>[];

function connection<N>(walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[], node: NodeFn<N>): Entry<ConnectionValue<N>>[] {
  const { type, sets } = childOf(def, nodes);
  return selectObject<ConnectionValue<N>>(walk, type, sets, (name, fieldNodes, fieldDef) => {
    switch (name) {
      case 'totalCount':
        leaf(fieldNodes, fieldDef);
        return { kind: 'totalCount' };
      case 'pageInfo': {
        leaf(fieldNodes, fieldDef);
        const info = childOf(fieldDef, fieldNodes);
        return {
          kind: 'pageInfo',
          entries: selectObject(walk, info.type, info.sets, (f, n, d) => {
            if (f !== 'hasNextPage' && f !== 'hasPreviousPage' && f !== 'startCursor' && f !== 'endCursor') throw new NotCompilable(`PageInfo.${f}`);
            leaf(n, d);
            return { kind: 'pageInfo', field: f };
          }),
        };
      }
      case 'edges': {
        leaf(fieldNodes, fieldDef);
        const edge = childOf(fieldDef, fieldNodes);
        return {
          kind: 'edges',
          entries: selectObject(walk, edge.type, edge.sets, (f, n, d) => {
            if (f === 'cursor') {
              leaf(n, d);
              return { kind: 'cursor' };
            }
            if (f === 'node') {
              leaf(n, d);
              return { kind: 'node', entries: node(walk, d, n) };
            }
            throw new NotCompilable(`${edge.type.name}.${f}`);
          }),
        };
      }
      default:
        throw new NotCompilable(`${type.name}.${name}`);
    }
  });
}

function scalarsOf<F extends string>(walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[], known: readonly F[]) {
  leaf(nodes, def);
  const { type, sets } = childOf(def, nodes);
  return selectObject(walk, type, sets, (name, n, d) => {
    if (!(known as readonly string[]).includes(name)) throw new NotCompilable(`${type.name}.${name}`);
    leaf(n, d);
    return { kind: 'scalar' as const, field: name as F };
  });
}

function resourceNode(walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[]): Entry<ResourceValue>[] {
  const { type, sets } = childOf(def, nodes);
  return selectObject<ResourceValue>(walk, type, sets, (name, fieldNodes, fieldDef) => {
    if (name === 'owners') return { kind: 'owners', entries: scalarsOf(walk, fieldDef, fieldNodes, ['name', 'logo'] as const) };
    if (name === 'instances') {
      const args = checkedArgs(fieldDef, fieldNodes[0], walk, RESOURCES_ARGS);
      const filter = inputObject(args.filter, INSTANCE_FILTER_FIELDS, InstanceFilter);
      const orderBy = inputObject(args.orderBy, ORDER_FIELDS, InstanceOrder);
      validated(Object.assign(new InstancesArgs(), { ...args, filter, orderBy }));
      return {
        kind: 'instances',
        query: { first: args.first as number, after: args.after as string | null | undefined, filter, orderBy },
        connection: connection(walk, fieldDef, fieldNodes, instanceNode),
      };
    }
    if (!isResourceScalar(name)) throw new NotCompilable(`${type.name}.${name}`);
    leaf(fieldNodes, fieldDef);
    return { kind: 'scalar', field: name };
  });
}

function instanceNode(walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[]): Entry<InstanceValue>[] {
  const { type, sets } = childOf(def, nodes);
  return selectObject<InstanceValue>(walk, type, sets, (name, fieldNodes, fieldDef) => {
    switch (name) {
      case 'origin':
        return { kind: 'origin', entries: scalarsOf(walk, fieldDef, fieldNodes, ['type', 'ref', 'license', 'verified'] as const) };
      case 'platforms':
        return { kind: 'platforms', entries: scalarsOf(walk, fieldDef, fieldNodes, ['architecture', 'os', 'variant', 'digest', 'size'] as const) };
      case 'access': {
        leaf(fieldNodes, fieldDef);
        const access = childOf(fieldDef, fieldNodes);
        return {
          kind: 'access',
          entries: selectObject(walk, access.type, access.sets, (f, n, d) => {
            if (f !== 'container') throw new NotCompilable(`${access.type.name}.${f}`);
            leaf(n, d);
            return { kind: 'container', entries: container(walk, d, n) };
          }),
        };
      }
      case 'resource':
        leaf(fieldNodes, fieldDef);
        return { kind: 'resource', entries: resourceNode(walk, fieldDef, fieldNodes) };
    }
    if (!isInstanceScalar(name)) throw new NotCompilable(`${type.name}.${name}`);
    leaf(fieldNodes, fieldDef);
    return { kind: 'scalar', field: name };
  });
}

function container(walk: Walk, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[]): Entry<ContainerValue>[] {
  const { type, sets } = childOf(def, nodes);
  return selectObject<ContainerValue>(walk, type, sets, (name, fieldNodes, fieldDef) => {
    if (name === 'env') return { kind: 'env', entries: scalarsOf(walk, fieldDef, fieldNodes, ['name', 'value'] as const) };
    if (name !== 'image' && name !== 'command' && name !== 'args' && name !== 'volumes') throw new NotCompilable(`${type.name}.${name}`);
    leaf(fieldNodes, fieldDef);
    return { kind: 'scalar', field: name };
  });
}
