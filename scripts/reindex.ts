import { createLogger, openBackend, startServices } from '@moim/kit';
import { reindex, type SearchDeps } from '@moim/search';
import { announceBlocksAndLikes, announceTastes } from '@moim/social';
import { localConfig } from './local-config';
import { progressBar } from './progress';
import { SERVICE_MODULES } from './service-modules';

// npm run reindex: rebuilds search's documents from the owning services on the configured backend
// (every service's API starts in this process on free ports: nothing here consumes events or
// writes to Algolia), then bumps the index generation: running search replicas (and the Algolia
// worker) build the new index beside the old one and swap it in.
const local = localConfig();
const logger = createLogger('reindex', 'warn');
const backend = await openBackend(local.backend, logger);
let code = 0;
try {
  const { services, urls, stop } = await startServices({
    backend,
    modules: SERVICE_MODULES,
    env: (name) => ({ ...local.serviceEnv(name), PORT: '0', LOG_LEVEL: 'warn' }),
    role: 'api',
  });
  try {
    const search = services.get('search')!;
    const bars = new Map<string, ReturnType<typeof progressBar>>();
    const summaries = await reindex({
      db: (search.deps as SearchDeps).db,
      urlOf: (name) => urls.get(name)!.replace(/\/graphql$/, ''),
      secret: (search.deps as SearchDeps).config.INTERNAL_SECRET,
      onProgress: ({ kind, done, expected }) => {
        if (!bars.has(kind)) bars.set(kind, progressBar(kind.toLowerCase()));
        bars.get(kind)!(done, Math.max(done, expected));
      },
    });
    // Blocks and likes search may not have heard of (made before it existed, or relayed by the
    // previous release's replicas during a rollout), and the likes, scraps and comments review's
    // popular tab learns from: announced again, routed as of now.
    const social = services.get('social')!;
    const announced = await social.deps.db.transaction(
      // The likes once: announceBlocksAndLikes has them all, reviews' and posts'.
      async (manager) =>
        (await announceBlocksAndLikes(manager)) + (await announceTastes(manager, { likes: false })),
    );
    for (const s of summaries)
      console.log(
        `${s.kind.toLowerCase().padEnd(8)} ${s.seen} indexed${s.retired ? `, ${s.retired} retired` : ''}`,
      );
    console.log(`blocks, likes, scraps and comments announced again: ${announced}`);
    console.log(`Reindexed (${backend.kind} backend): search replicas swap in the new index within seconds.`);
  } finally {
    await stop();
  }
} catch (err) {
  console.error(`reindex failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await backend.close();
}
process.exit(code);
