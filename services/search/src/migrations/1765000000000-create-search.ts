import type { MigrationInterface, QueryRunner } from 'typeorm';
import { column, tableMaker } from '@moim/kit';

export class CreateSearch1765000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const table = tableMaker(q);
    await table(
      'search_documents',
      [
        column.text('doc_key', 50, { primary: true }),
        column.text('kind', 8),
        column.id('id'),
        { name: 'title', type: 'text' },
        { name: 'body', type: 'text' },
        column.id('author_id', { nullable: true }),
        { name: 'popularity', type: 'int' },
        column.time('created_at'),
        { name: 'findable', type: 'boolean' },
        { name: 'version', type: 'bigint' },
        column.time('touched_at'),
      ],
      // A reindex retires what it did not see, by kind.
      [['idx_search_documents_touched', ['kind', 'touched_at']]],
    );
    await table('search_likes', [
      column.text('doc_key', 50, { primary: true }),
      column.id('user_id', { primary: true }),
      { name: 'active', type: 'boolean' },
      { name: 'version', type: 'bigint' },
    ]);
    await table(
      'search_changes',
      [
        { name: 'seq', type: 'bigint', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        column.text('doc_key', 50),
        { name: 'document', type: 'boolean' },
        column.time('created_at'),
      ],
      [['idx_search_changes_created', ['created_at']]],
    );
    await table('search_blocks', [
      column.id('blocker_id', { primary: true }),
      column.id('blocked_id', { primary: true }),
      { name: 'active', type: 'boolean' },
      { name: 'version', type: 'bigint' },
    ]);
    await table('search_state', [column.text('name', 40, { primary: true }), column.text('value', 100)]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [
      'search_state',
      'search_blocks',
      'search_changes',
      'search_likes',
      'search_documents',
    ])
      await q.dropTable(name);
  }
}
