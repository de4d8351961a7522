import { buildOperationContext, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { PlanNode } from '@apollo/query-planner';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
} from '@apollo/server-gateway-interface';
import { getVariableValues, GraphQLError, type VariableDefinitionNode } from 'graphql';
import { runPlan } from './run-plan';
import { compileShape, shapeResponse, Unsupported, type Shape } from './shape';
import type { SupergraphVersion } from './supergraph';

export { SupergraphVersion } from './supergraph';

/** What one operation document needs on every request, worked out on its first. */
interface Prepared {
  plan: PlanNode | undefined;
  shape: Shape;
  rootType: string;
  variableDefinitions: readonly VariableDefinitionNode[] | undefined;
  defaults: Record<string, unknown>;
}

/** Left to `@apollo/gateway`'s executor (see `supported`). */
const APOLLO = 'apollo';

/** Bounded: clients of one app send a handful of documents; a client sending ever new ones must not grow memory. */
const MAX_PREPARED = 1000;

/** Plans whose every node this executor runs exactly as Apollo's would. */
function supported(node: PlanNode | undefined): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every(supported);
    case 'Flatten':
      return supported(node.node);
    case 'Fetch':
      return !node.inputRewrites?.length && !node.outputRewrites?.length && !node.contextRewrites?.length;
    default:
      return false; // Condition and Defer (@defer), Subscription (served over graphql-ws)
  }
}

/**
 * The gateway's executor of queries and mutations. `@apollo/gateway`'s executor works out, on
 * every request, an operation context, a federation-internals `Operation` (the document walked
 * again against the API schema), a hash for its plan cache, and per plan node a trace object and
 * a span; then shapes the result by interpreting the operation. This one does that work once per
 * document — the plan, and the selection compiled to a shape (shape.ts) — and per request only
 * validates the variables, runs the fetches (run-plan.ts) and shapes.
 *
 * Everything else goes to Apollo's executor unchanged: schema introspection (`__schema`,
 * `__type`), plans with @defer or conditions, fetches with rewrites (@interfaceObject,
 * @fromContext), and anything that could not be planned (Apollo reports it as it always has).
 */
export function createPlanExecutor(options: {
  services: ServiceMap;
  fallback: GatewayExecutor;
  /** false: every operation to `fallback` (GATEWAY_EXECUTOR=apollo). */
  enabled?: boolean;
}) {
  const { services, fallback, enabled = true } = options;
  let version: SupergraphVersion | undefined;
  let prepared = new Map<string, Prepared | typeof APOLLO>();
  /** Operations run by each executor since start (the gateway_operations_total metric). */
  const executed = { moim: 0, apollo: 0 };

  function prepare(
    requestContext: GatewayGraphQLRequestContext,
    from: SupergraphVersion,
  ): Prepared | typeof APOLLO {
    const { request, document } = requestContext;
    const context = buildOperationContext({
      schema: from.apiSchema,
      operationDocument: document,
      operationName: request.operationName,
    });
    const kind = context.operation.operation;
    if (kind !== 'query' && kind !== 'mutation') return APOLLO;
    const operation = operationFromDocument(from.api, document, { operationName: request.operationName });
    const plan = from.planner.buildQueryPlan(operation);
    const node = plan.node;
    if (node?.kind === 'Subscription' || !supported(node)) return APOLLO;
    return {
      plan: node,
      shape: compileShape(operation),
      rootType: from.api.schemaDefinition.rootType(operation.rootKind)!.name,
      variableDefinitions: context.operation.variableDefinitions,
      defaults: operation.collectDefaultedVariableValues(),
    };
  }

  const keyOf = (requestContext: GatewayGraphQLRequestContext) =>
    `${requestContext.queryHash}\n${requestContext.request.operationName ?? ''}`;

  function preparedFor(requestContext: GatewayGraphQLRequestContext, from: SupergraphVersion) {
    const key = keyOf(requestContext);
    let found = prepared.get(key);
    if (found) {
      // Least recently used goes first: a stream of new documents does not evict the app's own.
      prepared.delete(key);
      prepared.set(key, found);
      return found;
    }
    try {
      found = prepare(requestContext, from);
    } catch (err) {
      // Unsupported here, or an error (a plan that cannot be made) Apollo's executor reports in
      // its own way.
      if (!(err instanceof Unsupported))
        requestContext.logger.debug?.(`left to Apollo's executor: ${String(err)}`);
      found = APOLLO;
    }
    if (prepared.size >= MAX_PREPARED) prepared.delete(prepared.keys().next().value!);
    prepared.set(key, found);
    return found;
  }

  async function execute(requestContext: GatewayGraphQLRequestContext): Promise<GatewayExecutionResult> {
    const from = enabled ? version : undefined;
    const operation = from && preparedFor(requestContext, from);
    if (!from || !operation || operation === APOLLO) {
      executed.apollo++;
      return fallback(requestContext);
    }
    executed.moim++;
    const { request } = requestContext;

    // What Apollo's executor checks too: the variables against their definitions (the values
    // sent on are the client's own, as there).
    if (operation.variableDefinitions?.length) {
      const { errors } = getVariableValues(
        from.apiSchema,
        operation.variableDefinitions,
        request.variables ?? {},
      );
      if (errors) return { errors };
    }

    const run = {
      services,
      supergraphSchema: from.supergraphSchema,
      requestContext,
      errors: [] as unknown[],
    };
    const fetched: Record<string, unknown> = {};
    if (operation.plan) await runPlan(run, operation.plan, fetched);
    const errors = run.errors as GraphQLError[];
    try {
      const shaped = shapeResponse(operation.shape, from.api, operation.rootType, fetched, {
        ...operation.defaults,
        ...request.variables,
      });
      // Shaping errors after failed fetches only repeat them; alone, they go where Apollo (and
      // the Router) put them, in `extensions.valueCompletion` (see executeQueryPlan.ts).
      if (errors.length === 0 && shaped.errors.length > 0)
        return { extensions: { valueCompletion: shaped.errors }, data: shaped.data };
      return errors.length === 0 ? { data: shaped.data } : { errors, data: shaped.data };
    } catch (err) {
      const error =
        err instanceof GraphQLError
          ? err
          : new GraphQLError((err as Error).message, { originalError: err as Error });
      return { errors: [error] };
    }
  }

  return {
    execute,
    /**
     * The supergraph to plan against from now on (plans of the previous one are dropped);
     * undefined: none that this executor could build, everything to `fallback`.
     */
    use(next: SupergraphVersion | undefined) {
      version = next;
      prepared = new Map();
    },
    executed: () => ({ ...executed }),
    /** Whether this executor (not Apollo's) runs the operation of a request it has seen. */
    ranItself: (requestContext: GatewayGraphQLRequestContext) =>
      enabled && typeof prepared.get(keyOf(requestContext)) === 'object',
  };
}
