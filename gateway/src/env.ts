import { z } from 'zod';
import { commonEnv, loadEnv, port } from '@moim/kit';
import { subgraphs } from './subgraphs';

const subgraphUrls = Object.fromEntries(
  subgraphs.map((s) => [s.urlVariable, z.string().url().default(s.defaultUrl)]),
);

const shape = {
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  INTERNAL_SECRET: commonEnv.INTERNAL_SECRET,
  HOST: commonEnv.HOST,
  PORT: port(4000),
  JWT_SECRET: z
    .string({ required_error: 'Required: the secret access tokens are signed with (shared with social)' })
    .min(32, 'must be at least 32 characters'),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(12),
  MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(25_000),
  /**
   * How many proxies in front of the gateway append to X-Forwarded-For (0: use the socket
   * address). The client IP is the entry that many places from the right: entries further left
   * are whatever the client wrote.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  ...subgraphUrls,
};

export type GatewayConfig = Omit<ReturnType<typeof loadGatewayEnv>, 'subgraphUrls'> & {
  subgraphUrls: Record<string, string>;
};

export function loadGatewayEnv(source: Record<string, string | undefined> = process.env) {
  const env = loadEnv(shape, source);
  const urls = Object.fromEntries(
    subgraphs.map((s) => [s.name, (env as Record<string, unknown>)[s.urlVariable] as string]),
  );
  return { ...env, subgraphUrls: urls };
}
