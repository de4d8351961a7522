import { EntitySchema } from 'typeorm';

export interface Product {
  id: string;
  name: string;
  brand: string | null;
  category: string;
  purchaseUrl: string | null;
  createdBy: string;
  createdAt: Date;
}

export const ProductEntity = new EntitySchema<Product>({
  name: 'Product',
  tableName: 'products',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    name: { type: 'varchar', length: 100 },
    brand: { type: 'varchar', length: 100, nullable: true },
    category: { type: 'varchar', length: 50 },
    purchaseUrl: { name: 'purchase_url', type: 'varchar', length: 500, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 36 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});
