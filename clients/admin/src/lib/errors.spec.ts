import { describe, expect, it } from 'vitest';
import { LoggedOutError, MoimGraphQLError } from '@moim/sdk';
import { LANGUAGES, translate, type MessageKey, type Vars } from '../i18n/messages';
import { describeError, errorKey, errorLine } from './errors';

const gqlError = (code: string, message = `server says ${code}`) => new MoimGraphQLError(message, { code });

describe('errors in the admin language', () => {
  it('have a message of their own for every code the SDK produces', () => {
    const keys = Object.fromEntries(
      [
        'UNAUTHENTICATED',
        'FORBIDDEN',
        'NETWORK_ERROR',
        'BAD_USER_INPUT',
        'RATE_LIMITED',
        'NOT_FOUND',
        'INTERNAL_SERVER_ERROR',
        'HTTP_502',
      ].map((code) => [code, errorKey(gqlError(code))]),
    );
    expect(keys).toEqual({
      UNAUTHENTICATED: 'error.UNAUTHENTICATED',
      FORBIDDEN: 'error.FORBIDDEN',
      NETWORK_ERROR: 'error.NETWORK_ERROR',
      BAD_USER_INPUT: 'error.BAD_USER_INPUT',
      RATE_LIMITED: 'error.RATE_LIMITED',
      NOT_FOUND: 'error.NOT_FOUND',
      INTERNAL_SERVER_ERROR: 'error.INTERNAL',
      HTTP_502: 'error.INTERNAL',
    });
    expect(errorKey(new LoggedOutError())).toBe('error.LOGGED_OUT');
    expect(errorKey(gqlError('SOMETHING_NEW'))).toBe('error.UNKNOWN');
    expect(errorKey(new TypeError('x is undefined'))).toBe('error.UNKNOWN');
  });

  it('translate the code and keep the server message only as detail, in both languages', () => {
    for (const language of LANGUAGES) {
      const t = (key: MessageKey, vars?: Vars) => translate(language, key, vars);
      const text = describeError(gqlError('FORBIDDEN', 'Admins only'), t);
      expect(text).toEqual({
        text: t('error.FORBIDDEN'),
        detail: t('error.detail', { message: 'Admins only' }),
      });
      expect(text.text).not.toContain('Admins only');
    }
    const ko = (key: MessageKey, vars?: Vars) => translate('ko', key, vars);
    expect(errorLine(describeError(gqlError('NETWORK_ERROR', 'Network error: fetch failed'), ko))).toBe(
      '서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요. 자세히: Network error: fetch failed',
    );
  });
});
