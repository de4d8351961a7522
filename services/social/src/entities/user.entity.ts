import { EntitySchema } from 'typeorm';
import type { Role } from '@moim/kit';

export interface User {
  id: string;
  email: string;
  /** normalisedKey(email): unique. */
  emailKey: string;
  passwordHash: string;
  nickname: string;
  /** normalisedKey(nickname): unique. */
  nicknameKey: string;
  bio: string | null;
  role: Role;
  phone: string | null;
  phoneVerifiedAt: Date | null;
  /** The Firebase Auth account linked to this one (signInWithFirebase). */
  firebaseUid: string | null;
  /** The media shown as the user's picture (an upload of theirs with purpose AVATAR). */
  avatarId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    email: { type: 'varchar', length: 254, unique: true },
    emailKey: { name: 'email_key', type: 'varchar', length: 300, unique: true },
    passwordHash: { name: 'password_hash', type: 'varchar', length: 255 },
    nickname: { type: 'varchar', length: 20, unique: true },
    nicknameKey: { name: 'nickname_key', type: 'varchar', length: 80, unique: true },
    bio: { type: 'varchar', length: 300, nullable: true },
    role: { type: 'varchar', length: 10 },
    phone: { type: 'varchar', length: 20, nullable: true, unique: true },
    phoneVerifiedAt: { name: 'phone_verified_at', type: 'datetime', precision: 3, nullable: true },
    firebaseUid: { name: 'firebase_uid', type: 'varchar', length: 128, nullable: true, unique: true },
    avatarId: { name: 'avatar_id', type: 'varchar', length: 36, nullable: true, unique: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
