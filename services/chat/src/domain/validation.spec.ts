import { describe, expect, it } from 'vitest';
import { attachmentIdsOf, bodyOf, clientMessageIdOf, MAX_BODY_LENGTH } from './validation';

const code = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('message input', () => {
  it('trims bodies, keeps empty ones as null and refuses long ones', () => {
    expect(bodyOf('  hi  ')).toBe('hi');
    expect(bodyOf('   ')).toBeNull();
    expect(bodyOf(null)).toBeNull();
    expect(bodyOf(` ${'x'.repeat(MAX_BODY_LENGTH)} `)).toHaveLength(MAX_BODY_LENGTH);
    expect(code(() => bodyOf('x'.repeat(MAX_BODY_LENGTH + 1)))).toBe('BAD_USER_INPUT');
  });

  it('accepts client message ids of 1 to 64 safe characters only', () => {
    expect(clientMessageIdOf('a-B_9')).toBe('a-B_9');
    for (const bad of ['', 'x'.repeat(65), 'has space', 'é', 'a:b'])
      expect(code(() => clientMessageIdOf(bad))).toBe('BAD_USER_INPUT');
  });

  it('takes at most ten distinct attachment ids', () => {
    const ids = Array.from({ length: 11 }, (_, i) => `00000000-0000-4000-8000-0000000000${10 + i}`);
    expect(attachmentIdsOf(ids.slice(0, 10))).toHaveLength(10);
    expect(code(() => attachmentIdsOf(ids))).toBe('BAD_USER_INPUT');
    expect(code(() => attachmentIdsOf([ids[0]!, ids[0]!]))).toBe('BAD_USER_INPUT');
    expect(code(() => attachmentIdsOf(['nope']))).toBe('BAD_USER_INPUT');
    expect(attachmentIdsOf(null)).toEqual([]);
  });
});
