import {
  ERRORS,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  isValidLeafValue,
  typenameFieldName,
  Variable,
  type EnumType,
  type Operation,
  type OperationElement,
  type OutputType,
  type ScalarType,
  type Schema,
  type SelectionSet,
} from '@apollo/federation-internals';
import type { GraphQLError } from 'graphql';

/**
 * The client's selection, compiled once per operation, that turns the data fetched by a query
 * plan into the response: only the fields asked for, in the query's order, `__typename` filled
 * in, leaf values checked, nulls bubbled up to the nearest nullable field. The same rules, errors
 * and messages as `computeResponse` in `@apollo/gateway` (resultShaping.ts), which walks
 * `@apollo/federation-internals`' operation and looks every directive, type and response name
 * up again on each request; here they are looked up once.
 */
export type Shape = Entry[];

/** What this executor leaves to `@apollo/gateway`'s (see plan-executor.ts). */
export class Unsupported extends Error {}

/** `@skip(if:)` / `@include(if:)`: a literal, or the name of the variable that decides. */
type Condition = boolean | string | undefined;

type Entry =
  | { kind: 'typename'; responseName: string; skip: Condition; include: Condition }
  | { kind: 'field'; responseName: string; skip: Condition; include: Condition; type: Wrapped }
  | {
      kind: 'fragment';
      skip: Condition;
      include: Condition;
      /** The type condition's name and every type it applies to; undefined without a condition. */
      condition?: { name: string; matches: Set<string> };
      shape: Shape;
    };

type Wrapped =
  | { kind: 'nonNull'; of: Wrapped; ofName: string }
  | { kind: 'list'; of: Wrapped; ofName: string }
  | { kind: 'composite'; name: string; shape: Shape }
  | { kind: 'leaf'; name: string; type: ScalarType | EnumType };

function condition(element: OperationElement, directive: 'skip' | 'include'): Condition {
  const schema = element.schema();
  const definition = directive === 'skip' ? schema.skipDirective() : schema.includeDirective();
  const applied = element.appliedDirectivesOf(definition)[0];
  if (!applied) return undefined;
  const value = (applied.arguments() as { if: boolean | Variable }).if;
  return value instanceof Variable ? value.name : value;
}

function wrap(type: OutputType, selectionSet: SelectionSet | undefined, schema: Schema): Wrapped {
  if (isNonNullType(type))
    return { kind: 'nonNull', of: wrap(type.ofType, selectionSet, schema), ofName: String(type.ofType) };
  if (isListType(type))
    return { kind: 'list', of: wrap(type.ofType, selectionSet, schema), ofName: String(type.ofType) };
  if (isCompositeType(type)) {
    if (!selectionSet) throw new Error(`No selection for composite type ${type}`);
    return { kind: 'composite', name: type.name, shape: compileSelection(selectionSet, schema) };
  }
  return { kind: 'leaf', name: type.name, type: type as ScalarType | EnumType };
}

function compileSelection(selectionSet: SelectionSet, schema: Schema): Shape {
  return selectionSet.selections().map((selection): Entry => {
    const skip = condition(selection.element, 'skip');
    const include = condition(selection.element, 'include');
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      const responseName = field.responseName();
      if (field.definition.isSchemaIntrospectionField()) throw new Unsupported('schema introspection');
      // Responses are plain objects (faster to build and to serialise than null-prototype ones):
      // an alias that would set one's prototype is left to Apollo's executor.
      if (responseName === '__proto__') throw new Unsupported('an alias named __proto__');
      if (field.name === typenameFieldName) return { kind: 'typename', responseName, skip, include };
      return {
        kind: 'field',
        responseName,
        skip,
        include,
        type: wrap(field.definition.type!, selection.selectionSet, schema),
      };
    }
    const typeCondition = selection.element.typeCondition;
    return {
      kind: 'fragment',
      skip,
      include,
      condition: typeCondition && {
        name: typeCondition.name,
        matches: new Set(
          schema
            .allTypes()
            .filter((t) => isSubtype(typeCondition, t))
            .map((t) => t.name),
        ),
      },
      shape: compileSelection(selection.selectionSet, schema),
    };
  });
}

export function compileShape(operation: Operation): Shape {
  return compileSelection(operation.selectionSet, operation.schema());
}

interface Run {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
}

const BUBBLE = 1;

function skipped(
  entry: { skip: Condition; include: Condition },
  variables: Record<string, unknown>,
): boolean {
  const { skip, include } = entry;
  if (skip !== undefined && (typeof skip === 'boolean' ? skip : variables[skip] === true)) return true;
  return include !== undefined && !(typeof include === 'boolean' ? include : variables[include] === true);
}

function describe(path: (string | number)[], typeName: string, parentType: string): string {
  const element = path[path.length - 1];
  return typeof element === 'string'
    ? `field ${parentType}.${element}`
    : `array element of type ${typeName} at index ${element}`;
}

function own(input: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
}

function apply(
  input: Record<string, unknown>,
  shape: Shape,
  output: Record<string, unknown>,
  run: Run,
  path: (string | number)[],
  parentType: string,
): number {
  for (const entry of shape) {
    if (skipped(entry, run.variables)) continue;
    if (entry.kind === 'typename') {
      // Repeated in another fragment: already answered.
      if (own(output, entry.responseName) !== undefined) continue;
      let value = own(input, entry.responseName) ?? null;
      if (value === null && entry.responseName !== typenameFieldName)
        value = input[typenameFieldName] ?? null;
      // The runtime type the subgraph named, else the parent's; a root type's is always the
      // parent's (subgraphs may name their roots differently and are not asked).
      const type = (typeof value === 'string' && run.schema.type(value)) || run.schema.type(parentType);
      if (!type || !isObjectType(type)) return BUBBLE;
      output[entry.responseName] = type.name;
    } else if (entry.kind === 'field') {
      path.push(entry.responseName);
      const result = update(
        own(output, entry.responseName),
        entry.type,
        own(input, entry.responseName) ?? null,
        run,
        path,
        parentType,
      );
      output[entry.responseName] = result.updated;
      path.pop();
      if (result.invalid) return BUBBLE;
    } else {
      const typename = input[typenameFieldName];
      const applies =
        !entry.condition ||
        (typeof typename === 'string' && typename
          ? run.schema.type(typename) !== undefined && entry.condition.matches.has(typename)
          : entry.condition.matches.has(parentType));
      if (
        applies &&
        apply(input, entry.shape, output, run, path, entry.condition?.name ?? parentType) === BUBBLE
      )
        return BUBBLE;
    }
  }
  return 0;
}

interface Updated {
  updated: unknown;
  /** A null where the type does not allow one: the parent becomes null too. */
  invalid?: boolean;
  /** An error was reported for this value already (one error per null, however far it bubbles). */
  reported?: boolean;
}

function update(
  outputValue: unknown,
  type: Wrapped,
  inputValue: unknown,
  run: Run,
  path: (string | number)[],
  parentType: string,
): Updated {
  // Already computed: a leaf repeated in another fragment, or a null (which bubbled already).
  if (outputValue === null || (outputValue !== undefined && type.kind === 'leaf'))
    return { updated: outputValue };
  switch (type.kind) {
    case 'nonNull': {
      const inner = update(outputValue, type.of, inputValue, run, path, parentType);
      if (inner.updated !== null) return { updated: inner.updated };
      if (!inner.reported)
        run.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${describe(path, type.ofName, parentType)}.`,
            { path: [...path] },
          ),
        );
      return { updated: null, invalid: true, reported: true };
    }
    case 'list': {
      if (inputValue === null) return { updated: null };
      if (!Array.isArray(inputValue))
        throw new Error(`Invalid non-list value ${String(inputValue)} returned by subgraph`);
      const existing = outputValue as unknown[] | undefined;
      if (existing !== undefined && existing.length !== inputValue.length)
        throw new Error(`List lengths differ at ${path.join('.')}`);
      const updated = new Array<unknown>(inputValue.length);
      let nullify = false;
      let reported = false;
      for (let i = 0; i < inputValue.length; i++) {
        path.push(i);
        const element = update(existing?.[i], type.of, inputValue[i], run, path, parentType);
        path.pop();
        nullify ||= !!element.invalid;
        reported ||= !!element.reported;
        updated[i] = element.updated;
      }
      return { updated: nullify ? null : updated, reported };
    }
    case 'composite': {
      if (inputValue === null) return { updated: null };
      if (typeof inputValue !== 'object')
        throw new Error(
          `Invalid non-object value ${String(inputValue)} returned by subgraph for ${type.name}`,
        );
      const input = inputValue as Record<string, unknown>;
      const typename = input[typenameFieldName];
      let objectType = type.name;
      if (typename) {
        const named = typeof typename === 'string' ? run.schema.type(typename) : undefined;
        // Not in the API schema (an @inaccessible type): never named to the client.
        if (!named || !isCompositeType(named)) {
          run.errors.push(
            ERRORS.INVALID_GRAPHQL.err(
              `Invalid __typename found for object at ${describe(path, type.name, parentType)}.`,
              {
                path: [...path],
              },
            ),
          );
          return { updated: null, reported: true };
        }
        objectType = named.name;
      }
      const output = (outputValue as Record<string, unknown> | undefined) ?? {};
      const bubbled = apply(input, type.shape, output, run, path, objectType) === BUBBLE;
      return { updated: bubbled ? null : output, reported: bubbled };
    }
    case 'leaf': {
      if (inputValue === null) return { updated: null };
      if (isValidLeafValue(run.schema, inputValue, type.type)) return { updated: inputValue };
      run.errors.push(
        ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, type.name, parentType)}.`, {
          path: [...path],
        }),
      );
      return { updated: null, reported: true };
    }
  }
}

/** The response's `data` for what the plan fetched, and the errors shaping found. */
export function shapeResponse(
  shape: Shape,
  schema: Schema,
  rootType: string,
  input: Record<string, unknown>,
  variables: Record<string, unknown>,
): { data: Record<string, unknown> | null; errors: GraphQLError[] } {
  const run: Run = { schema, variables, errors: [] };
  const data: Record<string, unknown> = {};
  const bubbled = apply(input, shape, data, run, [], rootType) === BUBBLE;
  return { data: bubbled ? null : data, errors: run.errors };
}
