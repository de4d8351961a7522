export * from './media.entity';
import { MediaEntity } from './media.entity';

export const entities = [MediaEntity];
