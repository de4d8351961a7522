import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_PORT } from '@moim/kit';
import { loadGatewayEnv } from './env';
import { isQuery } from './transport';

const base = { JWT_SECRET: 'j'.repeat(32), INTERNAL_SECRET: 'i'.repeat(32) };

describe('the gateway transport', () => {
  it('retries only queries: the operations the planner prints for subgraphs', () => {
    for (const op of [
      '{feed{edges{cursor}}}',
      'query($a:String){feed(after:$a){edges{cursor}}}',
      'query Q__review__0{a}',
    ])
      expect(isQuery(op)).toBe(true);
    for (const op of ['mutation{hideReview(id:"1"){id}}', 'subscription{x}', 'queryish', '', undefined])
      expect(isQuery(op)).toBe(false);
  });

  it('waits for subgraphs well under a client’s patience, configurably', () => {
    expect(loadGatewayEnv(base)).toMatchObject({
      SUBGRAPH_CONNECT_TIMEOUT_MS: 2_000,
      SUBGRAPH_HEADERS_TIMEOUT_MS: 10_000,
      SUBGRAPH_BODY_TIMEOUT_MS: 10_000,
    });
    expect(loadGatewayEnv({ ...base, SUBGRAPH_HEADERS_TIMEOUT_MS: '500' }).SUBGRAPH_HEADERS_TIMEOUT_MS).toBe(
      500,
    );
  });

  it('serves /metrics on an internal port in production, on the main port otherwise', () => {
    expect(loadGatewayEnv({ ...base, NODE_ENV: 'production' }).METRICS_PORT).toBe(DEFAULT_METRICS_PORT);
    expect(loadGatewayEnv({ ...base, NODE_ENV: 'production', METRICS_PORT: '9100' }).METRICS_PORT).toBe(9100);
    expect(loadGatewayEnv(base).METRICS_PORT).toBeUndefined();
    expect(loadGatewayEnv({ ...base, METRICS_PORT: '9100' }).METRICS_PORT).toBe(9100);
    // The main port itself: one server.
    expect(
      loadGatewayEnv({ ...base, NODE_ENV: 'production', PORT: '8080', METRICS_PORT: '8080' }).METRICS_PORT,
    ).toBeUndefined();
  });
});
