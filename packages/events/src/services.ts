/**
 * Every subgraph of the graph, in start order (a service may use what earlier ones announce).
 * Adding a subgraph is a folder `services/<name>` (package `@moim/<name>`, exporting `service`)
 * and one line here: the gateway's subgraph list and environment variables, composition,
 * `npm start`, the demo seed and the test harness all derive from this list.
 */
export const SERVICES = [
  { name: 'social', port: 4001 },
  { name: 'review', port: 4002 },
  { name: 'media', port: 4003 },
  { name: 'course-catalog', port: 4004 },
  { name: 'chat', port: 4005 },
  { name: 'search', port: 4006 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export const serviceNames: readonly ServiceName[] = SERVICES.map((s) => s.name);

/** `course-catalog` → `COURSE_CATALOG`: the stem of a service's environment variables. */
export const envStem = (name: ServiceName): string => name.toUpperCase().replace(/-/g, '_');
