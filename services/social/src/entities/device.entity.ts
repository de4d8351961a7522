import { EntitySchema } from 'typeorm';

export type DevicePlatform = 'IOS' | 'ANDROID' | 'WEB';

/** A push token (FCM registration token) and the account it belongs to now. */
export interface Device {
  token: string;
  userId: string;
  platform: DevicePlatform;
  createdAt: Date;
  updatedAt: Date;
}

export const DeviceEntity = new EntitySchema<Device>({
  name: 'Device',
  tableName: 'devices',
  columns: {
    token: { type: 'varchar', length: 512, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
    platform: { type: 'varchar', length: 10 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
