import type { Caller } from './caller';
import { forbidden, unauthenticated } from './errors';

export function requireUser(caller: Caller): string {
  if (!caller.userId) throw unauthenticated();
  return caller.userId;
}

export function requireAdmin(caller: Caller): string {
  const userId = requireUser(caller);
  if (caller.role !== 'ADMIN') throw forbidden('Only admins can do this');
  return userId;
}

export const isAdmin = (caller: Caller): boolean => caller.role === 'ADMIN';
