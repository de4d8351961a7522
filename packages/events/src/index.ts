import { SERVICES, type ServiceName } from './services';

export * from './services';

/**
 * The catalogue of events that cross service boundaries: the topic, its payload, and which
 * services consume it. The outbox relay routes by this table, and a consumer fails at start
 * when it lacks a handler for a topic routed to it, so the two sides cannot drift apart.
 */
export interface EventPayloads {
  'user.created': { userId: string };
  'follow.created': { followerId: string; followeeId: string };
  'follow.deleted': { followerId: string; followeeId: string };
  /** A review came to exist, changed, or changed visibility: social keeps what people can interact with. */
  'review.created': ReviewChange;
  'review.updated': ReviewChange;
  'review.hidden': ReviewChange;
  'review.unhidden': ReviewChange;
  'review.deleted': ReviewChange;
  'block.created': { blockerId: string; blockedId: string };
  'block.deleted': { blockerId: string; blockedId: string };
  /** An upload was asked for: review and social learn whose media it is (attaching checks it). */
  'media.created': { mediaId: string; ownerId: string; purpose: MediaPurpose };
  /** Processing refused the bytes: the media can no longer be attached. */
  'media.failed': { mediaId: string; ownerId: string };
  /** Media put on (or taken off) a review, post or avatar: `subject` is e.g. `review:<id>`. */
  'media.attached': { mediaIds: string[]; ownerId: string; subject: string };
  'media.detached': { mediaIds: string[]; subject: string };
  /** An admin resolved a report; with HIDE on a review, review hides it as hideReview does. */
  'report.resolved': {
    reportId: string;
    targetId: string;
    targetKind: 'REVIEW' | 'POST';
    action: 'DISMISS' | 'HIDE';
    adminId: string;
  };
  /** A student put a course section on their timetable (or took it off): chat manages room membership. */
  'timetable.section.added': TimetableChange;
  'timetable.section.removed': TimetableChange;
  /**
   * Things people can search for came to exist, changed, or may no longer be found: each change
   * carries the whole document as it is now (or null), so the latest event alone tells its state.
   */
  'searchable.changed': { changes: SearchableChange[] };
  /** Someone liked (or stopped liking) a review or post: search ranks by likes, review learns tastes. */
  'like.created': LikeChange;
  'like.deleted': LikeChange;
  /** Someone scrapped (or unscrapped) a review or post: review learns tastes from it. */
  'scrap.created': LikeChange;
  'scrap.deleted': LikeChange;
  /** Someone commented on a review or post, or deleted their comment: a weak signal of taste. */
  'comment.created': CommentChange;
  'comment.deleted': CommentChange;
}

/** A like or scrap (a reaction) made or taken back. */
export interface LikeChange {
  userId: string;
  targetKind: 'REVIEW' | 'POST';
  targetId: string;
  /** When it was made (ISO-8601): recommendations decay with age. Older producers left it out. */
  at?: string;
}

export interface CommentChange extends LikeChange {
  commentId: string;
}

/** What the search subgraph can find; each kind is owned (and resolved) by one subgraph. */
export type SearchKind = 'USER' | 'REVIEW' | 'PLACE' | 'PRODUCT' | 'POST' | 'COURSE';

/** The searchable text of one thing, as its owning subgraph announces it. */
export interface SearchDocument {
  kind: SearchKind;
  id: string;
  /** The name or title: a nickname, a place's or product's name, a review's or post's title, `CS 225 Data Structures`. Suggestions and initial-consonant search use it. */
  title: string;
  /** The longer text: a review's or post's body, a bio, a course description, an address or brand. */
  body: string;
  /** The user whose content it is (a review's or post's author; a user themself), so those who block them never find it. */
  authorId: string | null;
  /** What the owner knows of its popularity (a place's or product's review count); likes arrive as like events. */
  popularity: number;
  createdAt: string;
}

/** One thing's searchable state after a change: `document` null when it is deleted, hidden or cancelled. */
export interface SearchableChange {
  kind: SearchKind;
  id: string;
  document: SearchDocument | null;
}

export interface TimetableChange {
  userId: string;
  sectionId: string;
  termId: string;
}

/**
 * A push about a chat message, recorded by chat on social's `push` queue (social owns devices,
 * blocks and nicknames): to `recipientIds`, members of the room who are offline and have not
 * muted it; social leaves out those who blocked the sender.
 */
export interface ChatPushPayload {
  roomId: string;
  messageId: string;
  senderId: string;
  recipientIds: string[];
  /** The start of the message, or null for attachments only. */
  preview: string | null;
}

/** The job chat records on social's queue for a chat push. */
export const CHAT_PUSH_JOB = { queue: 'push', name: 'chat-message' } as const;

export type MediaPurpose = 'REVIEW' | 'POST' | 'AVATAR' | 'CHAT';

/** The review as it is after the change, so the latest event alone tells its whole state. */
export interface ReviewChange {
  reviewId: string;
  authorId: string;
  hidden: boolean;
}

export type Topic = keyof EventPayloads;

export const consumersOf: { readonly [T in Topic]: readonly ServiceName[] } = {
  // review checks that the author of an admin-written review exists.
  'user.created': ['review'],
  'follow.created': ['review'],
  'follow.deleted': ['review'],
  'review.created': ['social'],
  'review.updated': ['social'],
  'review.hidden': ['social'],
  'review.unhidden': ['social'],
  'review.deleted': ['social'],
  // review leaves blocked authors out of the blocker's feeds.
  'block.created': ['review', 'chat', 'search'],
  'block.deleted': ['review', 'chat', 'search'],
  'report.resolved': ['review'],
  'media.created': ['review', 'social', 'chat'],
  'media.failed': ['review', 'social', 'chat'],
  'media.attached': ['media'],
  'media.detached': ['media'],
  // Chat joins and leaves section rooms from these (issue 17); until then they are recorded and relayed to no queue.
  'timetable.section.added': ['chat'],
  'timetable.section.removed': ['chat'],
  'searchable.changed': ['search'],
  // review's popular tab learns from likes, scraps and comments on reviews (issue 22).
  'like.created': ['search', 'review'],
  'like.deleted': ['search', 'review'],
  'scrap.created': ['review'],
  'scrap.deleted': ['review'],
  'comment.created': ['review'],
  'comment.deleted': ['review'],
};

/** What travels on a queue: the outbox row's id doubles as the idempotency key. */
export interface EventEnvelope<T extends Topic = Topic> {
  id: string;
  topic: T;
  payload: EventPayloads[T];
  /**
   * The event's place in its producer's outbox: of two events about the same thing, the larger
   * sequence is the later change, whatever the replicas' clocks said.
   */
  sequence: number;
  occurredAt: string;
}

export function topicsConsumedBy(service: ServiceName): Topic[] {
  return (Object.keys(consumersOf) as Topic[]).filter((topic) => consumersOf[topic].includes(service));
}

/** The BullMQ queue a service reads its events from. */
export function eventQueueName(service: ServiceName): string {
  return `${service}-events`;
}

/**
 * Each service's job queues (declared with `defineQueue` beside their jobs; the kit refuses to
 * start a service whose processors use a queue missing here), so that operators' tools — `npm
 * run jobs`, the admin's `failedJobs` — know every queue there is.
 */
export const JOB_QUEUES: { readonly [S in ServiceName]: readonly string[] } = {
  social: ['push'],
  review: ['recommend'],
  media: ['image-resize', 'media-cleanup'],
  'course-catalog': ['catalog-import'],
  chat: ['chat-fanout'],
  search: ['search-changes'],
};

/** The queue every service with a database prunes its outbox on. */
export const maintenanceQueueName = (service: ServiceName): string => `${service}-maintenance`;

/** Every queue of the graph: each service's events, job queues and maintenance. */
export const allQueueNames = (): string[] =>
  SERVICES.flatMap(({ name }) => [eventQueueName(name), ...JOB_QUEUES[name], maintenanceQueueName(name)]);
