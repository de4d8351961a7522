import type { MigrationInterface, QueryRunner } from 'typeorm';
import { announceBlocksAndLikes } from '../domain/announce-existing';

/**
 * Announces the blocks and likes made before search consumed `block.*` and `like.*` (see
 * announceBlocksAndLikes). On a rolling deployment the previous release's relays may route these
 * rows before the new routing is everywhere: `npm run reindex`, run once after the rollout,
 * announces them again. A fresh database has none and gets none.
 */
export class AnnounceBlocksAndLikes1765000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await announceBlocksAndLikes(q.manager);
  }

  async down(): Promise<void> {
    // Announcements cannot be taken back; search, review and chat keep what they learnt.
  }
}
