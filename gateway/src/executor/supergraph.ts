import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';

/** Tells supergraph versions apart (subscribers of different versions never share a group). */
let versions = 0;

/**
 * One version of the supergraph as the gateway's own executors need it: the API schema, the
 * supergraph schema and a query planner. Built once per supergraph load or update and shared by
 * the query executor and the subscription planner.
 */
export class SupergraphVersion {
  readonly version = ++versions;
  readonly supergraph: Supergraph;
  /** The client-facing schema (federation-internals' form, what operations are built against). */
  readonly api: Schema;
  readonly apiSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  readonly planner: QueryPlanner;

  constructor(supergraphSdl: string) {
    this.supergraph = Supergraph.build(supergraphSdl);
    this.api = this.supergraph.apiSchema();
    this.apiSchema = this.api.toGraphQLJSSchema();
    this.supergraphSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(this.supergraph);
  }
}
