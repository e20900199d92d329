import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * The names of the fields selected under `path` below the current field, fragments
 * included: `selectedFields(info, ['edges', 'node'])` on a connection field. Services use
 * it to read only the columns a query asks for (a full description can be 25 KB).
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
  for (const segment of path) {
    sets = fieldsIn(sets, info.fragments)
      .filter((f) => f.name.value === segment)
      .flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
  }
  return new Set(fieldsIn(sets, info.fragments).map((f) => f.name.value));
}

function fieldsIn(sets: readonly SelectionSetNode[], fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const out: FieldNode[] = [];
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const sel of set.selections) {
      if (sel.kind === 'Field') out.push(sel);
      else if (sel.kind === 'InlineFragment') visit(sel.selectionSet, seen);
      else if (!seen.has(sel.name.value) && fragments[sel.name.value]) {
        seen.add(sel.name.value);
        visit(fragments[sel.name.value].selectionSet, seen);
      }
    }
  };
  for (const s of sets) visit(s, new Set());
  return out;
}
