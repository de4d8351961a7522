import {
  afterKeyset,
  pageOf,
  requireAdmin,
  toConnection,
  type Caller,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import { ImportRunEntity, type ImportRun } from '../entities';
import type { CatalogDeps } from './context';

/** Admin only: the imports of every term, the last finished first (keyset on finished_at, id). */
export async function importRunsPage(
  deps: CatalogDeps,
  caller: Caller,
  args: PageArgs,
): Promise<Connection<ImportRun>> {
  requireAdmin(caller);
  const page = pageOf(args);
  const qb = deps.db.dataSource.getRepository(ImportRunEntity).createQueryBuilder('r');
  afterKeyset(qb, page.after, 'r', 'id', 'finished_at');
  const rows = await qb
    .orderBy('r.finishedAt', 'DESC')
    .addOrderBy('r.id', 'DESC')
    .limit(page.size + 1)
    .getMany();
  return toConnection(rows, page.size, (run) => ({ createdAt: run.finishedAt, id: run.id }));
}
