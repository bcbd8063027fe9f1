// Which subgraph alone can serve a subscription, read from the supergraph's join directives.
//
// A subscription may skip the gateway's planner and go straight to one subgraph when that subgraph
// resolves its whole selection set by itself: the root field is owned by the subgraph, and every field
// reached is resolvable there without an entity jump (join spec v0.3+: a field without @join__field is
// resolvable in every graph of its type's @join__type; with @join__field, only in the graphs named, and
// not where it is `external`, `requires` other fields or was overridden away). Anything else - abstract
// types the subgraph may not know every member of, @defer/@stream, interface objects - is left to the
// gateway, which plans it as before. Being conservative only costs the fast path, never correctness.

import {
  Kind,
  buildASTSchema,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isUnionType,
  parse,
} from 'graphql';

const DEFERRING = new Set(['defer', 'stream']);

function argument(directive, name) {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  const { value } = arg;
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.NULL) return null;
  return value.value; // enum values and strings
}

const named = (node, name) => (node.directives ?? []).filter((d) => d.name.value === name);

/** The join metadata of a supergraph SDL: graphs, which graphs each type and field live in. */
export function supergraphIndex(sdl) {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  const graphs = new Map(); // join__Graph value -> { name, url }
  const types = new Map(); // type name -> { graphs: Set, interfaceObject: bool, fields: Map(name -> [join__field]) }
  const unionMembers = new Map(); // union -> Set("GRAPH member")
  const implementations = new Map(); // type -> Set("GRAPH interface")
  const typeInfo = (name) => {
    if (!types.has(name)) types.set(name, { graphs: new Set(), interfaceObject: false, fields: new Map() });
    return types.get(name);
  };
  for (const def of document.definitions) {
    if (!def.name) continue;
    const name = def.name.value;
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && name === 'join__Graph') {
      for (const value of def.values ?? []) {
        const [graph] = named(value, 'join__graph');
        if (graph) graphs.set(value.name.value, { name: argument(graph, 'name'), url: argument(graph, 'url') });
      }
      continue;
    }
    const info = typeInfo(name);
    for (const d of named(def, 'join__type')) {
      info.graphs.add(argument(d, 'graph'));
      if (argument(d, 'isInterfaceObject') === true) info.interfaceObject = true;
    }
    for (const d of named(def, 'join__unionMember')) {
      if (!unionMembers.has(name)) unionMembers.set(name, new Set());
      unionMembers.get(name).add(`${argument(d, 'graph')} ${argument(d, 'member')}`);
    }
    for (const d of named(def, 'join__implements')) {
      if (!implementations.has(name)) implementations.set(name, new Set());
      implementations.get(name).add(`${argument(d, 'graph')} ${argument(d, 'interface')}`);
    }
    for (const field of def.fields ?? []) {
      const joins = named(field, 'join__field').map((d) => ({
        graph: argument(d, 'graph'),
        external: argument(d, 'external') === true,
        requires: argument(d, 'requires') != null,
        usedOverridden: argument(d, 'usedOverridden') === true,
      }));
      const known = info.fields.get(field.name.value) ?? [];
      info.fields.set(field.name.value, [...known, ...joins]);
    }
  }
  return { schema, graphs, types, unionMembers, implementations };
}

function inGraph(index, typeName, graph) {
  const info = index.types.get(typeName);
  return Boolean(info && info.graphs.has(graph) && !info.interfaceObject);
}

/** May `graph` resolve `typeName.fieldName` by itself? */
function resolvable(index, typeName, fieldName, graph) {
  if (!inGraph(index, typeName, graph)) return false;
  const joins = index.types.get(typeName).fields.get(fieldName) ?? [];
  if (joins.length === 0) return true;
  const here = joins.find((j) => j.graph === graph);
  return Boolean(here && !here.external && !here.requires && !here.usedOverridden);
}

/** Does `graph` know every possible type of an abstract type, as a member/implementation? */
function knowsEveryMember(index, type, graph) {
  if (!inGraph(index, type.name, graph)) return false;
  for (const member of index.schema.getPossibleTypes(type)) {
    if (!inGraph(index, member.name, graph)) return false;
    const relation = isUnionType(type)
      ? index.unionMembers.get(type.name)?.has(`${graph} ${member.name}`)
      : index.implementations.get(member.name)?.has(`${graph} ${type.name}`);
    if (!relation) return false;
  }
  return true;
}

function servedBy(index, fragments, type, selectionSet, graph, seen) {
  for (const selection of selectionSet.selections) {
    if ((selection.directives ?? []).some((d) => DEFERRING.has(d.name.value))) return false;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name.startsWith('__')) continue; // __typename: every subgraph answers it
      if (!resolvable(index, type.name, name, graph)) return false;
      const field = type.getFields()[name];
      if (!field) return false;
      const result = getNamedType(field.type);
      if (!isCompositeType(result)) continue;
      if (isAbstractType(result) && !knowsEveryMember(index, result, graph)) return false;
      if (!selection.selectionSet || !servedBy(index, fragments, result, selection.selectionSet, graph, seen)) {
        return false;
      }
      continue;
    }
    const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
    if (!fragment) return false;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (seen.has(fragment)) continue; // validation has ruled out cycles; one visit per spread path is enough
      seen = new Set(seen).add(fragment);
    }
    const condition = fragment.typeCondition ? index.schema.getType(fragment.typeCondition.name.value) : type;
    if (!condition || !inGraph(index, condition.name, graph)) return false;
    if (!servedBy(index, fragments, condition, fragment.selectionSet, graph, seen)) return false;
  }
  return true;
}

/**
 * The one subgraph ({ name, url }) that serves the whole subscription `operationName` of a (valid)
 * `document`, or null when it needs more than one, or is not a subscription.
 */
export function singleSubgraph(index, document, operationName) {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = index.schema.getSubscriptionType();
  if (!operation || operation.operation !== 'subscription' || !root) return null;
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const owners = new Set();
  const collect = (selectionSet) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const joins = index.types.get(root.name)?.fields.get(selection.name.value) ?? [];
        const graphs = joins.length ? joins.map((j) => j.graph) : [...(index.types.get(root.name)?.graphs ?? [])];
        if (graphs.length !== 1) owners.add(null); // none or several: let the planner choose
        else owners.add(graphs[0]);
      } else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  if (owners.size !== 1) return null;
  const [graph] = owners;
  if (graph == null || !index.graphs.has(graph)) return null;
  if (!servedBy(index, fragments, root, operation.selectionSet, graph, new Set())) return null;
  return index.graphs.get(graph);
}
