import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchableChange, SearchDocument } from '@moim/events';
import {
  EVENT_PAYLOAD_BYTES,
  fetchSearchablePage,
  OutboxEvent,
  startService,
  type BackendKind,
} from '@moim/kit';
import { openTestBackend, TEST_SECRET, testEnv, type TestBackend } from '@moim/kit/testing';
import { applyCatalog, CourseEntity, service, type CatalogService } from '../src';
import type { SectionRecord } from '../src/import/records';

// What course-catalog tells search (issue 21), read back from its outbox: the courses an import
// creates or changes, in events of at most 500 changes that fit the outbox's column; none for an
// import that changes nothing; null for a course whose sections are all cancelled, and the
// document again when one comes back; and the pages `npm run reindex` reads. On both backends.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let catalog: CatalogService;
  let url: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(
      testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('course-catalog') }),
    );
    catalog = await startService(service.define(config), config, { backend: test.backend, role: 'api' });
    url = await catalog.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await catalog?.stop();
    await test?.cleanUp();
  });

  const outbox = () => catalog.deps.db.dataSource.getRepository(OutboxEvent);
  /** The searchable.changed events `work` recorded, oldest first, with their size in bytes. */
  async function recordedBy(work: () => Promise<unknown>) {
    const { last } = (await outbox().createQueryBuilder('e').select('MAX(e.seq)', 'last').getRawOne()) as {
      last: unknown;
    };
    await work();
    return (
      await outbox()
        .createQueryBuilder('e')
        .where('e.seq > :last AND e.topic = :topic', { last: last ?? 0, topic: 'searchable.changed' })
        .orderBy('e.seq', 'ASC')
        .getMany()
    ).map((row) => ({
      bytes: Buffer.byteLength(row.payload, 'utf8'),
      ...(JSON.parse(row.payload) as { changes: SearchableChange[] }),
    }));
  }
  /** One section per course, `CS 1000` to `CS <1000 + n - 1>`, unless told otherwise. */
  const section = (n: number, course: Partial<SectionRecord['course']> = {}, crn = String(10_000 + n)) => ({
    line: n + 1,
    course: {
      subject: 'CS',
      number: String(1000 + n),
      title: `Topic ${n}`,
      description: `About topic ${n}`,
      creditsMin: 3,
      creditsMax: 3,
      ...course,
    },
    externalId: crn,
    code: 'A',
    type: 'Lecture',
    online: false,
    instructors: ['Lee, K'],
    status: 'OPEN' as const,
    meetings: [],
  });
  const importInto = (university: string, sections: SectionRecord[]) =>
    applyCatalog(catalog.deps.db, {
      source: 'test',
      university: { key: university, name: `${university} University`, country: 'US', timezone: 'UTC' },
      termCode: '2031-fa',
      catalog: { term: null, rejected: [], sections },
    });
  const courses = (termId: string) =>
    catalog.deps.db.dataSource.getRepository(CourseEntity).find({ where: { termId }, order: { id: 'ASC' } });
  const doc = (c: {
    id: string;
    subject: string;
    number: string;
    title: string;
    description: string | null;
    createdAt: Date;
  }): SearchDocument => ({
    kind: 'COURSE',
    id: c.id,
    title: `${c.subject} ${c.number} ${c.title}`,
    body: c.description ?? '',
    authorId: null,
    popularity: 0,
    createdAt: c.createdAt.toISOString(),
  });

  it('announces the courses an import creates in batches, those it changes, cancels or brings back, and nothing else', async () => {
    const sections = Array.from({ length: 1200 }, (_, n) => section(n));
    // A course with two sections: one cancelled later leaves it offered.
    sections.push(section(0, {}, '99999'));
    let termId = '';
    const first = await recordedBy(async () => {
      termId = (await importInto('search-a', sections)).termId;
    });
    const rows = await courses(termId);
    expect(rows).toHaveLength(1200);
    for (const event of first) {
      expect(event.changes.length).toBeLessThanOrEqual(500);
      expect(event.bytes).toBeLessThanOrEqual(EVENT_PAYLOAD_BYTES);
    }
    expect(first.length).toBeGreaterThanOrEqual(3);
    const announced = first.flatMap((e) => e.changes);
    expect(announced).toHaveLength(1200);
    expect(new Map(announced.map((c) => [c.id, c.document]))).toEqual(
      new Map(rows.map((c) => [c.id, doc(c)])),
    );
    expect(announced.find((c) => c.document?.title === 'CS 1007 Topic 7')?.document).toMatchObject({
      body: 'About topic 7',
    });

    // The same again: nothing changed, nothing announced. A section's status alone: no course changed.
    expect(await recordedBy(() => importInto('search-a', sections))).toEqual([]);
    const closed = sections.map((s) => (s.externalId === '10005' ? { ...s, status: 'CLOSED' as const } : s));
    expect(await recordedBy(() => importInto('search-a', closed))).toEqual([]);

    // A new description, the only section of CS 1003 gone, one of CS 1000's two gone.
    const byNumber = (number: string) => rows.find((c) => c.number === number)!;
    const next = sections
      .filter((s) => s.externalId !== '10003' && s.externalId !== '99999')
      .map((s) => (s.externalId === '10002' ? { ...s, course: { ...s.course, description: null } } : s));
    const changedAndGone = await recordedBy(() => importInto('search-a', next));
    expect(changedAndGone[0]?.changes).toHaveLength(2);
    expect(changedAndGone).toEqual([
      {
        bytes: expect.any(Number),
        changes: expect.arrayContaining([
          { kind: 'COURSE', id: byNumber('1002').id, document: { ...doc(byNumber('1002')), body: '' } },
          { kind: 'COURSE', id: byNumber('1003').id, document: null },
        ]),
      },
    ]);
    // And back: its section is offered again.
    expect(
      await recordedBy(() =>
        importInto(
          'search-a',
          sections.filter((s) => s.externalId !== '99999'),
        ),
      ),
    ).toEqual([
      {
        bytes: expect.any(Number),
        changes: expect.arrayContaining([
          { kind: 'COURSE', id: byNumber('1002').id, document: doc(byNumber('1002')) },
          { kind: 'COURSE', id: byNumber('1003').id, document: doc(byNumber('1003')) },
        ]),
      },
    ]);
  });

  it('fits long descriptions into the outbox, a few courses an event, each whole', async () => {
    // 19,000 characters, the longest an import takes is 20,000: three to an event of 60,000 bytes.
    const long = (n: number) => `${n} `.padEnd(19_000, 'lorem ipsum ');
    const sections = Array.from({ length: 20 }, (_, n) => section(n, { description: long(n) }));
    let termId = '';
    const events = await recordedBy(async () => {
      termId = (await importInto('search-b', sections)).termId;
    });
    expect(events.length).toBeGreaterThanOrEqual(7);
    for (const event of events) expect(event.bytes).toBeLessThanOrEqual(EVENT_PAYLOAD_BYTES);
    const announced = events.flatMap((e) => e.changes);
    expect(announced.map((c) => c.document!.body).sort()).toEqual(
      sections.map((s) => s.course.description).sort(),
    );
    expect(announced).toHaveLength((await courses(termId)).length);
  });

  it('serves every course still offered for reindexing, each once, as the events announce them', async () => {
    const sections = Array.from({ length: 30 }, (_, n) => section(n));
    const { termId } = await importInto('search-c', sections);
    await importInto(
      'search-c',
      sections.filter((s) => s.externalId !== '10004'),
    );
    const served: SearchDocument[] = [];
    let after: string | null = null;
    do {
      const page = await fetchSearchablePage(url, TEST_SECRET, { kind: 'COURSE', after, limit: 7 });
      served.push(...page.documents);
      after = page.next;
    } while (after);
    const offered = await catalog.deps.db.dataSource
      .getRepository(CourseEntity)
      .find({ where: { offered: true }, order: { id: 'ASC' } });
    expect(served.map((d) => d.id)).toEqual(offered.map((c) => c.id));
    expect(served).toEqual(offered.map(doc));
    const cancelled = (await courses(termId)).find((c) => c.number === '1004')!;
    expect(cancelled.offered).toBe(false);
    expect(served.map((d) => d.id)).not.toContain(cancelled.id);
  });
});
