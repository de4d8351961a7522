import { afterAll, beforeAll, expect, it } from 'vitest';
import { SERVICES } from '@moim/events';
import { OutboxEvent, ProcessedEvent } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import { KnownUserEntity } from '@moim/review';
import { startGraph, type Graph } from '../src';

// Every service with a database runs a repeatable job that prunes delivered outbox rows and the
// ids of applied events; here every second, with no retention, so it is seen at work.
let graph: Graph;
beforeAll(async () => {
  const prune = {
    PRUNE_INTERVAL_SECONDS: '1',
    OUTBOX_RETENTION_DAYS: '0',
    PROCESSED_EVENTS_RETENTION_DAYS: '0',
  };
  graph = await startGraph({ env: Object.fromEntries(SERVICES.map((s) => [s.name, prune])) });
});
afterAll(() => graph?.stop());

it('prunes delivered outbox rows and applied event ids on a schedule', async () => {
  const { id } = await graph.signUp('pruned');
  // The user.created event was applied: review knows the user.
  await eventually(() =>
    graph.service('review').deps.db.dataSource.getRepository(KnownUserEntity).existsBy({ id }),
  );
  const outbox = graph.service('social').deps.db.dataSource.getRepository(OutboxEvent);
  const processed = graph.service('review').deps.db.dataSource.getRepository(ProcessedEvent);
  await eventually(async () => (await outbox.count()) === 0 && (await processed.count()) === 0, 10_000);
  // What the events did stays: only the bookkeeping is gone.
  expect(
    await graph.service('review').deps.db.dataSource.getRepository(KnownUserEntity).existsBy({ id }),
  ).toBe(true);
});
