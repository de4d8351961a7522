import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const id = (name: string, opts: { primary?: boolean; nullable?: boolean } = {}) => ({
  name,
  type: 'varchar',
  length: '36',
  isPrimary: opts.primary ?? false,
  isNullable: opts.nullable ?? false,
});
const time = (name: string) => ({ name, type: 'datetime', precision: 3 });
const text = (name: string, length: number, nullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});

export class CreateReview1764300000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'places',
        columns: [
          id('id', { primary: true }),
          text('name', 100),
          text('address', 200, true),
          text('category', 50),
          { name: 'latitude', type: 'double', isNullable: true },
          { name: 'longitude', type: 'double', isNullable: true },
          text('external_url', 500, true),
          id('created_by'),
          time('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'products',
        columns: [
          id('id', { primary: true }),
          text('name', 100),
          text('brand', 100, true),
          text('category', 50),
          text('purchase_url', 500, true),
          id('created_by'),
          time('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'reviews',
        columns: [
          id('id', { primary: true }),
          text('kind', 10),
          text('title', 100, true),
          { name: 'body', type: 'text' },
          { name: 'rating', type: 'int' },
          id('place_id', { nullable: true }),
          id('product_id', { nullable: true }),
          id('author_id'),
          { name: 'hidden', type: 'boolean', default: false },
          time('created_at'),
          time('updated_at'),
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
          id('follower_id', { primary: true }),
          id('followee_id', { primary: true }),
          { name: 'active', type: 'boolean' },
          time('changed_at'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['follow_edges', 'reviews', 'products', 'places']) await q.dropTable(table);
  }
}
