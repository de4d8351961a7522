export * from './follow.entity';
export * from './phone-code.entity';
export * from './session.entity';
export * from './user.entity';
import { FollowEntity } from './follow.entity';
import { PhoneCodeEntity } from './phone-code.entity';
import { RefreshTokenEntity, SessionEntity } from './session.entity';
import { UserEntity } from './user.entity';

export const entities = [UserEntity, SessionEntity, RefreshTokenEntity, FollowEntity, PhoneCodeEntity];
