import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiSchemaSdl, generatedPath, generateSdk, supergraphPath } from '../codegen';

// The committed src/generated/graphql.ts is what `npm run build` (codegen) makes from the
// committed supergraph and src/operations: a schema or operation change without a regeneration
// fails here, not in an app at run time.
describe('the generated SDK', () => {
  const supergraph = readFileSync(supergraphPath, 'utf8');

  it('is up to date with gateway/supergraph.graphql and src/operations', async () => {
    const committed = readFileSync(generatedPath, 'utf8');
    // toBe on 6,000 lines prints an unreadable diff: say what to do instead.
    expect(committed === (await generateSdk(supergraph)), 'stale: run npm run codegen -w @moim/sdk').toBe(
      true,
    );
  });

  it('would be stale after a schema change the operations see', async () => {
    const changed = supergraph.replace(
      '  ADMIN @join__enumValue(graph: SOCIAL)\n',
      '  ADMIN @join__enumValue(graph: SOCIAL)\n  MODERATOR @join__enumValue(graph: SOCIAL)\n',
    );
    expect(changed).not.toBe(supergraph);
    const output = await generateSdk(changed);
    expect(output).not.toBe(readFileSync(generatedPath, 'utf8'));
    expect(output).toMatch(/export type Role = 'ADMIN' \| 'MODERATOR' \| 'USER';/);
  });

  it('leaves the federation machinery out of the schema clients see', () => {
    const api = apiSchemaSdl(supergraph);
    expect(api).toMatch(/type Query \{/);
    expect(api).not.toMatch(/join__|@link|link__/);
  });
});
