import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { badInput, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@moim/kit';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  /** Estimated objects returned: each field counts once per parent, connections multiply by their page size. */
  maxCost: number;
}

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

type Fragments = Record<string, FragmentDefinitionNode>;

/** The page size a field asks for: its `first`/`last`, the default for a connection, else 1. */
function pageSizeOf(field: FieldNode, variables: Record<string, unknown>): number {
  for (const arg of field.arguments ?? []) {
    if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
    const size =
      arg.value.kind === Kind.VARIABLE
        ? variables[arg.value.name.value]
        : arg.value.kind === Kind.INT
          ? Number(arg.value.value)
          : undefined;
    if (typeof size !== 'number') continue;
    if (size > MAX_PAGE_SIZE)
      throw badInput(
        `${arg.name.value} on ${field.name.value} must be at most ${MAX_PAGE_SIZE}`,
        arg.name.value,
      );
    return Math.max(size, 0);
  }
  const isConnection = field.selectionSet?.selections.some(
    (s) => s.kind === Kind.FIELD && s.name.value === 'edges',
  );
  return isConnection ? DEFAULT_PAGE_SIZE : 1;
}

/**
 * Measures an operation in one pass. Every quantity is linear in how often a fragment is spread,
 * so each fragment is measured once and reused: a query that spreads fragments into each other
 * costs the walk nothing extra, while its cost estimate still grows as the response would.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): Measure {
  const memo = new Map<string, Measure>();
  const visiting = new Set<string>();

  const measure = (set: SelectionSetNode): Measure => {
    const total: Measure = { depth: 0, aliases: 0, cost: 0 };
    const add = (m: Measure, depthOffset: number, multiplier: number) => {
      total.depth = Math.max(total.depth, m.depth + depthOffset);
      total.aliases += m.aliases;
      total.cost += m.cost * multiplier;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const size = pageSizeOf(selection, variables);
        const child = selection.selectionSet
          ? measure(selection.selectionSet)
          : { depth: 0, aliases: 0, cost: 0 };
        add({ depth: child.depth, aliases: child.aliases + (selection.alias ? 1 : 0), cost: 0 }, 1, 0);
        total.cost += 1 + size * child.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(measure(selection.selectionSet), 0, 1);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (!fragment || visiting.has(name)) continue; // validation reports unknown and cyclic fragments
        if (!memo.has(name)) {
          visiting.add(name);
          memo.set(name, measure(fragment.selectionSet));
          visiting.delete(name);
        }
        add(memo.get(name)!, 0, 1);
      }
    }
    return total;
  };

  return measure(operation.selectionSet);
}

export function checkOperation(
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  limits: Limits,
): void {
  const { depth, aliases, cost } = measureOperation(operation, fragments, variables);
  if (depth > limits.maxDepth)
    throw badInput(`Query is ${depth} levels deep; the limit is ${limits.maxDepth}`);
  if (aliases > limits.maxAliases)
    throw badInput(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`);
  if (cost > limits.maxCost)
    throw badInput(
      `Query could return about ${Math.round(cost)} objects; the limit is ${limits.maxCost}: ask for smaller pages`,
    );
}

/** Refuses queries too deep, too wide through aliases, too costly or asking for pages over the maximum, before planning. */
export function limitsPlugin(limits: Limits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((f) => [f.name.value, f]),
          );
          try {
            checkOperation(operation, fragments, request.variables ?? {}, limits);
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
