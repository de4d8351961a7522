import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getVariableValues,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { badInput, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@moim/kit';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  /** Estimated objects returned: each field counts once per parent, lists multiply by their page size. */
  maxCost: number;
}

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

type Fragments = Record<string, FragmentDefinitionNode>;
const PAGE_ARGUMENTS = ['first', 'last'];

/**
 * The page size a field asks for, from the schema: its `first`/`last` argument as given (inline
 * or through a variable, defaults included) or the argument's default; 1 for a field without one.
 */
function pageSizeOf(
  parent: GraphQLCompositeType | null,
  field: FieldNode,
  variables: Record<string, unknown>,
): number {
  const definition =
    parent && (isObjectType(parent) || isInterfaceType(parent))
      ? parent.getFields()[field.name.value]
      : undefined;
  let size = 1;
  for (const arg of definition?.args ?? []) {
    if (!PAGE_ARGUMENTS.includes(arg.name)) continue;
    const node = field.arguments?.find((a) => a.name.value === arg.name);
    const given = node ? valueFromAST(node.value, arg.type, variables) : undefined;
    // null or nothing means the default page, as the subgraphs serve it.
    const value =
      typeof given === 'number'
        ? given
        : typeof arg.defaultValue === 'number'
          ? arg.defaultValue
          : DEFAULT_PAGE_SIZE;
    if (value > MAX_PAGE_SIZE)
      throw badInput(`${arg.name} on ${field.name.value} must be at most ${MAX_PAGE_SIZE}`, arg.name);
    size = Math.max(value, 0);
  }
  return size;
}

/**
 * Measures an operation in one pass. Every quantity is linear in how often a fragment is spread,
 * so each fragment is measured once and reused: a query that spreads fragments into each other
 * costs the walk nothing extra, while its cost estimate still grows as the response would.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): Measure {
  const memo = new Map<string, Measure>();
  const visiting = new Set<string>();

  const measure = (set: SelectionSetNode, parent: GraphQLCompositeType | null): Measure => {
    const total: Measure = { depth: 0, aliases: 0, cost: 0 };
    const add = (m: Measure, multiplier: number) => {
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.cost += m.cost * multiplier;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const size = pageSizeOf(parent, selection, variables);
        const fieldType =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[selection.name.value]?.type
            : undefined;
        const childType = fieldType ? getNamedType(fieldType) : undefined;
        const child = selection.selectionSet
          ? measure(selection.selectionSet, childType && isCompositeType(childType) ? childType : null)
          : { depth: 0, aliases: 0, cost: 0 };
        total.depth = Math.max(total.depth, child.depth + 1);
        total.aliases += child.aliases + (selection.alias ? 1 : 0);
        total.cost += 1 + size * child.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(measure(selection.selectionSet, type && isCompositeType(type) ? type : null), 1);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (!fragment || visiting.has(name)) continue; // validation reports unknown and cyclic fragments
        if (!memo.has(name)) {
          visiting.add(name);
          const type = schema.getType(fragment.typeCondition.name.value);
          memo.set(name, measure(fragment.selectionSet, type && isCompositeType(type) ? type : null));
          visiting.delete(name);
        }
        add(memo.get(name)!, 1);
      }
    }
    return total;
  };

  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  return measure(operation.selectionSet, root ?? null);
}

export function checkOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  rawVariables: Record<string, unknown>,
  limits: Limits,
): void {
  // Coerce as execution will, so variable defaults count as much as values sent.
  const { coerced, errors } = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  if (errors?.length) return; // execution reports bad variables itself
  const { depth, aliases, cost } = measureOperation(schema, operation, fragments, coerced ?? {});
  if (depth > limits.maxDepth)
    throw badInput(`Query is ${depth} levels deep; the limit is ${limits.maxDepth}`);
  if (aliases > limits.maxAliases)
    throw badInput(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`);
  if (cost > limits.maxCost)
    throw badInput(
      `Query could return about ${Math.round(cost)} objects; the limit is ${limits.maxCost}: ask for smaller pages`,
    );
}

const isIntrospectionOnly = (operation: OperationDefinitionNode) =>
  operation.operation === 'query' &&
  operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'));

/** Refuses queries too deep, too wide through aliases, too costly or asking for pages over the maximum, before planning. */
export function limitsPlugin(limits: Limits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          // Schema introspection (the explorer's) is deep by nature and cheap: leave it be.
          if (!operation || isIntrospectionOnly(operation)) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((f) => [f.name.value, f]),
          );
          try {
            checkOperation(schema, operation, fragments, request.variables ?? {}, limits);
          } catch (err) {
            // A refused query is the client's fault: 400, not the 500 a throwing plugin gets by default.
            const { message, extensions } = err as GraphQLError;
            throw new GraphQLError(message, { extensions: { ...extensions, http: { status: 400 } } });
          }
        },
      };
    },
  };
}
