import { Field, ID, InterfaceType } from 'type-graphql';

/** Most ids one `nodes(ids:)` call may ask for (one SQL statement per type serves them all). */
export const MAX_NODE_IDS = 100;

/** The GraphQL type name a loaded object is resolved to (set by the node loader). */
export const NODE_TYPE = Symbol('nodeType');

export type NodeTypeName = 'ProcessingResource' | 'ProcessingInstance' | 'TrackedImage' | 'ScrapeRun';

/**
 * Global object identification (the GraphQL Global Object Identification spec, used by
 * Relay, Apollo Client and urql to refetch and normalise objects). Ids stay the uuids every
 * table already has: they are generated as uuid v7 (48-bit time + 74 random bits) in one
 * namespace, so an id names one object across all types; `node(id:)` finds which.
 */
@InterfaceType('Node', {
  description:
    'An object with a globally unique id: `node(id:)` refetches it. Ids are uuids, unique across every type (no type prefix needed).',
  resolveType: (value: { [NODE_TYPE]?: NodeTypeName }) => value[NODE_TYPE],
})
export abstract class Node {
  @Field(() => ID, { description: 'Globally unique, stable identifier (a uuid); never changes.' })
  id: string;
}
