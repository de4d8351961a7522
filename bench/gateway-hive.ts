/**
 * Hive Gateway (`@graphql-hive/gateway-runtime`) on Moim's supergraph, for the gateway bench's
 * side-by-side rows: the same subgraphs, signed for as Moim's gateway signs (a caller header
 * sealed over the exact body, per subgraph), with Hive's Rust query planner
 * (`@graphql-hive/router-runtime`) or its default JavaScript one.
 *
 *   PORT=… INTERNAL_SECRET=… SUBGRAPHS='{"review":"http://…/graphql",…}' PLANNER=rust|js DEDUPE=off|on \
 *     npx tsx bench/gateway-hive.ts
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { CALLER_HEADER, callerClaims, callerKey, REQUEST_ID_HEADER, sealCaller } from '@moim/kit';

/**
 * Imported by a specifier TypeScript does not follow: Hive's types pull in `lib.dom` (through
 * @whatwg-node/fetch), which would retype fetch and Buffer bodies for the whole bench workspace.
 */
const load = (name: string) => import(name) as Promise<Record<string, unknown>>;
const { createGatewayRuntime } = (await load('@graphql-hive/gateway-runtime')) as {
  createGatewayRuntime(config: object): RequestListener & { dispose(): Promise<void> };
};
const { unifiedGraphHandler } = await load('@graphql-hive/router-runtime');

interface FetchHook {
  url: string;
  options: { body?: unknown; headers?: Record<string, string> };
  setOptions(options: object): void;
}

const port = Number(process.env.PORT ?? 0);
const planner = process.env.PLANNER ?? 'rust';
const subgraphs = JSON.parse(process.env.SUBGRAPHS ?? '{}') as Record<string, string>;
const key = callerKey(process.env.INTERNAL_SECRET ?? '');

// The composed supergraph names each subgraph's URL; here they are the bench's processes.
const supergraph = readFileSync(new URL('../gateway/supergraph.graphql', import.meta.url), 'utf8').replace(
  /@join__graph\(name: "([^"]+)", url: "[^"]*"\)/g,
  (whole, name: string) =>
    subgraphs[name] ? `@join__graph(name: "${name}", url: "${subgraphs[name]}")` : whole,
);
const audienceOf = new Map(Object.entries(subgraphs).map(([name, url]) => [url, name]));

/** Moim's subgraphs answer only a signed caller: anonymous here, as the bench's client is. */
let warned = false;
const signing = {
  onFetch({ url, options, setOptions }: FetchHook) {
    const audience = audienceOf.get(url);
    if (!audience || typeof options.body !== 'string') {
      if (!warned) console.error('not signed:', url, typeof options.body, [...audienceOf.keys()]);
      warned = true;
      return;
    }
    const requestId = randomUUID();
    const claims = callerClaims({ userId: null, role: null, ip: '127.0.0.1', requestId }, audience);
    setOptions({
      ...options,
      headers: {
        ...options.headers,
        [CALLER_HEADER]: sealCaller(claims, key, options.body),
        [REQUEST_ID_HEADER]: requestId,
      },
    });
  },
};

const gateway = createGatewayRuntime({
  supergraph,
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
  plugins: () => [signing],
  // Hive shares one subgraph response among identical queries in flight (its default): with the
  // bench's identical requests that measures the sharing, not the gateway. Off unless asked for.
  ...(process.env.DEDUPE === 'on'
    ? {}
    : { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } }),
  logging: 'warn',
});
const server = createServer(gateway);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`hive gateway (${planner} planner) on ${typeof address === 'object' && address?.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  void gateway.dispose().finally(() => process.exit(0));
});
