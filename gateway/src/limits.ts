import {
  ApolloServer,
  HeaderMap,
  type ApolloServerOptions,
  type ApolloServerPlugin,
  type BaseContext,
  type ContextThunk,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  getVariableValues,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isWrappingType,
  Kind,
  Lexer,
  SchemaMetaFieldDef,
  Source,
  TokenKind,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { badInput, checkCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@moim/kit';

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  /** Estimated objects returned: each field counts once per parent, lists multiply by their page size. */
  maxCost: number;
  /**
   * Lists asked for: each alias and each distinct set of arguments of a list field is one more
   * fetch (a SQL statement or more) in a subgraph, however small its page.
   */
  maxListBatches: number;
  /** Lexical tokens in the document, counted before it is parsed. */
  maxTokens: number;
}

/**
 * Braces and brackets nested deeper than this are refused before parsing: graphql-js parses,
 * validates and plans recursively, and its parser alone overflows the stack somewhere between
 * 1,000 and 2,000 levels (less when the stack is already deep). The depth
 * limit proper is counted in fields after parsing; this only keeps the recursion shallow.
 */
export const MAX_NESTING = 100;

/**
 * Fragments spread inside fragments, at most this deep. A chain of them adds no field depth yet
 * costs the query planner more than linear time (1,850 nested spreads: 0.5 s of planning); real
 * clients nest a few.
 */
export const MAX_FRAGMENT_NESTING = 16;

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
  /** How deep fragment spreads nest. */
  spreads: number;
}

export interface OperationMeasure extends Measure {
  /** Distinct list fetches: per list field, each alias and each set of arguments. */
  batches: number;
  /** The list field asked for most often, for the message. */
  mostBatched: { field: string; batches: number } | null;
}

type Fragments = Record<string, FragmentDefinitionNode>;
const PAGE_ARGUMENTS = ['first', 'last'];

/**
 * Counts tokens and nesting with graphql's own lexer (which loops, not recurses) and stops at
 * the first token over a limit, so a megabyte of `{a a a …}` or `{{{{…` costs one linear pass
 * and no parse. Syntax errors are left for the parser to report.
 */
export function checkSource(source: string, limits: Pick<Limits, 'maxTokens'>): void {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let nesting = 0;
  let over: 'tokens' | 'nesting' | null = null;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF && !over; token = lexer.advance()) {
      if (++tokens > limits.maxTokens) over = 'tokens';
      else if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L) {
        if (++nesting > MAX_NESTING) over = 'nesting';
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R) nesting--;
    }
  } catch {
    return; // a syntax error: parsing reports it with its position
  }
  if (over === 'tokens')
    throw badInput(`Query has more than ${limits.maxTokens} tokens; the limit is ${limits.maxTokens}`);
  if (over === 'nesting')
    throw badInput(`Query nests braces or brackets more than ${MAX_NESTING} levels deep`);
}

const isIntrospectionType = (type: GraphQLCompositeType | null) => !!type && type.name.startsWith('__');

function fieldDefinition(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType | null,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

const introspectionSizes = new WeakMap<GraphQLSchema, Record<string, number>>();

/**
 * How long each introspection list is in this schema, on average per parent: the schema answers
 * introspection from memory, so its real size, not a page size, is what a query costs.
 * `types { fields { … } }` then costs about what the answer holds, and every level of
 * `fields { type { fields … } }` multiplies it, as the answer would grow. `ofType` counts as the
 * share of type references wrapped once more (`[Review!]!` is three wrappers deep), so the seven
 * levels of `ofType` in the explorer's query cost what the answer holds, not seven times a type.
 */
function introspectionListSize(schema: GraphQLSchema, coordinate: string): number {
  let sizes = introspectionSizes.get(schema);
  if (!sizes) {
    sizes = measureIntrospection(schema);
    introspectionSizes.set(schema, sizes);
  }
  return sizes[coordinate] ?? 1;
}

function measureIntrospection(schema: GraphQLSchema): Record<string, number> {
  const types = Object.values(schema.getTypeMap());
  const directives = schema.getDirectives();
  const fields = types.flatMap((t) =>
    isObjectType(t) || isInterfaceType(t) ? Object.values(t.getFields()) : [],
  );
  const inputFields = types.flatMap((t) => (isInputObjectType(t) ? Object.values(t.getFields()) : []));
  const fieldArgs = fields.flatMap((f) => f.args);
  const directiveArgs = directives.flatMap((d) => d.args);
  const count = (per: (t: (typeof types)[number]) => number) => types.reduce((n, t) => n + per(t), 0);
  const average = (total: number, parents: number) => Math.max(1, Math.ceil(total / Math.max(parents, 1)));
  const references: GraphQLType[] = [...fields, ...inputFields, ...fieldArgs, ...directiveArgs].map(
    (f) => f.type,
  );
  let wrappers = 0;
  for (let type of references) for (; isWrappingType(type); type = type.ofType) wrappers++;
  const wrapped = wrappers / Math.max(references.length, 1);
  return {
    '__Schema.types': types.length,
    '__Schema.directives': directives.length,
    '__Type.fields': average(fields.length, types.length),
    '__Type.inputFields': average(inputFields.length, types.length),
    '__Type.enumValues': average(
      count((t) => (isEnumType(t) ? t.getValues().length : 0)),
      types.length,
    ),
    '__Type.interfaces': average(
      count((t) => (isObjectType(t) || isInterfaceType(t) ? t.getInterfaces().length : 0)),
      types.length,
    ),
    '__Type.possibleTypes': average(
      count((t) => (isAbstractType(t) ? schema.getPossibleTypes(t).length : 0)),
      types.length,
    ),
    '__Type.ofType': wrapped / (1 + wrapped),
    '__Field.args': average(fieldArgs.length, fields.length),
    '__Directive.args': average(directiveArgs.length, directives.length),
  };
}

/**
 * The page size a field asks for, from the schema: its `first`/`last` argument as given (inline
 * or through a variable, defaults included) or the argument's default; 1 for a field without one.
 * Page arguments are checked here, before planning, as every subgraph would check them: `first`
 * from 1 to 100 and `after` a cursor a page could have issued.
 */
function pageSizeOf(
  definition: GraphQLField<unknown, unknown> | undefined,
  field: FieldNode,
  variables: Record<string, unknown>,
): number {
  let size = 1;
  const paged = definition?.args.some(isPageArgument);
  for (const arg of paged ? definition!.args : []) {
    const node = field.arguments?.find((a) => a.name.value === arg.name);
    const given = node ? valueFromAST(node.value, arg.type, variables) : undefined;
    // An empty cursor is the first page, as the subgraphs read it.
    if (arg.name === 'after' && typeof given === 'string' && given) checkCursor(given);
    if (!isPageArgument(arg)) continue;
    // null or nothing means the default page, as the subgraphs serve it.
    const value =
      typeof given === 'number'
        ? given
        : typeof arg.defaultValue === 'number'
          ? arg.defaultValue
          : DEFAULT_PAGE_SIZE;
    if (value < 1 || value > MAX_PAGE_SIZE)
      throw badInput(`${arg.name} on ${field.name.value} must be between 1 and ${MAX_PAGE_SIZE}`, arg.name);
    size = value;
  }
  return size;
}

const isPageArgument = (arg: { name: string }) => PAGE_ARGUMENTS.includes(arg.name);

/**
 * A list a subgraph fetches for this field alone: a connection, or a list of objects chosen by
 * arguments. (A list without arguments, like a connection's `edges`, comes with its parent.)
 */
function isListFetch(definition: GraphQLField<unknown, unknown> | undefined): boolean {
  if (!definition?.args.length) return false;
  return (
    definition.args.some(isPageArgument) ||
    (isListType(getNullableType(definition.type)) && isCompositeType(getNamedType(definition.type)))
  );
}

/** The arguments as execution will see them, in a stable order: two spellings of one set compare equal. */
function argumentKey(
  definition: GraphQLField<unknown, unknown>,
  field: FieldNode,
  variables: Record<string, unknown>,
): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => [k, sorted(v)]),
          )
        : value;
  const values = definition.args.map((arg) => {
    const node = field.arguments?.find((a) => a.name.value === arg.name);
    return [arg.name, sorted(node ? valueFromAST(node.value, arg.type, variables) : arg.defaultValue)];
  });
  return JSON.stringify(values);
}

/**
 * Measures an operation in one pass. Every quantity is linear in how often a fragment is spread,
 * so each fragment is measured once and reused: a query that spreads fragments into each other
 * costs the walk nothing extra, while its cost estimate still grows as the response would.
 *
 * Introspection is measured like any selection, with its lists as long as this schema makes
 * them; its fields do not count towards depth (a type reference nests `ofType` seven levels in
 * the explorer's own query), but they do count in aliases and cost.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): OperationMeasure {
  const memo = new Map<string, Measure>();
  const visiting = new Set<string>();
  // "Type.field" → the aliases and argument sets it is asked with. A fragment's fields are the
  // same on every spread (variables are operation-wide), so walking each fragment once is enough.
  const lists = new Map<string, Set<string>>();

  const measure = (set: SelectionSetNode, parent: GraphQLCompositeType | null): Measure => {
    const total: Measure = { depth: 0, aliases: 0, cost: 0, spreads: 0 };
    const add = (m: Measure, spread = 0) => {
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.cost += m.cost;
      total.spreads = Math.max(total.spreads, m.spreads + spread);
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const definition = fieldDefinition(schema, parent, selection.name.value);
        const introspection =
          isIntrospectionType(parent) ||
          selection.name.value === '__schema' ||
          selection.name.value === '__type';
        const size = introspection
          ? introspectionListSize(schema, `${parent?.name}.${selection.name.value}`)
          : pageSizeOf(definition, selection, variables);
        if (!introspection && isListFetch(definition)) {
          const coordinate = `${parent!.name}.${selection.name.value}`;
          const asked = lists.get(coordinate) ?? new Set<string>();
          asked.add(`${selection.alias?.value ?? ''}:${argumentKey(definition!, selection, variables)}`);
          lists.set(coordinate, asked);
        }
        const childType = definition ? getNamedType(definition.type) : undefined;
        const child = selection.selectionSet
          ? measure(selection.selectionSet, childType && isCompositeType(childType) ? childType : null)
          : { depth: 0, aliases: 0, cost: 0, spreads: 0 };
        total.depth = Math.max(total.depth, child.depth + (isIntrospectionType(parent) ? 0 : 1));
        total.spreads = Math.max(total.spreads, child.spreads);
        total.aliases += child.aliases + (selection.alias ? 1 : 0);
        total.cost += 1 + size * child.cost;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        add(measure(selection.selectionSet, type && isCompositeType(type) ? type : null));
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
  const measured = measure(operation.selectionSet, root ?? null);
  let batches = 0;
  let mostBatched: OperationMeasure['mostBatched'] = null;
  for (const [field, asked] of lists) {
    batches += asked.size;
    if (!mostBatched || asked.size > mostBatched.batches) mostBatched = { field, batches: asked.size };
  }
  return { ...measured, batches, mostBatched };
}

/**
 * Measures by schema, operation node and variables: Apollo Server keeps one parsed document per
 * query text, so a query sent again is measured once (per distinct variables, a few kept).
 */
const measured = new WeakMap<
  GraphQLSchema,
  WeakMap<OperationDefinitionNode, Map<string, OperationMeasure>>
>();
const MEASURES_PER_OPERATION = 32;
const MAX_KEPT_VARIABLES_CHARS = 512;

function measureOnce(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): OperationMeasure {
  let bySchema = measured.get(schema);
  if (!bySchema) measured.set(schema, (bySchema = new WeakMap()));
  let byVariables = bySchema.get(operation);
  if (!byVariables) bySchema.set(operation, (byVariables = new Map()));
  const key = JSON.stringify(variables);
  // Large variables are measured every time: kept, they would pin their size per document.
  if (key.length > MAX_KEPT_VARIABLES_CHARS) return measureOperation(schema, operation, fragments, variables);
  let measure = byVariables.get(key);
  if (!measure) {
    if (byVariables.size >= MEASURES_PER_OPERATION) byVariables.clear();
    measure = measureOperation(schema, operation, fragments, variables);
    byVariables.set(key, measure);
  }
  return measure;
}

export function checkOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Fragments,
  rawVariables: Record<string, unknown>,
  limits: Omit<Limits, 'maxTokens'>,
): void {
  // Coerce as execution will, so variable defaults count as much as values sent.
  const { coerced, errors } = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables);
  if (errors?.length) return; // execution reports bad variables itself
  const { depth, aliases, cost, spreads, batches, mostBatched } = measureOnce(
    schema,
    operation,
    fragments,
    coerced ?? {},
  );
  if (depth > limits.maxDepth)
    throw badInput(`Query is ${depth} levels deep; the limit is ${limits.maxDepth}`);
  if (spreads > MAX_FRAGMENT_NESTING)
    throw badInput(`Query nests fragments ${spreads} deep; the limit is ${MAX_FRAGMENT_NESTING}`);
  if (aliases > limits.maxAliases)
    throw badInput(`Query uses ${aliases} aliases; the limit is ${limits.maxAliases}`);
  if (batches > limits.maxListBatches)
    throw badInput(
      `Query asks for ${batches} lists (each alias or set of arguments of a list field is fetched on its own; ` +
        `${mostBatched!.field} ${mostBatched!.batches} times); the limit is ${limits.maxListBatches}: ` +
        'page through a list in separate requests',
    );
  if (cost > limits.maxCost)
    throw badInput(
      `Query could return about ${Math.round(cost)} objects; the limit is ${limits.maxCost}: ask for smaller pages`,
    );
}

/** A refused query is the client's fault: 400, not the 500 a throwing plugin gets by default. */
function refuse(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof GraphQLError) || err.extensions.code !== 'BAD_USER_INPUT') throw err;
    throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 400 } } });
  }
}

/**
 * Refuses queries too deep, too wide through aliases, asking for too many lists, too costly or
 * with page arguments out of bounds, before planning; introspection is measured like the rest.
 * An operation name that matches no operation is refused here too: the gateway would answer it
 * with a 500.
 */
/** A document's fragments by name, as `checkOperation` takes them. */
export function fragmentsOf(document: DocumentNode): Fragments {
  return Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
}

export function limitsPlugin(limits: Omit<Limits, 'maxTokens'>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          if (!operation)
            throw new GraphQLError(
              request.operationName
                ? `Unknown operation named "${request.operationName}".`
                : 'Must provide operation name if query contains multiple operations.',
              { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } },
            );
          refuse(() =>
            checkOperation(schema, operation, fragmentsOf(document), request.variables ?? {}, limits),
          );
        },
      };
    },
  };
}

type HttpRequestArgs = Parameters<ApolloServer<BaseContext>['executeHTTPGraphQLRequest']>[0];

/** The query text Apollo will parse: the body's `query` on POST, the `query` parameter on GET. */
function queryOf({ method, body, search }: HttpRequestArgs['httpGraphQLRequest']): string | null {
  if (method === 'GET') return new URLSearchParams(search).get('query');
  const query = body && typeof body === 'object' ? (body as { query?: unknown }).query : undefined;
  return typeof query === 'string' ? query : null;
}

/**
 * Apollo Server that refuses documents too long or too nested (checkSource) before its pipeline
 * parses them. This cannot be a plugin: a plugin may only throw after parsing, or before it at
 * didResolveSource, where Apollo answers any error as an unexpected 500. The parser's own
 * `maxTokens` (parseOptions) stays as a backstop.
 */
const ACCEPTED_DOCUMENTS = 1000;

export class SourceLimitedApolloServer<C extends BaseContext> extends ApolloServer<C> {
  constructor(
    private readonly sourceLimits: Pick<Limits, 'maxTokens'>,
    config: ApolloServerOptions<C>,
  ) {
    super(config);
  }

  /**
   * Documents that passed already: clients send the same few queries, and the check would lex
   * each of them again on every request. Bounded; emptied when full.
   */
  private readonly accepted = new Set<string>();

  override async executeHTTPGraphQLRequest(
    args: HttpRequestArgs & { context: ContextThunk<C> },
  ): Promise<HTTPGraphQLResponse> {
    const query = queryOf(args.httpGraphQLRequest);
    try {
      if (query && !this.accepted.has(query)) {
        checkSource(query, this.sourceLimits);
        if (this.accepted.size >= ACCEPTED_DOCUMENTS) this.accepted.clear();
        this.accepted.add(query);
      }
    } catch (err) {
      const { message, extensions } = err as GraphQLError;
      return {
        status: 400,
        headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
        body: { kind: 'complete', string: JSON.stringify({ errors: [{ message, extensions }] }) },
      };
    }
    return super.executeHTTPGraphQLRequest(args);
  }
}
