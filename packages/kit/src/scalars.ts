import { GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw badInput('DateTime must be an ISO-8601 date-time string');
  return date;
}

/** ISO-8601 date-times in UTC, the same scalar in every subgraph. */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: toDate,
  parseLiteral: (ast) => toDate(ast.kind === Kind.STRING ? ast.value : null),
});
