import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiSchemaSdl, generateSdk, supergraphPath, targets } from '../codegen';

// The committed src/generated/*.ts are what `npm run build` (codegen) makes from the committed
// supergraph and src/operations: a schema or operation change without a regeneration fails here,
// not in an app at run time.
describe('the generated SDK', () => {
  const supergraph = readFileSync(supergraphPath, 'utf8');
  const [apps, admin] = targets.map((t) => t.output) as [string, string];

  it('is up to date with gateway/supergraph.graphql and src/operations', async () => {
    const generated = await generateSdk(supergraph);
    expect([...generated.keys()].sort()).toEqual([admin, apps].sort());
    for (const [path, text] of generated) {
      // toBe on 6,000 lines prints an unreadable diff: say what to do instead.
      const fresh = readFileSync(path, 'utf8') === text;
      expect(fresh, `${relative(process.cwd(), path)} is stale: run npm run codegen -w @moim/sdk`).toBe(true);
    }
  });

  it('would be stale after a schema change the operations see', async () => {
    const changed = supergraph.replace(
      '  ADMIN @join__enumValue(graph: SOCIAL)\n',
      '  ADMIN @join__enumValue(graph: SOCIAL)\n  MODERATOR @join__enumValue(graph: SOCIAL)\n',
    );
    expect(changed).not.toBe(supergraph);
    const output = (await generateSdk(changed)).get(apps)!;
    expect(output).not.toBe(readFileSync(apps, 'utf8'));
    expect(output).toMatch(/export type Role = 'ADMIN' \| 'MODERATOR' \| 'USER';/);
  });

  it('keeps the admin console’s operations out of the apps’ module', () => {
    const appsModule = readFileSync(apps, 'utf8');
    const adminModule = readFileSync(admin, 'utf8');
    expect(adminModule).toMatch(/export const AdminReportsDocument/);
    expect(appsModule).not.toMatch(/export const Admin\w*Document/);
    expect(appsModule).not.toMatch(/failedJobs|retryFailedJob|adminCreateReview/);
  });

  it('leaves the federation machinery out of the schema clients see', () => {
    const api = apiSchemaSdl(supergraph);
    expect(api).toMatch(/type Query \{/);
    expect(api).not.toMatch(/join__|@link|link__/);
  });
});
