import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from './compose';
import { supergraphCopies, supergraphPath } from './subgraphs';

describe('supergraph composition', () => {
  const { supergraphSdl, errors, hints } = composeSupergraph();

  it('composes the subgraph schemas without errors or hints', () => {
    expect(errors).toEqual([]);
    expect(hints).toEqual([]);
  });

  it('matches the committed gateway/supergraph.graphql (run `npm run compose` after a schema change)', () => {
    expect(readFileSync(supergraphPath, 'utf8')).toBe(supergraphSdl);
  });

  it.each(supergraphCopies)('the deployments mount the same supergraph: %s', (path) => {
    expect(readFileSync(path, 'utf8')).toBe(supergraphSdl);
  });
});
