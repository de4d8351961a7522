import {
  buildOperationContext,
  executeQueryPlan,
  type GraphQLDataSource,
  type ServiceMap,
} from '@apollo/gateway';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { FetchNode, QueryPlan, QueryPlanner } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  execute,
  getArgumentValues,
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Logger } from '@moim/kit';
import type { GatewayContext } from '../gateway';
import type { SupergraphVersion } from '../executor/supergraph';

/**
 * Subscriptions, planned by Apollo's query planner from the supergraph like any operation.
 * `@apollo/gateway` stops at the plan's top-level `Subscription` node; here the node is taken
 * apart: its `primary` fetch names the owning subgraph and the subgraph operation, and per event
 * `Sequence[primary, rest]` runs through the gateway's own `executeQueryPlan` — the primary fetch
 * answered from the event, every other fetch going to its subgraph as in a query — which also
 * shapes the result to the client's selection (aliases, fragments, `__typename`).
 */
export interface SubscriptionPlan {
  /** The subgraph that owns the subscription field. */
  subgraph: string;
  /** The subscription field, and its arguments as the subgraph receives them. */
  field: string;
  args: Record<string, unknown>;
  /** The variables of the client's operation, coerced (the plan's fetches use them). */
  variables: Record<string, unknown>;
  /** Runs one event (the field's value, in the subgraph's representation) through the plan. */
  run(event: unknown, context: GatewayContext, logger: Logger): Promise<ExecutionResult>;
}

interface Planned {
  primary: FetchNode;
  primaryDocument: DocumentNode;
  field: FieldNode;
  plan: QueryPlan;
  operation: OperationDefinitionNode;
  document: DocumentNode;
}

/** What running subscription events needs; one per supergraph version. */
export class SubscriptionPlanner {
  /** Tells supergraph versions apart: subscribers of different versions never share a group. */
  readonly version: number;
  readonly apiSchema: GraphQLSchema;
  private readonly api: Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly subgraphSchemas = new Map<string, GraphQLSchema>();
  /** Plans by document and operation name: clients of one app send a handful of documents. */
  private readonly plans = new Map<string, Planned>();

  constructor(
    supergraph: SupergraphVersion,
    private readonly dataSources: ServiceMap,
  ) {
    this.version = supergraph.version;
    this.api = supergraph.api;
    this.apiSchema = supergraph.apiSchema;
    this.supergraphSchema = supergraph.supergraphSchema;
    this.planner = supergraph.planner;
    for (const subgraph of supergraph.supergraph.subgraphs())
      this.subgraphSchemas.set(subgraph.name, subgraph.schema.toGraphQLJSSchema());
  }

  /**
   * The plan of a validated subscription document, with its field's arguments for `variables`.
   * Throws a GraphQLError when the field cannot be planned.
   */
  plan(
    document: DocumentNode,
    source: string,
    operationName: string | undefined,
    variables: Record<string, unknown>,
  ): SubscriptionPlan {
    const planned = this.planned(document, source, operationName);
    const subgraphSchema = this.subgraphSchemas.get(planned.primary.serviceName)!;
    const definition = subgraphSchema.getSubscriptionType()?.getFields()[planned.field.name.value];
    if (!definition) throw new GraphQLError(`No subscription field ${planned.field.name.value}`);
    const args = getArgumentValues(definition, planned.field, variables);
    const operationContext = buildOperationContext({
      schema: this.apiSchema,
      operationDocument: planned.document,
      operationName,
    });
    const fieldName = planned.field.name.value;
    const primaryVariables = Object.fromEntries(
      (planned.primary.variableUsages ?? []).map((name) => [name, variables[name]]),
    );
    return {
      subgraph: planned.primary.serviceName,
      field: fieldName,
      args,
      variables,
      run: async (event, context, logger) => {
        // The subgraph's own selection, executed over the event with default resolvers: what the
        // subgraph would have answered, without a round trip.
        const primary = execute({
          schema: subgraphSchema,
          document: planned.primaryDocument,
          rootValue: { [fieldName]: event },
          variableValues: primaryVariables,
        }) as ExecutionResult;
        const fromEvent: GraphQLDataSource = {
          process: async () => ({ data: primary.data, errors: primary.errors }),
        };
        const requestContext = {
          request: { query: source, variables, operationName },
          context,
          logger,
          metrics: {},
          overallCachePolicy: {},
        } as unknown as GatewayGraphQLRequestContext;
        return executeQueryPlan(
          planned.plan,
          { ...this.dataSources, [planned.primary.serviceName]: fromEvent },
          requestContext,
          operationContext,
          this.supergraphSchema,
          this.api,
        );
      },
    };
  }

  private planned(document: DocumentNode, source: string, operationName: string | undefined): Planned {
    const key = `${operationName ?? ''}\n${source}`;
    let planned = this.plans.get(key);
    if (planned) return planned;
    const plan = this.planner.buildQueryPlan(operationFromDocument(this.api, document, { operationName }));
    const node = plan.node;
    if (node?.kind !== 'Subscription') throw new GraphQLError('Only subscriptions are planned here');
    const primaryDocument = node.primary.operationDocumentNode ?? parse(node.primary.operation);
    const operation = primaryDocument.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    )!;
    const field = operation.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD)!;
    planned = {
      primary: node.primary,
      primaryDocument,
      field,
      operation,
      document,
      plan: {
        kind: 'QueryPlan',
        node: node.rest ? { kind: 'Sequence', nodes: [node.primary, node.rest] } : node.primary,
      },
    };
    // Bounded: a client sending ever new documents must not grow the gateway's memory.
    if (this.plans.size >= 1000) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, planned);
    return planned;
  }
}
