import { EntitySchema } from 'typeorm';

/** A verification code sent by SMS; only its keyed hash is stored. */
export interface PhoneCode {
  id: string;
  userId: string;
  phone: string;
  codeHash: string;
  attempts: number;
  createdAt: Date;
  expiresAt: Date;
  consumedAt: Date | null;
}

export const PhoneCodeEntity = new EntitySchema<PhoneCode>({
  name: 'PhoneCode',
  tableName: 'phone_codes',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
    phone: { type: 'varchar', length: 20 },
    codeHash: { name: 'code_hash', type: 'varchar', length: 64 },
    attempts: { type: 'int', default: 0 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    expiresAt: { name: 'expires_at', type: 'datetime', precision: 3 },
    consumedAt: { name: 'consumed_at', type: 'datetime', precision: 3, nullable: true },
  },
});
