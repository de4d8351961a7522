import type { GraphQLDataSourceProcessOptions, ServiceMap } from '@apollo/gateway';
import { ERRORS, errorCodeDef } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlanSelectionNode, ResponsePath } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';

/**
 * Runs a query plan's fetches and merges what they return, as `executeQueryPlan` in
 * `@apollo/gateway` does for the nodes a query or mutation plan is made of (Sequence, Parallel,
 * Flatten, Fetch), without its per-node trace objects and spans. One difference, as in Apollo
 * Router: entities that need the same representation are asked for once per fetch (twenty
 * reviews by five authors send five representations, not twenty).
 */
type Data = Record<string, unknown>;

export interface PlanRun {
  services: ServiceMap;
  /** The supergraph's schema: `requires` selections may name @inaccessible types. */
  supergraphSchema: GraphQLSchema;
  requestContext: GatewayGraphQLRequestContext;
  /** Errors of fetches (as GraphQLErrors from subgraphs, or what a failed fetch threw). */
  errors: unknown[];
}

interface Cursor {
  path: ResponsePath;
  data: Data | Data[];
  fullResult: Data;
}

export async function runPlan(run: PlanRun, node: PlanNode, data: Data): Promise<void> {
  await runNode(run, node, { path: [], data, fullResult: data });
}

async function runNode(run: PlanRun, node: PlanNode, cursor: Cursor): Promise<void> {
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await runNode(run, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => runNode(run, child, cursor)));
      return;
    case 'Flatten': {
      const data = flattenAt(cursor.data, node.path);
      if (data)
        await runNode(run, node.node, {
          path: cursor.path.concat(node.path),
          data,
          fullResult: cursor.fullResult,
        });
      return;
    }
    case 'Fetch':
      try {
        await runFetch(run, node, cursor);
      } catch (err) {
        run.errors.push(err);
      }
      return;
    default:
      // prepare() leaves plans with other nodes to Apollo's executor.
      throw new Error(`Unexpected ${node.kind} node in a query plan`);
  }
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function flattenAt(value: unknown, path: ResponsePath, from = 0): Data | Data[] | undefined | null {
  if (from === path.length) return value as Data | Data[];
  if (value === undefined || value === null) return value;
  const head = path[from]!;
  if (head === '@')
    return (value as unknown[]).flatMap((element) => flattenAt(element, path, from + 1) ?? []) as Data[];
  // Apollo's messages (its asserts in executeQueryPlan.ts).
  if (typeof head !== 'string') throw new Error(`Unexpected ${typeof head} found in path`);
  if (Array.isArray(value)) throw new Error(`Unexpected array in result for path element ${head}`);
  return flattenAt(hasOwn(value, head) ? (value as Data)[head] : undefined, path, from + 1);
}

function isPlainObject(value: unknown): value is Data {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Apollo's deepMerge: `source` into `target`, lists of the same length element by element. */
export function deepMerge(target: Data, source: unknown): void {
  if (!isPlainObject(source)) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    // Never an inherited property (`__proto__`, `constructor`) of the target.
    if (!hasOwn(target, key) && key in target)
      Object.defineProperty(target, key, {
        configurable: true,
        enumerable: true,
        value: undefined,
        writable: true,
      });
    const existing = target[key];
    if (existing && isPlainObject(value)) deepMerge(existing as Data, value);
    else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isPlainObject(existing[i]) && isPlainObject(value[i])) deepMerge(existing[i] as Data, value[i]);
        else existing[i] = value[i];
      }
    } else target[key] = value;
  }
}

function isObjectOfType(schema: GraphQLSchema, object: Data, typeCondition: string): boolean {
  const typename = object.__typename;
  if (!typename) return false;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename as string);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/** A fetch's `requires` picked out of an entity: its representation, null when incomplete. */
function representation(
  schema: GraphQLSchema,
  source: unknown,
  selections: QueryPlanSelectionNode[],
): Data | null {
  if (source === null) return null;
  // A plain object: its keys are the schema's field names (never `__proto__`).
  const result: Data = {};
  const object = source as Data;
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      // Missing: fetching it failed (an error was reported then); the entity is left out.
      if (!hasOwn(object, name) || object[name] === undefined) return null;
      const value = object[name];
      const inner = selection.selections;
      if (Array.isArray(value))
        result[name] = value.map((element) => (inner ? representation(schema, element, inner) : element));
      else result[name] = inner ? representation(schema, value, inner) : value;
    } else if (selection.typeCondition && isObjectOfType(schema, object, selection.typeCondition)) {
      deepMerge(result, representation(schema, object, selection.selections));
    }
  }
  return result;
}

async function runFetch(run: PlanRun, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const service = run.services[fetch.serviceName];
  if (!service) throw new Error(`Couldn't find service with name "${fetch.serviceName}"`);
  const entities = Array.isArray(cursor.data)
    ? cursor.data.filter((e) => e !== null && e !== undefined)
    : [cursor.data];
  if (entities.length === 0) return;

  const variables = Object.create(null) as Data; // a client may name a variable $__proto__
  const provided = run.requestContext.request.variables;
  for (const name of fetch.variableUsages ?? [])
    if (provided && hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];

  if (!fetch.requires) {
    const data = await send(run, service, fetch, cursor, variables, null);
    for (const entity of entities) deepMerge(entity, data);
    return;
  }

  // One representation per distinct entity; `users[i]` are the entities that share the i-th.
  const representations: Data[] = [];
  const users: number[][] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < entities.length; i++) {
    const rep = representation(run.supergraphSchema, entities[i], fetch.requires);
    if (!rep?.__typename) continue;
    const key = JSON.stringify(rep);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, representations.length);
      representations.push(rep);
      users.push([i]);
    } else users[at]!.push(i);
  }
  if (representations.length === 0) return;
  if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');

  const data = await send(run, service, fetch, cursor, { ...variables, representations }, users);
  if (!data) return;
  const received = data._entities;
  if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
  if (received.length !== representations.length)
    throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
  for (let i = 0; i < received.length; i++) {
    const entity = received[i] as Data | null;
    const sharing = users[i]!;
    if (entity && !entity.__typename) entity.__typename = entities[sharing[0]!]!.__typename;
    // Each entity its own copy: merging shares nested objects by reference, and a later fetch
    // (one whose @requires differ per entity) may merge different data into each.
    sharing.forEach((at, n) => deepMerge(entities[at]!, n === 0 ? entity : cloneJson(entity)));
  }
}

async function send(
  run: PlanRun,
  service: ServiceMap[string],
  fetch: FetchNode,
  cursor: Cursor,
  variables: Data,
  users: number[][] | null,
): Promise<Data | null | undefined> {
  const response = await service.process({
    // GraphQLDataSourceRequestKind.INCOMING_OPERATION (an enum @apollo/gateway does not export).
    kind: 'incoming operation' as GraphQLDataSourceProcessOptions['kind'],
    request: { query: fetch.operation, variables, operationName: fetch.operationName },
    incomingRequestContext: run.requestContext,
    context: run.requestContext.context,
    document: fetch.operationDocumentNode,
    pathInIncomingRequest: cursor.path,
  });
  if (response.errors) {
    const paths = errorPaths(cursor, users);
    const placed = response.errors.flatMap((error) =>
      paths(error.path).map(({ at, path }) => ({
        at,
        error: downstreamError(error, fetch.serviceName, path),
      })),
    );
    // In entity order, as Apollo's (which asks for each entity, duplicates and all).
    placed.sort((a, b) => a.at - b.at);
    for (const { error } of placed) run.errors.push(error);
  }
  return response.data as Data | null | undefined;
}

/**
 * Where a subgraph's error belongs in the client's response: `_entities.3.nickname` is under each
 * entity that shared the fourth representation; a root fetch's path is under the cursor's.
 */
function errorPaths(cursor: Cursor, users: number[][] | null) {
  let hydrated: ResponsePath[] | undefined;
  return (
    path: readonly (string | number)[] | undefined,
  ): Array<{ at: number; path: ResponsePath | undefined }> => {
    if (users && typeof path?.[1] === 'number') {
      if (!hydrated) {
        hydrated = [];
        hydratePaths([], cursor.path, cursor.fullResult, hydrated);
      }
      const entities = users[path[1]] ?? [];
      if (entities.length === 0) return [{ at: -1, path: path.slice(2) }];
      // By entity, not by representation: Apollo's would name the wrong entity when some had
      // no representation (a union whose members are not all asked for).
      return entities.map((at) => ({ at, path: [...(hydrated![at] ?? []), ...path.slice(2)] }));
    }
    return [{ at: -1, path: path ? [...cursor.path, ...path] : undefined }];
  };
}

/** A deep copy of parsed JSON (objects and arrays; everything else is immutable). */
function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (value === null || typeof value !== 'object') return value;
  const copy: Data = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__')
      Object.defineProperty(copy, key, {
        configurable: true,
        enumerable: true,
        value: cloneJson((value as Data)[key]),
        writable: true,
      });
    else copy[key] = cloneJson((value as Data)[key]);
  }
  return copy;
}

/** The concrete paths of a flattened path (`feed.edges.@.node.author` → `feed.edges.3.node.author`, …). */
function hydratePaths(parent: ResponsePath, path: ResponsePath, data: unknown, result: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  const [head, ...rest] = path;
  if (head === undefined) result.push(parent.slice());
  else if (head === '@' || (typeof head === 'string' && Array.isArray(data))) {
    (data as unknown[]).forEach((value, i) => {
      parent.push(i);
      hydratePaths(parent, head === '@' ? rest : path, value, result);
      parent.pop();
    });
  } else if (typeof head === 'string' && hasOwn(data as object, head)) {
    parent.push(head);
    hydratePaths(parent, rest, (data as Data)[head], result);
    parent.pop();
  }
}

/** A subgraph's error as the client sees it: its code kept (else DOWNSTREAM_SERVICE_ERROR), the subgraph named. */
function downstreamError(
  original: GraphQLFormattedError,
  serviceName: string,
  path: ResponsePath | undefined,
): GraphQLError {
  const message = original.message || `Error while fetching subquery from service "${serviceName}"`;
  const options = {
    originalError: original as Error,
    path,
    extensions: { ...original.extensions, serviceName },
  };
  const code = errorCodeDef(original);
  if (!code && original.extensions?.code) return new GraphQLError(message, options);
  return (code ?? ERRORS.DOWNSTREAM_SERVICE_ERROR).err(message, options);
}
