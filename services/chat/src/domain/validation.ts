import { badInput, parseId } from '@moim/kit';

export const MAX_BODY_LENGTH = 4000;
export const MAX_ATTACHMENTS = 10;
const CLIENT_MESSAGE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A message body as stored: trimmed, null when empty; refused over MAX_BODY_LENGTH. */
export function bodyOf(value: string | null | undefined): string | null {
  const body = (value ?? '').trim();
  if (body.length > MAX_BODY_LENGTH)
    throw badInput(`A message is at most ${MAX_BODY_LENGTH} characters`, 'body');
  return body || null;
}

export function clientMessageIdOf(value: string): string {
  if (!CLIENT_MESSAGE_ID.test(value))
    throw badInput('clientMessageId is 1 to 64 letters, digits, _ or -', 'clientMessageId');
  return value;
}

/** The attachment ids a client gave, in order: at most MAX_ATTACHMENTS, valid ids, none twice. */
export function attachmentIdsOf(value: readonly string[] | null | undefined): string[] {
  if (!value) return [];
  if (value.length > MAX_ATTACHMENTS)
    throw badInput(`At most ${MAX_ATTACHMENTS} attachments`, 'attachmentIds');
  const ids = value.map((id) => parseId(id, 'attachmentIds'));
  if (new Set(ids).size !== ids.length) throw badInput('The same attachment is given twice', 'attachmentIds');
  return ids;
}
