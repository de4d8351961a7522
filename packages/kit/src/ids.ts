import { randomUUID } from 'node:crypto';
import { badInput } from './errors';

export const newId = (): string => randomUUID();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Rejects a malformed ID at the edge instead of running a query that cannot match. */
export function parseId(value: string, field = 'id'): string {
  if (!UUID.test(value)) throw badInput(`${field} is not a valid ID`, field);
  return value.toLowerCase();
}
