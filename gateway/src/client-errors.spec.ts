import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { errorLogPlugin, maskForProduction } from './client-errors';

const subgraphFailure = {
  message: '502: Bad Gateway',
  path: ['feed'],
  extensions: {
    code: 'INTERNAL_SERVER_ERROR',
    serviceName: 'review',
    response: {
      url: 'http://127.0.0.1:4102/graphql',
      status: 502,
      statusText: 'Bad Gateway',
      body: 'upstream',
    },
    stacktrace: ['Error: 502', '    at RemoteGraphQLDataSource.errorFromResponse'],
  },
};

describe('errors as clients see them in production', () => {
  it('hides which subgraph failed and how, keeping the code', () => {
    expect(maskForProduction(subgraphFailure)).toEqual({
      message: 'Internal server error',
      path: ['feed'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(maskForProduction({ message: 'fetch failed' })).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps the message, code and documented extensions of an error the client caused', () => {
    expect(
      maskForProduction({
        message: 'nickname is taken',
        locations: [{ line: 1, column: 12 }],
        path: ['signUp'],
        extensions: { code: 'BAD_USER_INPUT', field: 'nickname', serviceName: 'social' },
      }),
    ).toEqual({
      message: 'nickname is taken',
      locations: [{ line: 1, column: 12 }],
      path: ['signUp'],
      extensions: { code: 'BAD_USER_INPUT', field: 'nickname' },
    });
    expect(
      maskForProduction({
        message: 'Too many attempts',
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60, serviceName: 'social' },
      }).extensions,
    ).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  });

  it('drops schema suggestions from any message', () => {
    expect(
      maskForProduction({
        message:
          'Variable "$tab" got invalid value "LATES"; Value "LATES" does not exist in "FeedTab" enum. Did you mean the enum value "LATEST"?',
        extensions: { code: 'BAD_USER_INPUT' },
      }).message,
    ).toBe('Variable "$tab" got invalid value "LATES"; Value "LATES" does not exist in "FeedTab" enum.');
  });

  it('logs what it hides with the request’s logger, and not the errors clients caused', async () => {
    const logger = { error: vi.fn() };
    const listener = await errorLogPlugin().requestDidStart!({} as never);
    const failure = new GraphQLError(subgraphFailure.message, {
      path: subgraphFailure.path,
      extensions: subgraphFailure.extensions,
    });
    const refused = new GraphQLError('rating must be a whole number from 1 to 5', {
      extensions: { code: 'BAD_USER_INPUT', field: 'rating', serviceName: 'review' },
    });
    await listener!.didEncounterErrors!({ errors: [failure, refused], contextValue: { logger } } as never);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      path: ['feed'],
      serviceName: 'review',
      response: { url: 'http://127.0.0.1:4102/graphql', status: 502, body: 'upstream' },
    });
  });
});
