/** What a push says; `data` travels to the app untouched (the notification's id, its target). */
export interface PushMessage {
  title: string;
  body: string;
  data: Record<string, string>;
}

/**
 * How one token fared: `sent`; `invalid` (the token is gone for good: unregistered, malformed,
 * another project's), so it is deleted; `retry` (the provider failed for now), so it is tried again.
 */
export type PushOutcome = 'sent' | 'invalid' | 'retry';

/** The push port: the FCM adapter (firebase-admin messaging) and the local one that logs. */
export interface PushSender {
  readonly name: 'fcm' | 'local';
  /** One outcome per token, in the order given. */
  send(tokens: string[], message: PushMessage): Promise<PushOutcome[]>;
}
