export {
  createMoimClient,
  wsUrlFor,
  type ExecuteBody,
  type ExecuteResult,
  type MoimClient,
  type MoimClientOptions,
} from './client';
export { LoggedOutError, MoimGraphQLError, MoimUploadError, type MoimErrorEntry } from './errors';
export { memoryStore, SessionManager, type Session, type SessionStore, type SessionUser } from './session';
export type { UploadedMedia, UploadOptions } from './upload';
export type { ChatSink, RoomSubscriptionOptions } from './chat';
export type { FetchLike } from './transport';
export * from './generated/graphql';
