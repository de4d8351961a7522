import { describe, expect, it } from 'vitest';
import { pushMessage } from './push-job';

const n = (
  kind: 'LIKE' | 'COMMENT' | 'REPLY' | 'FOLLOW',
  actorCount = 1,
  targetId: string | null = 't-1',
) => ({
  id: 'n-1',
  kind,
  actorCount,
  targetId,
});

describe('push messages', () => {
  it('names the latest actor and counts the others', () => {
    expect(pushMessage(n('LIKE', 4), 'mina', 'REVIEW')).toEqual({
      title: 'New like',
      body: 'mina and 3 others liked your review',
      data: { notificationId: 'n-1', kind: 'LIKE', targetId: 't-1' },
    });
    expect(pushMessage(n('LIKE', 2), 'mina', 'POST').body).toBe('mina and 1 other liked your post');
    expect(pushMessage(n('LIKE'), 'mina', 'POST').body).toBe('mina liked your post');
  });

  it('says what happened for each kind; a follow has no target', () => {
    expect(pushMessage(n('COMMENT'), 'jun', 'REVIEW').body).toBe('jun commented on your review');
    expect(pushMessage(n('REPLY'), 'jun', 'POST').body).toBe('jun replied to your comment');
    const followed = pushMessage(n('FOLLOW', 1, null), 'jun', null);
    expect(followed).toEqual({
      title: 'New follower',
      body: 'jun started following you',
      data: { notificationId: 'n-1', kind: 'FOLLOW' },
    });
  });
});
