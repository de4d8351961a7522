import type { MigrationInterface, QueryRunner } from 'typeorm';
import { announceTastes } from '../domain/announce-existing';

/**
 * Announces the likes, scraps and comments on reviews made before review consumed them (see
 * announceTastes), so the first model of the popular tab knows them. A fresh database has none.
 */
export class AnnounceTastes1766000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await announceTastes(q.manager);
  }

  async down(): Promise<void> {
    // Announcements cannot be taken back; review keeps what it learnt.
  }
}
