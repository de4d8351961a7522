import { fileURLToPath } from 'node:url';

/** Every subgraph the gateway federates, with where its SDL lives and its local default URL. */
export const subgraphs = [
  { name: 'social', schema: '../../services/social/src/schema.graphql', port: 4001 },
  { name: 'review', schema: '../../services/review/src/schema.graphql', port: 4002 },
] as const;

export type SubgraphName = (typeof subgraphs)[number]['name'];

export const schemaPath = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export const supergraphPath = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));
