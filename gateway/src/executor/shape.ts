import {
  ERRORS,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isCustomScalarType,
  isEnumType,
  isSubtype,
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

/** `@skip(if:)` / `@include(if:)`: a literal, or the variable that decides and the directive as written. */
type Condition = boolean | { variable: string; directive: string } | undefined;

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
  | { kind: 'list'; of: Wrapped; ofName: string; name: string }
  | { kind: 'composite'; name: string; shape: Shape }
  | { kind: 'leaf'; name: string; valid: (value: unknown) => boolean };

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * federation-internals' `isValidLeafValue(schema, value, type)` for one type, with the type's
 * questions answered once: it looks the built-in scalars up in the schema for every value.
 */
export function leafCheck(type: ScalarType | EnumType, schema: Schema): (value: unknown) => boolean {
  if (isCustomScalarType(type)) return () => true;
  const boolean = type === schema.booleanType();
  const int = type === schema.intType();
  const integer = int || type === schema.idType();
  const float = type === schema.floatType();
  const enumType = isEnumType(type) ? type : undefined;
  return (value) => {
    if (typeof value === 'boolean') return boolean;
    if (typeof value === 'number' && isFinite(value)) return integer ? INTEGER.test(String(value)) : float;
    if (typeof value === 'string')
      return enumType ? enumType.value(value) !== undefined : !boolean && !int && !float;
    return false;
  };
}

function condition(element: OperationElement, directive: 'skip' | 'include'): Condition {
  const schema = element.schema();
  const definition = directive === 'skip' ? schema.skipDirective() : schema.includeDirective();
  const applied = element.appliedDirectivesOf(definition)[0];
  if (!applied) return undefined;
  const value = (applied.arguments() as { if: boolean | Variable }).if;
  return value instanceof Variable ? { variable: value.name, directive: String(applied) } : value;
}

function wrap(type: OutputType, selectionSet: SelectionSet | undefined, schema: Schema): Wrapped {
  if (isNonNullType(type))
    return { kind: 'nonNull', of: wrap(type.ofType, selectionSet, schema), ofName: String(type.ofType) };
  if (isListType(type))
    return {
      kind: 'list',
      of: wrap(type.ofType, selectionSet, schema),
      ofName: String(type.ofType),
      name: String(type),
    };
  if (isCompositeType(type)) {
    if (!selectionSet) throw new Error(`No selection for composite type ${type}`);
    return { kind: 'composite', name: type.name, shape: compileSelection(selectionSet, schema) };
  }
  return { kind: 'leaf', name: type.name, valid: leafCheck(type as ScalarType | EnumType, schema) };
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
  /** How the last `update` went (see there). */
  invalid: boolean;
  reported: boolean;
}

const BUBBLE = 1;

function holds(condition: Exclude<Condition, undefined>, variables: Record<string, unknown>): boolean {
  if (typeof condition === 'boolean') return condition;
  const value = variables[condition.variable];
  // A null given for a nullable Boolean variable: an error, as in Apollo's and graphql-js.
  if (typeof value !== 'boolean')
    throw new Error(
      `Unexpected value ${String(value)} for variable $${condition.variable} of ${condition.directive}`,
    );
  return value;
}

function skipped(
  entry: { skip: Condition; include: Condition },
  variables: Record<string, unknown>,
): boolean {
  if (entry.skip !== undefined && holds(entry.skip, variables)) return true;
  return entry.include !== undefined && !holds(entry.include, variables);
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
      output[entry.responseName] = update(
        own(output, entry.responseName),
        entry.type,
        own(input, entry.responseName) ?? null,
        run,
        path,
        parentType,
      );
      path.pop();
      if (run.invalid) return BUBBLE;
    } else {
      const typename = input[typenameFieldName];
      if (typename && typeof typename !== 'string')
        throw new Error(`Got unexpected value for __typename: ${String(typename)}`);
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

/**
 * The completed value for `inputValue` (merged into `outputValue` when a repeated selection of a
 * composite). How it went is left in `run` rather than returned in an object (one per value of
 * the response otherwise): `run.invalid`, a null where the type allows none (the parent becomes
 * null too); `run.reported`, an error was reported for it already (one error per null, however
 * far it bubbles).
 */
function update(
  outputValue: unknown,
  type: Wrapped,
  inputValue: unknown,
  run: Run,
  path: (string | number)[],
  parentType: string,
): unknown {
  run.invalid = false;
  run.reported = false;
  // Already computed: a leaf repeated in another fragment, or a null (which bubbled already).
  if (outputValue === null || (outputValue !== undefined && type.kind === 'leaf')) return outputValue;
  switch (type.kind) {
    case 'nonNull': {
      const inner = update(outputValue, type.of, inputValue, run, path, parentType);
      if (inner !== null) {
        run.reported = false; // as Apollo's: only a null carries "reported" up
        return inner;
      }
      if (!run.reported)
        run.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${describe(path, type.ofName, parentType)}.`,
            { path: [...path] },
          ),
        );
      run.invalid = true;
      run.reported = true;
      return null;
    }
    case 'list': {
      if (inputValue === null) return null;
      if (!Array.isArray(inputValue))
        throw new Error(
          `Invalid non-list value ${String(inputValue)} returned by subgraph for list type ${type.name}`,
        );
      const existing = outputValue as unknown[] | undefined;
      if (existing !== undefined && existing.length !== inputValue.length)
        throw new Error(`List lengths differ at ${path.join('.')}`);
      const updated = new Array<unknown>(inputValue.length);
      let nullify = false;
      let reported = false;
      for (let i = 0; i < inputValue.length; i++) {
        path.push(i);
        updated[i] = update(existing?.[i], type.of, inputValue[i], run, path, parentType);
        path.pop();
        nullify ||= run.invalid;
        reported ||= run.reported;
      }
      run.invalid = false;
      run.reported = reported;
      return nullify ? null : updated;
    }
    case 'composite': {
      if (inputValue === null) return null;
      if (typeof inputValue !== 'object')
        throw new Error(
          `Invalid non-object value ${String(inputValue)} returned by subgraph for composite type ${type.name}`,
        );
      const input = inputValue as Record<string, unknown>;
      const typename = input[typenameFieldName];
      if (typename !== undefined && typeof typename !== 'string')
        throw new Error(`Invalid non-string value ${String(typename)} for __typename at ${path.join(',')}`);
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
          run.reported = true;
          return null;
        }
        objectType = named.name;
      }
      const output = (outputValue as Record<string, unknown> | undefined) ?? {};
      const bubbled = apply(input, type.shape, output, run, path, objectType) === BUBBLE;
      run.invalid = false;
      run.reported = bubbled;
      return bubbled ? null : output;
    }
    case 'leaf': {
      if (inputValue === null || type.valid(inputValue)) return inputValue;
      run.errors.push(
        ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describe(path, type.name, parentType)}.`, {
          path: [...path],
        }),
      );
      run.reported = true;
      return null;
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
  const run: Run = { schema, variables, errors: [], invalid: false, reported: false };
  const data: Record<string, unknown> = {};
  const bubbled = apply(input, shape, data, run, [], rootType) === BUBBLE;
  return { data: bubbled ? null : data, errors: run.errors };
}
