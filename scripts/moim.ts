import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMPONENTS, ONE_SHOTS } from './components';

/**
 * The image's one command: `node dist/moim.js <command> [args]` runs one component of
 * scripts/components.ts (its container's args are its name) or a one-shot command. Each entry is a
 * literal dynamic import, so the bundle (scripts/build.ts) splits every process into a chunk of its
 * own and a process loads only its own code.
 */
export const ENTRIES = {
  gateway: () => import('../gateway/src/main'),
  social: () => import('../services/social/src/main'),
  review: () => import('../services/review/src/main'),
  media: () => import('../services/media/src/main'),
  'course-catalog': () => import('../services/course-catalog/src/main'),
  chat: () => import('../services/chat/src/main'),
  search: () => import('../services/search/src/main'),
  'social-worker': () => import('../services/social/src/worker'),
  'social-push-worker': () => import('../services/social/src/push-worker'),
  'review-worker': () => import('../services/review/src/worker'),
  'media-worker': () => import('../services/media/src/worker'),
  'course-catalog-worker': () => import('../services/course-catalog/src/worker'),
  'chat-worker': () => import('../services/chat/src/worker'),
  'search-worker': () => import('../services/search/src/worker'),
  migrate: () => import('./migrate'),
  'create-admin': () => import('./create-admin'),
  import: () => import('./import'),
  seed: () => import('./seed'),
  reindex: () => import('./reindex'),
} satisfies Record<string, () => Promise<unknown>>;

export type Command = keyof typeof ENTRIES;

/** Every command the image runs: the components, then the one-shot commands. */
export const COMMANDS: readonly string[] = [...COMPONENTS.map((c) => c.name), ...ONE_SHOTS];

export const usage = (): string =>
  `usage: moim <command> [args]\ncommands:\n${COMMANDS.map((name) => `  ${name}`).join('\n')}\n`;

const isCommand = (name: string | undefined): name is Command =>
  name !== undefined && COMMANDS.includes(name) && Object.hasOwn(ENTRIES, name);

/**
 * Runs `argv[0]` with the rest as its arguments: the component's own environment is set (what the
 * deployment sets wins), and the command name leaves process.argv, so a one-shot script parses
 * its arguments from process.argv.slice(2) as when it runs alone. Unknown or missing: usage, 2.
 */
export async function run(argv: string[]): Promise<void> {
  const [name] = argv;
  if (!isCommand(name)) {
    process.stderr.write(`${name ? `moim: unknown command "${name}"\n` : ''}${usage()}`);
    process.exitCode = 2;
    return;
  }
  for (const [key, value] of Object.entries(COMPONENTS.find((c) => c.name === name)?.env ?? {}))
    process.env[key] ??= value;
  process.argv.splice(2, 1);
  await ENTRIES[name]();
}

// Run when started as a program (dist/moim.js, or tsx scripts/moim.ts); importing it runs nothing.
// The build leaves this file's import.meta.url the bundle's own: it is the entry.
const real = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};
if (process.argv[1] && real(process.argv[1]) === real(fileURLToPath(import.meta.url)))
  await run(process.argv.slice(2));
