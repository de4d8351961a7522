import { defineConfig } from 'vite';

// The gateway serves the build at /admin/ with /graphql on the same origin; `npm run dev -w
// @moim/admin` proxies /graphql (and its WebSocket subscriptions) to a local `npm start`.
const gateway = process.env.MOIM_GATEWAY_URL ?? 'http://localhost:4000';

export default defineConfig({
  base: '/admin/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco (the explorer's editor) is a few MB on its own, loaded only when the explorer opens.
    chunkSizeWarningLimit: 3000,
    rolldownOptions: {
      onwarn(warning, warn) {
        // GraphiQL's dependencies mark modules "use client" for React Server Components: no
        // meaning in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  // The dev server's dependency pre-bundling cannot follow `?worker` imports: GraphiQL's worker
  // set-up is served as it is, and Vite's worker plugin bundles Monaco's workers.
  optimizeDeps: { exclude: ['graphiql/setup-workers/vite', '@graphiql/react/setup-workers/vite'] },
  server: { proxy: { '/graphql': { target: gateway, ws: true, changeOrigin: true } } },
  preview: { proxy: { '/graphql': { target: gateway, ws: true, changeOrigin: true } } },
});
