import { EntitySchema } from 'typeorm';

export interface Place {
  id: string;
  name: string;
  address: string | null;
  category: string;
  latitude: number | null;
  longitude: number | null;
  externalUrl: string | null;
  createdBy: string;
  createdAt: Date;
}

export const PlaceEntity = new EntitySchema<Place>({
  name: 'Place',
  tableName: 'places',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    name: { type: 'varchar', length: 100 },
    address: { type: 'varchar', length: 200, nullable: true },
    category: { type: 'varchar', length: 50 },
    latitude: { type: 'double', nullable: true },
    longitude: { type: 'double', nullable: true },
    externalUrl: { name: 'external_url', type: 'varchar', length: 500, nullable: true },
    createdBy: { name: 'created_by', type: 'varchar', length: 36 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});
