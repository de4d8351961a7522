import { badInput } from '@moim/kit';
import type { ReviewKind } from '../entities';

export function text(value: string, field: string, max: number): string {
  const trimmed = value.trim();
  if (!trimmed) throw badInput(`${field} must not be empty`, field);
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return trimmed;
}

export function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  return value == null || !value.trim() ? null : text(value, field, max);
}

/** The column's length: URLs are stored as normalised, which can be longer than typed. */
export const URL_LIMIT = 500;

/**
 * An http(s) URL in the form it is stored: normalised by the URL parser, which percent-encodes
 * spaces and non-ASCII characters (one `한` becomes nine characters), so the limit applies to
 * that form, not to what was typed.
 */
export function url(value: string | null | undefined, field: string): string | null {
  const given = optionalText(value, field, URL_LIMIT);
  if (given == null) return null;
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    throw badInput(`${field} must be an http(s) URL`, field);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw badInput(`${field} must be an http(s) URL`, field);
  const stored = parsed.toString();
  if (stored.length > URL_LIMIT)
    throw badInput(
      `${field} must be at most ${URL_LIMIT} characters once encoded (this one is ${stored.length})`,
      field,
    );
  return stored;
}

export function coordinate(value: number | null | undefined, field: string, limit: number): number | null {
  if (value == null) return null;
  if (!Number.isFinite(value) || Math.abs(value) > limit)
    throw badInput(`${field} must be between -${limit} and ${limit}`, field);
  return value;
}

export function rating(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 5)
    throw badInput('rating must be a whole number from 1 to 5', 'rating');
  return value;
}

export const BODY_LIMIT: Record<ReviewKind, number> = { DADALOG: 10_000, SOSOLOG: 300 };

export function reviewTitle(kind: ReviewKind, title: string | null | undefined): string | null {
  if (kind === 'DADALOG') return text(title ?? '', 'title', 100);
  return optionalText(title, 'title', 100);
}
