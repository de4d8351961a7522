/**
 * `npm run bench -- [name] [flags]`: runs bench/<name>.ts with the flags — `feed` (the default,
 * also when the first argument is a flag), `gateway`, `executor`, `transport`, `chat`, `media`, `import`, `search`, `recommend` or
 * `popular`.
 */
const benches = {
  feed: () => import('./feed'),
  gateway: () => import('./gateway'),
  executor: () => import('./executor'),
  transport: () => import('./transport'),
  chat: () => import('./chat'),
  media: () => import('./media'),
  import: () => import('./import'),
  search: () => import('./search'),
  recommend: () => import('./recommend'),
  popular: () => import('./popular-refresh'),
};
type Name = keyof typeof benches;

const [first, ...rest] = process.argv.slice(2);
const named = first !== undefined && Object.hasOwn(benches, first);
if (first !== undefined && !named && !first.startsWith('-')) {
  console.error(`unknown bench "${first}": one of ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
// The bench parses process.argv itself: it sees only its own flags.
process.argv = [process.argv[0]!, process.argv[1]!, ...(named ? rest : process.argv.slice(2))];
export {};

await benches[named ? (first as Name) : 'feed']();
