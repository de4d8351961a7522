import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Like } from 'typeorm';
import { defineJob, defineQueue, OutboxEvent, recordJob } from '@moim/kit';
import { CHAT_PUSH_JOB, type ChatPushPayload } from '@moim/events';
import type { PushMessage, PushOutcome, PushSender, SocialDeps } from '@moim/social';
import { ok, startGraph, type Account, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(async () => {
  await graph?.stop();
});

const social = () => graph.service<SocialDeps>('social');
const db = () => social().deps.db.dataSource;

/** The job as chat declares it on its side (it records onto social's `push` queue). */
const CHAT_PUSH = defineJob<ChatPushPayload>(defineQueue(CHAT_PUSH_JOB.queue), CHAT_PUSH_JOB.name, {
  attempts: 6,
  backoff: { delayMs: 2000, maxDelayMs: 300_000 },
});

/** Records a chat push in social's database, as chat's outbox does, and waits for the push queue. */
async function chatPush(payload: Omit<ChatPushPayload, 'roomId' | 'messageId'>) {
  const ids = { roomId: randomUUID(), messageId: randomUUID() };
  await social().deps.db.transaction((manager) => recordJob(manager, CHAT_PUSH, { ...ids, ...payload }));
  await graph.drained('push');
  return ids;
}

interface SentPush {
  tokens: string[];
  message: PushMessage;
}
/** What social's local push adapter "sent" (the graph runs without Firebase credentials). */
const localSent = () => (social().deps.push as unknown as { sent: SentPush[] }).sent;
const pushesOf = (messageId: string) => localSent().filter((p) => p.message.data.messageId === messageId);

/** Runs `work` with a sender answering each call with `answer`, and what it was given. */
async function withScriptedSender(
  answer: (tokens: string[], call: number) => PushOutcome[],
  work: () => Promise<unknown>,
): Promise<SentPush[]> {
  const calls: SentPush[] = [];
  const deps = social().deps as { push: PushSender };
  const original = deps.push;
  deps.push = {
    name: 'local',
    async send(tokens, message) {
      calls.push({ tokens, message });
      return answer(tokens, calls.length);
    },
  };
  try {
    await work();
  } finally {
    deps.push = original;
  }
  return calls;
}

const registerDevice = async (who: Account, device: string) =>
  ok(
    await graph.gql(
      'mutation($t: String!) { registerDevice(token: $t, platform: ANDROID) }',
      { t: device },
      who.token,
    ),
  );
const block = async (blocker: Account, blocked: Account) =>
  ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: blocked.id }, blocker.token));

const devicesOf = async (userId: string) =>
  (await db().getRepository<{ token: string; userId: string }>('Device').findBy({ userId }))
    .map((d) => d.token)
    .sort();

describe('chat pushes', () => {
  it("pushes the sender's nickname and preview to each recipient's devices, leaving out blocks and unknown users", async () => {
    const sender = await graph.person('sender');
    const [mina, jun, blocker, blockedBySender] = [
      await graph.person('mina'),
      await graph.person('jun'),
      await graph.person('blocker'),
      await graph.person('blocked'),
    ];
    for (const who of [mina, jun, blocker, blockedBySender]) await registerDevice(who, `phone-${who.id}`);
    await registerDevice(jun, `tablet-${jun.id}`);
    await registerDevice(sender, `phone-${sender.id}`);
    await block(blocker, sender);
    await block(sender, blockedBySender);

    const { roomId, messageId } = await chatPush({
      senderId: sender.id,
      recipientIds: [mina.id, jun.id, blocker.id, blockedBySender.id, randomUUID()],
      preview: 'See you at 6?',
    });

    const pushes = pushesOf(messageId);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.message).toEqual({
      title: sender.nickname,
      body: 'See you at 6?',
      data: { kind: 'CHAT', roomId, messageId },
    });
    expect([...pushes[0]!.tokens].sort()).toEqual(
      [`phone-${mina.id}`, `phone-${jun.id}`, `tablet-${jun.id}`].sort(),
    );
  });

  it('says an attachment was sent when there is no preview, and sends nothing once the sender is gone', async () => {
    const sender = await graph.person('sender');
    const mina = await graph.person('mina');
    await registerDevice(mina, `phone-${mina.id}`);

    const attachment = await chatPush({ senderId: sender.id, recipientIds: [mina.id], preview: null });
    expect(pushesOf(attachment.messageId).map((p) => p.message.body)).toEqual(['sent an attachment']);

    const gone = await chatPush({ senderId: randomUUID(), recipientIds: [mina.id], preview: 'Hello?' });
    expect(pushesOf(gone.messageId)).toEqual([]);
  });

  it('deletes the tokens the provider reports invalid and keeps the others', async () => {
    const sender = await graph.person('sender');
    const mina = await graph.person('mina');
    for (const device of ['keep', 'dead']) await registerDevice(mina, `${device}-${mina.id}`);

    const calls = await withScriptedSender(
      (tokens) => tokens.map((t) => (t.startsWith('dead-') ? 'invalid' : 'sent')),
      () => chatPush({ senderId: sender.id, recipientIds: [mina.id], preview: 'Hi' }),
    );
    expect(calls.map((c) => c.tokens)).toEqual([[`dead-${mina.id}`, `keep-${mina.id}`]]);
    expect(await devicesOf(mina.id)).toEqual([`keep-${mina.id}`]);
  });

  it('retries only the tokens that failed for now, in a follow-up job', async () => {
    const sender = await graph.person('sender');
    const mina = await graph.person('mina');
    for (const device of ['first', 'second']) await registerDevice(mina, `${device}-${mina.id}`);

    let messageId = '';
    const calls = await withScriptedSender(
      (tokens, call) => tokens.map((t) => (call === 1 && t.startsWith('second-') ? 'retry' : 'sent')),
      async () => {
        ({ messageId } = await chatPush({ senderId: sender.id, recipientIds: [mina.id], preview: 'Hi' }));
      },
    );
    expect(calls.map((c) => c.tokens)).toEqual([
      [`first-${mina.id}`, `second-${mina.id}`],
      [`second-${mina.id}`],
    ]);
    const followUp = await db()
      .getRepository(OutboxEvent)
      .findOneByOrFail({
        topic: `job:push:${CHAT_PUSH_JOB.name}`,
        payload: Like(`%"chat-push-${messageId}-%-1"%`),
      });
    expect(JSON.parse(followUp.payload).data).toMatchObject({
      messageId,
      tokens: [`second-${mina.id}`],
      attempt: 1,
    });
    expect(await devicesOf(mina.id)).toEqual([`first-${mina.id}`, `second-${mina.id}`]);
  });
});
