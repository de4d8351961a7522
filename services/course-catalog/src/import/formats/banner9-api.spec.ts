import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogFormatError } from '../records';
import { fetchBanner9Term, parseBanner9Results } from './banner9-api';

// Two real answers of the University of Hawaiʻi's Banner 9 (see test/fixtures/banner9/README.md).
interface RawSection {
  courseReferenceNumber: string;
  seatsAvailable: number;
  openSection: boolean;
  [field: string]: unknown;
}
interface RawPage {
  totalCount: number;
  data: RawSection[];
  [field: string]: unknown;
}
const fixture = (name: string): RawPage =>
  JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/banner9/${name}`, import.meta.url), 'utf8'),
  ) as RawPage;
const ics111 = () => fixture('uh-fall2026-ics111.json');
const icsOnline = () => fixture('uh-fall2026-ics-online.json');

/** The section of `page` with this CRN, to edit a copy of a real section. */
const withCrn = (page: RawPage, crn: string) => page.data.find((s) => s.courseReferenceNumber === crn)!;
type RawMeetingTime = Record<string, unknown>;
const meetingTimes = (section: RawSection) =>
  (section.meetingsFaculty as Array<{ meetingTime: RawMeetingTime }>).map((m) => m.meetingTime);

describe('parseBanner9Results on real pages', () => {
  const pages = [ics111(), icsOnline()];
  const raw = pages.flatMap((p) => p.data);
  const catalog = parseBanner9Results(pages);
  const section = (crn: string) => catalog.sections.find((s) => s.externalId === crn)!;

  it('reads every section of every page, numbered across the pages', () => {
    expect(catalog.rejected).toEqual([]);
    expect(catalog.sections).toHaveLength(raw.length);
    expect(catalog.sections.map((s) => s.externalId)).toEqual(raw.map((s) => s.courseReferenceNumber));
    expect(catalog.sections.map((s) => s.line)).toEqual(raw.map((_, i) => i + 1));
  });

  it('reads the term from termDesc, dated by its meetings', () => {
    expect(catalog.term).toEqual({
      code: '2026-fa',
      name: 'Fall 2026',
      startsOn: '2026-08-24',
      endsOn: '2026-12-18',
    });
  });

  it('reads a section with two meetings, times and days from the day flags', () => {
    expect(section('71843')).toEqual({
      line: 1,
      course: {
        subject: 'ICS',
        number: '1110',
        title: 'Introduction to Computer Science I',
        description: null,
        creditsMin: 4,
        creditsMax: 4,
      },
      externalId: '71843',
      code: '001',
      type: 'Lecture/Discussion',
      online: false,
      instructors: ['Kyle M. Berney'],
      status: 'OPEN',
      meetings: [
        {
          days: 'TR',
          startTime: '09:00',
          endTime: '10:15',
          // "Pacific Ocean Science &amp; Tech" in the response.
          building: 'Pacific Ocean Science & Tech',
          room: '318A',
          // The whole term: dated only on the term.
          startDate: null,
          endDate: null,
        },
        {
          days: 'MW',
          startTime: '13:30',
          endTime: '14:45',
          building: 'Art Building',
          room: '132',
          startDate: null,
          endDate: null,
        },
      ],
    });
  });

  it('decodes entities in the schedule type and keeps a section without instructor', () => {
    expect(section('82019').type).toBe('Lecture & Lab Instruction');
    expect(section('82019').course.number).toBe('1114');
    expect(section('83087').instructors).toEqual([]);
  });

  it('reads online sections, with and without meeting times, as meeting nowhere', () => {
    expect(section('70548').online).toBe(true);
    expect(section('70548').meetings).toEqual([
      {
        days: '',
        startTime: null,
        endTime: null,
        building: null,
        room: null,
        startDate: null,
        endDate: null,
      },
    ]);
    expect(section('80393').online).toBe(true);
    expect(section('80393').meetings[0]).toMatchObject({
      days: 'TR',
      startTime: '18:00',
      endTime: '19:15',
      room: null,
    });
    expect(section('71843').online).toBe(false);
  });

  it('takes openSection over seatsAvailable', () => {
    expect(withCrn(icsOnline(), '79284')).toMatchObject({ openSection: true, seatsAvailable: 0 });
    expect(section('79284').status).toBe('OPEN');
  });
});

describe('parseBanner9Results on edited copies of real sections', () => {
  it('decodes the title, strips a term name suffix and dates a part-term meeting', () => {
    const page = ics111();
    for (const s of page.data) s.termDesc = 'Fall 2026 (View Only)';
    withCrn(page, '71844').courseTitle = 'Usable Security &amp; Privacy';
    const late = meetingTimes(withCrn(page, '72164'))[1]!;
    late.startDate = '10/15/2026';
    const catalog = parseBanner9Results([page]);
    const section = (crn: string) => catalog.sections.find((s) => s.externalId === crn)!;
    expect(catalog.term).toMatchObject({ code: '2026-fa', name: 'Fall 2026' });
    expect(section('71844').course.title).toBe('Usable Security & Privacy');
    expect(section('72164').meetings.map((m) => [m.startDate, m.endDate])).toEqual([
      [null, null],
      ['2026-10-15', '2026-12-18'],
    ]);
  });

  it('orders weekend days after the week', () => {
    const page = ics111();
    Object.assign(meetingTimes(page.data[0]!)[0]!, {
      monday: true,
      tuesday: false,
      thursday: false,
      saturday: true,
      sunday: true,
    });
    expect(parseBanner9Results([page]).sections[0]!.meetings[0]!.days).toBe('MSU');
  });

  it('lists the primary instructor first, each once', () => {
    const page = ics111();
    page.data[0]!.faculty = [
      { displayName: 'Second, Sam', primaryIndicator: false },
      { displayName: 'First, Fay', primaryIndicator: true },
      { displayName: 'Second, Sam', primaryIndicator: false },
    ];
    expect(parseBanner9Results([page]).sections[0]!.instructors).toEqual(['First, Fay', 'Second, Sam']);
  });

  it('reads credits as a range, or from creditHours', () => {
    const page = ics111();
    const [a, b, c] = page.data;
    Object.assign(a!, { creditHourLow: 1, creditHourHigh: 4, creditHourIndicator: 'TO' });
    Object.assign(b!, { creditHourLow: null, creditHourHigh: null, creditHours: 3 });
    Object.assign(c!, { creditHourLow: null, creditHourHigh: null, creditHours: null });
    const credits = parseBanner9Results([page])
      .sections.slice(0, 3)
      .map((s) => [s.course.creditsMin, s.course.creditsMax]);
    expect(credits).toEqual([
      [1, 4],
      [3, 3],
      [null, null],
    ]);
  });

  it('falls back to seatsAvailable, then to UNKNOWN', () => {
    const page = ics111();
    const [a, b, c] = page.data;
    Object.assign(a!, { openSection: null, seatsAvailable: 0 });
    Object.assign(b!, { openSection: null, seatsAvailable: 3 });
    Object.assign(c!, { openSection: null, seatsAvailable: null });
    page.data[3]!.openSection = false;
    const statuses = parseBanner9Results([page])
      .sections.slice(0, 4)
      .map((s) => s.status);
    expect(statuses).toEqual(['CLOSED', 'OPEN', 'UNKNOWN', 'CLOSED']);
  });

  it('rejects malformed sections with their index across the pages and reads the rest', () => {
    const first = ics111();
    const second = icsOnline();
    meetingTimes(first.data[2]!)[0]!.beginTime = '9x30';
    second.data[1]!.courseReferenceNumber = 80393 as unknown as string;
    meetingTimes(second.data[3]!)[0]!.startDate = 'someday';
    const catalog = parseBanner9Results([first, second]);
    const n = first.data.length;
    expect(catalog.rejected.map((r) => r.line)).toEqual([3, n + 2, n + 4]);
    expect(catalog.rejected[0]!.reason).toMatch(/^CRN 72164: .*"9x30"/);
    expect(catalog.rejected[1]!.reason).toMatch(/courseReferenceNumber: Expected string/);
    expect(catalog.rejected[2]!.reason).toMatch(/"someday"/);
    expect(catalog.sections).toHaveLength(n + second.data.length - 3);
    expect(catalog.sections.map((s) => s.externalId)).not.toContain('72164');
  });

  it('rejects a section a later page repeats', () => {
    const catalog = parseBanner9Results([ics111(), ics111()]);
    const n = ics111().data.length;
    expect(catalog.sections).toHaveLength(n);
    expect(catalog.rejected).toHaveLength(n);
    expect(catalog.rejected[0]).toEqual({
      line: n + 1,
      reason: 'CRN 71843: repeats the section on line 1',
      externalId: '71843',
    });
  });

  it('refuses pages of several terms', () => {
    const page = ics111();
    Object.assign(page.data[4]!, { term: '202630', termDesc: 'Spring 2026' });
    expect(() => parseBanner9Results([page])).toThrow(
      /several terms: 202710 \(Fall 2026\), 202630 \(Spring 2026\)/,
    );
  });

  it('reads no pages, or empty ones, as an empty catalog', () => {
    const empty = { term: null, sections: [], rejected: [] };
    expect(parseBanner9Results([])).toEqual(empty);
    expect(parseBanner9Results([{ ...ics111(), totalCount: 0, data: [] }])).toEqual(empty);
  });
});

describe('parseBanner9Results on what is not a search result', () => {
  it.each([
    ['an empty object', {}, /page 1 is not a Banner 9 searchResults response: no "data" array/],
    [
      'an HTML page',
      '<!DOCTYPE html><html><body>Log in</body></html>',
      /page 1 .* got a string \("<!DOCTYPE html>/,
    ],
    ['null', null, /page 1 .* got null/],
    ['an array of sections', ics111().data, /got an array/],
    ['a page of the wrong shape', { success: true, data: { sections: [] } }, /no "data" array/],
    ['a failure', { success: false, data: [] }, /"success": false/],
    // What Banner answers a search made without selecting the term first.
    [
      'a page of a session without a term',
      { success: true, totalCount: 0, data: null, pageOffset: 0, pageMaxSize: 10, pathMode: 'registration' },
      /"data": null \(pathMode "registration"\): the session had no term selected/,
    ],
  ])('refuses %s', (_, page, message) => {
    expect(() => parseBanner9Results([page])).toThrow(CatalogFormatError);
    expect(() => parseBanner9Results([page])).toThrow(message);
  });

  it('names the page that is wrong, and returns nothing', () => {
    expect(() => parseBanner9Results([ics111(), {}])).toThrow(/^page 2 /);
  });
});

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  cookie: string | undefined;
  body: string;
}

const SESSION = 'JSESSIONID=0A1B2C3D4E';

/**
 * A Banner 9 class search on a local port, serving `sections` page by page to the session that
 * selected term 202710, and an empty-handed page (as Banner does) to anyone else.
 */
async function startBanner(
  sections: RawSection[],
  options: { searchStatus?: number; searchBody?: string; ignoreOffset?: boolean } = {},
) {
  const received: Received[] = [];
  const envelope = ics111();
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url!, 'http://banner.test');
    received.push({
      method: req.method!,
      path: url.pathname,
      query: url.searchParams,
      cookie: req.headers.cookie,
      body,
    });
    if (req.method === 'POST' && url.pathname === '/StudentRegistrationSsb/ssb/term/search') {
      const term = new URLSearchParams(body).get('term');
      res.writeHead(200, {
        'content-type': 'application/json;charset=UTF-8',
        'set-cookie':
          term === '202710'
            ? [`${SESSION}; Path=/StudentRegistrationSsb; HttpOnly`, 'BIGipServer=lb7; Path=/']
            : [],
      });
      return res.end('');
    }
    if (req.method === 'GET' && url.pathname === '/StudentRegistrationSsb/ssb/searchResults/searchResults') {
      if (options.searchStatus || options.searchBody) {
        res.writeHead(options.searchStatus ?? 200, { 'content-type': 'text/html' });
        return res.end(options.searchBody ?? 'java.lang.NullPointerException at net.hedtech.banner');
      }
      const cookies = (req.headers.cookie ?? '').split(/;\s*/);
      const offset = options.ignoreOffset ? 0 : Number(url.searchParams.get('pageOffset'));
      const size = Number(url.searchParams.get('pageMaxSize'));
      const page = cookies.includes(SESSION)
        ? {
            ...envelope,
            totalCount: options.ignoreOffset ? 10_000 : sections.length,
            data: sections.slice(offset, offset + size),
            pageOffset: offset,
            pageMaxSize: size,
          }
        : {
            success: true,
            totalCount: 0,
            data: null,
            pageOffset: 0,
            pageMaxSize: size,
            pathMode: 'registration',
          };
      res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
      return res.end(JSON.stringify(page));
    }
    res.writeHead(404).end();
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

describe('fetchBanner9Term against a local Banner', () => {
  it('selects the term, then reads every page with the session cookie', async () => {
    const sections = ics111().data;
    const { base, received } = await startBanner(sections);
    const progress: Array<[number, number]> = [];
    const pages = (await fetchBanner9Term(base, '202710', {
      pageSize: 5,
      onPage: (done, total) => progress.push([done, total]),
    })) as RawPage[];

    expect(pages).toHaveLength(2);
    expect(pages.flatMap((p) => p.data)).toEqual(sections);
    expect(progress).toEqual([
      [5, sections.length],
      [10, sections.length],
    ]);
    expect(parseBanner9Results(pages).sections).toHaveLength(sections.length);

    const [session, ...searches] = received;
    expect(session).toMatchObject({ method: 'POST', path: '/StudentRegistrationSsb/ssb/term/search' });
    expect(session!.query.get('mode')).toBe('search');
    expect(session!.cookie).toBeUndefined();
    const form = new URLSearchParams(session!.body);
    expect(form.get('term')).toBe('202710');
    const uniqueSessionId = form.get('uniqueSessionId');
    expect(uniqueSessionId).toMatch(/^\w{5}\d{13}$/);

    expect(
      searches.map((r) => [r.method, r.path, r.query.get('pageOffset'), r.query.get('pageMaxSize')]),
    ).toEqual([
      ['GET', '/StudentRegistrationSsb/ssb/searchResults/searchResults', '0', '5'],
      ['GET', '/StudentRegistrationSsb/ssb/searchResults/searchResults', '5', '5'],
    ]);
    for (const search of searches) {
      expect(search.cookie?.split('; ').sort()).toEqual(['BIGipServer=lb7', SESSION]);
      expect(Object.fromEntries(search.query)).toMatchObject({
        txt_term: '202710',
        uniqueSessionId,
        sortColumn: 'subjectDescription',
        sortDirection: 'asc',
      });
    }
  });

  it('opens a new uniqueSessionId per fetch and accepts the application URL as base', async () => {
    const { base, received } = await startBanner(ics111().data);
    await fetchBanner9Term(base, '202710');
    await fetchBanner9Term(`${base}/StudentRegistrationSsb/ssb/`, '202710');
    const sessions = received.filter((r) => r.method === 'POST');
    expect(sessions.map((r) => r.path)).toEqual([
      '/StudentRegistrationSsb/ssb/term/search',
      '/StudentRegistrationSsb/ssb/term/search',
    ]);
    const ids = sessions.map((r) => new URLSearchParams(r.body).get('uniqueSessionId'));
    expect(ids[0]).not.toBe(ids[1]);
    // Default page size: all ten sections in one page.
    expect(received.filter((r) => r.method === 'GET').map((r) => r.query.get('pageMaxSize'))).toEqual([
      '500',
      '500',
    ]);
  });

  it('rejects an HTTP error with its status and URL, not its body', async () => {
    const { base } = await startBanner(ics111().data, { searchStatus: 500 });
    const failure = fetchBanner9Term(base, '202710');
    await expect(failure).rejects.toThrow(
      /HTTP 500 to GET http:\/\/127\.0\.0\.1:\d+\/StudentRegistrationSsb\/ssb\/searchResults\/searchResults\?/,
    );
    await expect(failure).rejects.not.toThrow(/NullPointerException/);
  });

  it('rejects an answer that is not JSON', async () => {
    const { base } = await startBanner(ics111().data, { searchBody: '<html>Service unavailable</html>' });
    await expect(fetchBanner9Term(base, '202710')).rejects.toThrow(/not JSON \(text\/html\)/);
  });

  it('gives up on a server that never reaches its totalCount', async () => {
    const { base, received } = await startBanner(ics111().data, { ignoreOffset: true });
    await expect(fetchBanner9Term(base, '202710', { pageSize: 5, maxPages: 3 })).rejects.toThrow(
      /after 3 pages/,
    );
    expect(received.filter((r) => r.method === 'GET')).toHaveLength(3);
  });
});
