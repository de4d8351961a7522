import { fileURLToPath } from 'node:url';
import { envStem, SERVICES, type ServiceName } from '@moim/events';

/** Every subgraph the gateway federates (the service list), with its SDL file and variable. */
export const subgraphs = SERVICES.map((s) => ({
  name: s.name as ServiceName,
  schema: fileURLToPath(new URL(`../../services/${s.name}/src/schema.graphql`, import.meta.url)),
  /** SUBGRAPH_<NAME>_URL, defaulting to the service's local port. */
  urlVariable: `SUBGRAPH_${envStem(s.name)}_URL`,
  defaultUrl: `http://127.0.0.1:${s.port}/graphql`,
}));

export const supergraphPath = fileURLToPath(new URL('../supergraph.graphql', import.meta.url));

/**
 * Copies of it that deployments mount as a ConfigMap: kustomize and Helm read files only inside
 * their own folders. `npm run compose` writes them all.
 */
export const supergraphCopies = ['k8s/base/supergraph.graphql', 'helm/moim/files/supergraph.graphql'].map(
  (path) => fileURLToPath(new URL(`../../${path}`, import.meta.url)),
);
