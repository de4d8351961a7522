import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { badInput, MAX_PAGE_SIZE } from '@moim/kit';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
}

interface Walk {
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  aliases: number;
}

function argumentValue(value: ValueNode, variables: Record<string, unknown>): unknown {
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  if (value.kind === Kind.INT) return Number(value.value);
  return undefined;
}

/** Returns the depth of a selection set, checking page sizes and counting aliases on the way. */
function depthOf(set: SelectionSetNode, walk: Walk, seen: Set<string>): number {
  let deepest = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.alias) walk.aliases++;
      for (const arg of selection.arguments ?? []) {
        if (arg.name.value !== 'first' && arg.name.value !== 'last') continue;
        const size = argumentValue(arg.value, walk.variables);
        if (typeof size === 'number' && size > MAX_PAGE_SIZE)
          throw badInput(
            `${arg.name.value} on ${selection.name.value} must be at most ${MAX_PAGE_SIZE}`,
            arg.name.value,
          );
      }
      deepest = Math.max(
        deepest,
        selection.selectionSet ? 1 + depthOf(selection.selectionSet, walk, seen) : 1,
      );
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, walk, seen));
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments[name];
      if (!fragment || seen.has(name)) continue; // validation reports unknown or cyclic fragments
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, walk, new Set([...seen, name])));
    }
  }
  return deepest;
}

export function checkOperation(
  operation: OperationDefinitionNode,
  fragments: Walk['fragments'],
  variables: Record<string, unknown>,
  limits: Limits,
): void {
  const walk: Walk = { fragments, variables, aliases: 0 };
  const depth = depthOf(operation.selectionSet, walk, new Set());
  if (depth > limits.maxDepth)
    throw badInput(`Query is ${depth} levels deep; the limit is ${limits.maxDepth}`);
  if (walk.aliases > limits.maxAliases)
    throw badInput(`Query uses ${walk.aliases} aliases; the limit is ${limits.maxAliases}`);
}

/** Refuses queries too deep, too wide through aliases, or asking for pages over the maximum, before planning. */
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
