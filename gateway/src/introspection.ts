import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql';
import { isAdmin, type Caller } from '@moim/kit';

// Apollo caches parsed documents, so each distinct operation is walked once.
const introspecting = new WeakMap<DocumentNode, boolean>();

/** Whether the operation asks for the schema (`__schema`, `__type`); `__typename` does not. */
export function introspects(document: DocumentNode): boolean {
  let found = introspecting.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Field(node) {
        if (node.name.value === '__schema' || node.name.value === '__type') {
          found = true;
          return BREAK;
        }
      },
    });
    introspecting.set(document, found);
  }
  return found;
}

/**
 * In production the schema is described to admins only: the console's explorer works for them,
 * while anyone else cannot map the graph (Apollo's own switch is all or nothing).
 */
export function adminIntrospectionPlugin(): ApolloServerPlugin<{ caller: Caller }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, contextValue }) {
          if (introspects(document) && !isAdmin(contextValue.caller))
            throw new GraphQLError('Introspection is for admins: log in as one', {
              extensions: { code: 'FORBIDDEN', http: { status: 403 } },
            });
        },
      };
    },
  };
}
