export * from './demo';
export { seedDemo, type Seeder } from './seed';
export { parseNsmc, toStars, type NsmcRow } from './nsmc';
export type { DemoPost } from './posts';
