import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { column } from '@moim/kit';

export class CreateReview1764300000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'places',
        columns: [
          column.id('id', { primary: true }),
          column.text('name', 100),
          column.text('address', 200, { nullable: true }),
          column.text('category', 50),
          { name: 'latitude', type: 'double', isNullable: true },
          { name: 'longitude', type: 'double', isNullable: true },
          column.text('external_url', 500, { nullable: true }),
          column.id('created_by'),
          column.time('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'products',
        columns: [
          column.id('id', { primary: true }),
          column.text('name', 100),
          column.text('brand', 100, { nullable: true }),
          column.text('category', 50),
          column.text('purchase_url', 500, { nullable: true }),
          column.id('created_by'),
          column.time('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'reviews',
        columns: [
          column.id('id', { primary: true }),
          column.text('kind', 10),
          column.text('title', 100, { nullable: true }),
          { name: 'body', type: 'text' },
          { name: 'rating', type: 'int' },
          column.id('place_id', { nullable: true }),
          column.id('product_id', { nullable: true }),
          column.id('author_id'),
          { name: 'hidden', type: 'boolean', default: false },
          column.time('created_at'),
          column.time('updated_at'),
        ],
      }),
    );
    // Every list of reviews pages by keyset (created_at, id) newest first, each on its own index.
    const indexes: Array<[string, string[]]> = [
      ['idx_reviews_latest', ['hidden', 'created_at', 'id']],
      ['idx_reviews_author', ['author_id', 'created_at', 'id']],
      ['idx_reviews_place', ['place_id', 'created_at', 'id']],
      ['idx_reviews_product', ['product_id', 'created_at', 'id']],
    ];
    for (const [name, columnNames] of indexes)
      await q.createIndex('reviews', new TableIndex({ name, columnNames }));
    await q.createTable(
      new Table({
        name: 'follow_edges',
        columns: [
          column.id('follower_id', { primary: true }),
          column.id('followee_id', { primary: true }),
          { name: 'active', type: 'boolean' },
          { name: 'version', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(new Table({ name: 'known_users', columns: [column.id('id', { primary: true })] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['known_users', 'follow_edges', 'reviews', 'products', 'places'])
      await q.dropTable(table);
  }
}
