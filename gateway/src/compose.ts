import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { subgraphs, supergraphCopies, supergraphPath } from './subgraphs';

export interface Composition {
  supergraphSdl: string;
  errors: string[];
  hints: string[];
}

/** Composes the committed subgraph SDL files; URLs are placeholders, the gateway's config decides. */
export function composeSupergraph(): Composition {
  const result = composeServices(
    subgraphs.map((s) => ({
      name: s.name,
      url: `http://${s.name}/graphql`,
      typeDefs: parse(readFileSync(s.schema, 'utf8')),
    })),
  );
  const hints = (result.hints ?? []).map((h) => `${h.definition.code}: ${h.message}`);
  if (result.errors) return { supergraphSdl: '', errors: result.errors.map((e) => e.message), hints };
  return { supergraphSdl: result.supergraphSdl, errors: [], hints };
}

// `npm run compose` writes gateway/supergraph.graphql and its deployment copies; `--check` fails
// when any is stale.
if (process.argv[1] === import.meta.filename) {
  const { supergraphSdl, errors, hints } = composeSupergraph();
  for (const hint of hints) console.warn(`hint: ${hint}`);
  if (errors.length) {
    for (const e of errors) console.error(`error: ${e}`);
    process.exit(1);
  }
  if (process.argv.includes('--check')) {
    const stale = [supergraphPath, ...supergraphCopies].filter(
      (path) => !existsSync(path) || readFileSync(path, 'utf8') !== supergraphSdl,
    );
    console.log(
      stale.length ? `stale: ${stale.join(', ')}: run npm run compose` : 'supergraph is up to date',
    );
    process.exit(stale.length ? 1 : 0);
  }
  for (const path of [supergraphPath, ...supergraphCopies]) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, supergraphSdl);
    console.log(`wrote ${path}`);
  }
}
