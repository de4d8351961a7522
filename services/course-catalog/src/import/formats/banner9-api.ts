import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  CatalogFormatError,
  type MeetingRecord,
  type ParsedCatalog,
  type RejectedRecord,
  type SectionRecord,
  type SectionStatus,
  type TermRecord,
} from '../records';
import { cleanText, clockTime, isoDate, optionalText, termFromName } from '../normalise';

/**
 * Ellucian Banner 9 Student Registration SSB's class search: the JSON bodies of
 * `GET <base>/StudentRegistrationSsb/ssb/searchResults/searchResults`, one per page. Field names
 * and what may be null follow real answers (test/fixtures/banner9 holds two, from the University of
 * Hawaiʻi); most strings are null when the registrar left them unset.
 */

const text = z.string().nullish();
const flag = z.boolean().nullish();

const facultySchema = z.object({ displayName: text, primaryIndicator: flag });
type Faculty = z.infer<typeof facultySchema>;

const meetingTimeSchema = z.object({
  beginTime: text,
  endTime: text,
  monday: flag,
  tuesday: flag,
  wednesday: flag,
  thursday: flag,
  friday: flag,
  saturday: flag,
  sunday: flag,
  building: text,
  buildingDescription: text,
  room: text,
  startDate: text,
  endDate: text,
});
type MeetingTime = z.infer<typeof meetingTimeSchema>;

const sectionSchema = z.object({
  term: text,
  termDesc: text,
  courseReferenceNumber: z.string().regex(/^\s*\S+\s*$/, 'not a CRN'),
  subject: z.string(),
  courseNumber: z.string(),
  sequenceNumber: z.string(),
  courseTitle: z.string(),
  scheduleTypeDescription: text,
  instructionalMethod: text,
  instructionalMethodDescription: text,
  creditHourLow: z.number().nullish(),
  creditHourHigh: z.number().nullish(),
  creditHours: z.number().nullish(),
  openSection: flag,
  seatsAvailable: z.number().nullish(),
  faculty: z.array(facultySchema).nullish(),
  meetingsFaculty: z
    .array(z.object({ faculty: z.array(facultySchema).nullish(), meetingTime: meetingTimeSchema.nullish() }))
    .nullish(),
});
type Section = z.infer<typeof sectionSchema>;

const envelopeSchema = z.object({ success: flag, pathMode: text, data: z.array(z.unknown()) });

const DAY_FLAGS = [
  ['M', 'monday'],
  ['T', 'tuesday'],
  ['W', 'wednesday'],
  ['R', 'thursday'],
  ['F', 'friday'],
  ['S', 'saturday'],
  ['U', 'sunday'],
] as const;

/** Instructional methods taught online (`Distance - Completely Online`, `Online`, `Web Based`…). */
const ONLINE_METHOD = /online|distance|virtual|web[ -]?based|internet/i;
/** …unless part of it is in a room. */
const MIXED_METHOD = /hybrid|blended|partial|mixed/i;
/** Pseudo-buildings registrars file online meetings under: `ONLINE` (room `ASYNC`), `WEB`, `WWW`… */
const ONLINE_PLACE = /^(online|onln|web|www|virtual|internet)\b/i;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string ("${value.trim().slice(0, 40)}")`;
  return `a ${typeof value}`;
}

/** The sections of one page; a page that is not a search result refuses the whole import. */
function sectionsOfPage(page: unknown, index: number): unknown[] {
  const where = `page ${index + 1}`;
  if (typeof page !== 'object' || page === null || Array.isArray(page))
    throw new CatalogFormatError(`${where} is not a Banner 9 searchResults response: got ${describe(page)}`);
  const parsed = envelopeSchema.safeParse(page);
  if (parsed.success) {
    if (parsed.data.success === false)
      throw new CatalogFormatError(`${where}: the server answered "success": false`);
    return parsed.data.data;
  }
  const { data, pathMode } = page as { data?: unknown; pathMode?: unknown };
  // What Banner answers a session that never selected the term: a well-formed, empty-handed page.
  if (data === null)
    throw new CatalogFormatError(
      `${where} has "data": null (pathMode ${JSON.stringify(pathMode ?? null)}): the session had no term selected`,
    );
  throw new CatalogFormatError(`${where} is not a Banner 9 searchResults response: no "data" array`);
}

function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'section'}: ${issue.message}`)
    .join('; ');
}

function isOnlinePlace(time: MeetingTime): boolean {
  return [time.building, time.buildingDescription].some((place) => ONLINE_PLACE.test(cleanText(place)));
}

function meetingOf(time: MeetingTime): MeetingRecord {
  const startTime = clockTime(time.beginTime);
  const endTime = clockTime(time.endTime);
  if ((startTime === null) !== (endTime === null)) throw new Error('a start time without an end time');
  if (startTime && endTime && endTime <= startTime)
    throw new Error(`ends (${endTime}) before it starts (${startTime})`);
  // `ONLINE` / `ASYNC` name no place anyone can go to.
  const online = isOnlinePlace(time);
  return {
    days: DAY_FLAGS.filter(([, day]) => time[day] === true)
      .map(([letter]) => letter)
      .join(''),
    startTime,
    endTime,
    building: online ? null : (optionalText(time.buildingDescription) ?? optionalText(time.building)),
    room: online ? null : optionalText(time.room),
    startDate: time.startDate ? isoDate(time.startDate) : null,
    endDate: time.endDate ? isoDate(time.endDate) : null,
  };
}

/** Display names, primary first (Banner lists them in no set order), each once. */
function instructorsOf(faculty: Faculty[]): string[] {
  // Then by name: the same people in another order is the same section.
  const primaryFirst = [...faculty].sort(
    (a, b) =>
      Number(b.primaryIndicator === true) - Number(a.primaryIndicator === true) ||
      cleanText(a.displayName).localeCompare(cleanText(b.displayName)),
  );
  return [...new Set(primaryFirst.map((f) => cleanText(f.displayName)).filter(Boolean))];
}

function creditsOf(section: Section): { min: number | null; max: number | null } {
  const low = section.creditHourLow ?? null;
  const high = section.creditHourHigh ?? null;
  if (low !== null && high !== null) return { min: Math.min(low, high), max: Math.max(low, high) };
  // A fixed-credit course has only creditHourLow; some schools fill creditHours instead.
  const fixed = low ?? high ?? section.creditHours ?? null;
  return { min: fixed, max: fixed };
}

function statusOf(section: Section): SectionStatus {
  // openSection first: a section can be open with no seat left (a waitlist, a cross-listed pool).
  if (typeof section.openSection === 'boolean') return section.openSection ? 'OPEN' : 'CLOSED';
  if (typeof section.seatsAvailable === 'number') return section.seatsAvailable > 0 ? 'OPEN' : 'CLOSED';
  return 'UNKNOWN';
}

function sectionOf(section: Section, line: number): SectionRecord {
  const subject = cleanText(section.subject).toUpperCase();
  const number = cleanText(section.courseNumber);
  const title = cleanText(section.courseTitle);
  if (!subject || !number || !title) throw new Error('a section without subject, course number or title');
  const credits = creditsOf(section);
  const times = (section.meetingsFaculty ?? []).flatMap((m) => (m.meetingTime ? [m.meetingTime] : []));
  const method = `${section.instructionalMethod ?? ''} ${section.instructionalMethodDescription ?? ''}`;
  const online =
    (ONLINE_METHOD.test(method) && !MIXED_METHOD.test(method)) ||
    (times.length > 0 && times.every(isOnlinePlace));
  return {
    line,
    course: {
      subject,
      number,
      title,
      description: null,
      creditsMin: credits.min,
      creditsMax: credits.max,
    },
    externalId: cleanText(section.courseReferenceNumber),
    code: cleanText(section.sequenceNumber),
    type: cleanText(section.scheduleTypeDescription) || 'Unknown',
    online,
    // Search results carry the instructors on the section; meetingsFaculty[].faculty is usually empty.
    instructors: instructorsOf([
      ...(section.faculty ?? []),
      ...(section.meetingsFaculty ?? []).flatMap((m) => m.faculty ?? []),
    ]),
    status: statusOf(section),
    meetings: times.map(meetingOf),
  };
}

/**
 * A term's season and year wherever its name holds them: `Fall 2023`, `Fall 2023 (View Only)`,
 * `Fall 2021 - College Station`, `Spring 2026 Semester`, `Summer Session I 2024`.
 */
function termNameOf(termDesc: string | null | undefined): Pick<TermRecord, 'code' | 'name'> | null {
  const m = /\b(spring|summer|fall|autumn|winter)\b(?:\s+[a-z]+){0,2}\s+(\d{4})\b/i.exec(cleanText(termDesc));
  return m ? termFromName(`${m[1]} ${m[2]}`) : null;
}

/**
 * Reads consecutive searchResults pages (parsed JSON). A page that is not a search result refuses
 * the import (CatalogFormatError); a section that cannot be read is rejected with its 1-based index
 * across all pages, and the rest is read.
 */
export function parseBanner9Results(pages: unknown[]): ParsedCatalog {
  const raw = pages.flatMap((page, index) => sectionsOfPage(page, index));

  const rejected: RejectedRecord[] = [];
  const read: Array<{ record: SectionRecord; section: Section }> = [];
  const lineOfCrn = new Map<string, number>();
  raw.forEach((value, index) => {
    const line = index + 1;
    const parsed = sectionSchema.safeParse(value);
    if (!parsed.success) {
      const crn = (value as { courseReferenceNumber?: unknown } | null)?.courseReferenceNumber;
      const known = typeof crn === 'string' && crn ? cleanText(crn) : undefined;
      const reason = `${known ? `CRN ${known}: ` : ''}${zodReason(parsed.error)}`;
      rejected.push(known ? { line, reason, externalId: known } : { line, reason });
      return;
    }
    const crn = cleanText(parsed.data.courseReferenceNumber);
    try {
      // Pages of a live server can shift while they are read, repeating a section across two pages.
      const seen = lineOfCrn.get(crn);
      if (seen !== undefined) throw new Error(`repeats the section on line ${seen}`);
      read.push({ record: sectionOf(parsed.data, line), section: parsed.data });
      lineOfCrn.set(crn, line);
    } catch (err) {
      rejected.push({ line, reason: `CRN ${crn}: ${(err as Error).message}`, externalId: crn });
    }
  });

  const terms = new Map(
    read.map(({ section }) => [section.term ?? section.termDesc ?? '', section.termDesc]),
  );
  if (terms.size > 1)
    throw new CatalogFormatError(
      `the pages hold several terms: ${[...terms].map(([code, desc]) => `${code} (${desc ?? '?'})`).join(', ')}`,
    );
  const name = read.length > 0 ? termNameOf(read[0]!.section.termDesc) : null;

  const dates = read.flatMap(({ record }) =>
    record.meetings.flatMap((m) => [m.startDate, m.endDate]).filter((d): d is string => d !== null),
  );
  const startsOn = dates.length > 0 ? dates.reduce((a, b) => (a < b ? a : b)) : null;
  const endsOn = dates.length > 0 ? dates.reduce((a, b) => (a > b ? a : b)) : null;
  // Banner dates every meeting; a record dates only part-term ones.
  for (const { record } of read)
    for (const meeting of record.meetings)
      if (meeting.startDate === startsOn && meeting.endDate === endsOn) {
        meeting.startDate = null;
        meeting.endDate = null;
      }

  return {
    term: name ? { ...name, startsOn, endsOn } : null,
    sections: read.map(({ record }) => record),
    rejected,
  };
}

export interface FetchBanner9Options {
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Sections per page; Banner serves at most 500. */
  pageSize?: number;
  /** Stops (with an error) a server that never reaches its totalCount. */
  maxPages?: number;
  onPage?: (done: number, total: number) => void;
}

const TIMEOUT_MS = 30_000;

/** As Banner's own page makes them: five random characters and the time in milliseconds. */
const sessionId = () => `${randomBytes(4).toString('hex').slice(0, 5)}${Date.now()}`;

/** Calls with the session's cookies, keeps the ones it sets, and refuses anything but a 200. */
async function call(
  fetchImpl: typeof fetch,
  cookies: Map<string, string>,
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<Response> {
  const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  let response: Response;
  try {
    response = await fetchImpl(url, {
      ...init,
      headers: {
        // Banner's own page sends it, and some controllers answer HTML without it.
        'x-requested-with': 'XMLHttpRequest',
        ...init.headers,
        ...(cookie ? { cookie } : {}),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    // fetch says only "fetch failed"; the reason (ENOTFOUND, ECONNREFUSED, a timeout) is its cause.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message;
    throw new Error(
      `Banner 9 ${init.method} ${url} failed: ${(err as Error).message}${why ? ` (${why})` : ''}`,
      {
        cause: err,
      },
    );
  }
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`Banner 9 answered HTTP ${response.status} to ${init.method} ${url}`);
  }
  return response;
}

/**
 * Every section of a term, as the raw searchResults pages (for parseBanner9Results). Banner ties
 * the search to a session: the term is selected first (it sets JSESSIONID), then the pages are
 * read with that cookie and the same uniqueSessionId.
 */
export async function fetchBanner9Term(
  baseUrl: string,
  termCode: string,
  options: FetchBanner9Options = {},
): Promise<unknown[]> {
  const { fetch: fetchImpl = fetch, pageSize = 500, maxPages = 200, onPage } = options;
  // Accepts the server (`https://host`) or the application (`…/StudentRegistrationSsb[/ssb]`).
  const root = baseUrl.replace(/\/+$/, '').replace(/\/StudentRegistrationSsb(\/ssb)?$/i, '');
  const ssb = `${root}/StudentRegistrationSsb/ssb`;
  const uniqueSessionId = sessionId();
  const cookies = new Map<string, string>();

  const session = await call(fetchImpl, cookies, `${ssb}/term/search?mode=search`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: new URLSearchParams({
      term: termCode,
      studyPath: '',
      studyPathText: '',
      startDatepicker: '',
      endDatepicker: '',
      uniqueSessionId,
    }).toString(),
  });
  await session.text();

  // One search over a fresh session: there are no earlier criteria for classSearch/resetDataForm to clear.
  const pages: unknown[] = [];
  let offset = 0;
  for (;;) {
    if (pages.length >= maxPages)
      throw new Error(`Banner 9 term ${termCode}: more sections after ${maxPages} pages (${offset} read)`);
    const query = new URLSearchParams({
      txt_term: termCode,
      startDatepicker: '',
      endDatepicker: '',
      uniqueSessionId,
      pageOffset: String(offset),
      pageMaxSize: String(pageSize),
      sortColumn: 'subjectDescription',
      sortDirection: 'asc',
    });
    const url = `${ssb}/searchResults/searchResults?${query}`;
    const response = await call(fetchImpl, cookies, url, {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    const body = await response.text();
    let page: unknown;
    try {
      page = JSON.parse(body);
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw new Error(`Banner 9 answered GET ${url} with something that is not JSON (${type})`);
    }
    pages.push(page);

    const { data, totalCount } = (typeof page === 'object' && page !== null ? page : {}) as {
      data?: unknown;
      totalCount?: unknown;
    };
    // A page without sections ends the reading; parseBanner9Results says what is wrong with it, if anything.
    if (!Array.isArray(data) || data.length === 0) break;
    // By what came, not by what was asked: a server that serves fewer per page than asked skips nothing.
    offset += data.length;
    const total = typeof totalCount === 'number' ? totalCount : null;
    onPage?.(offset, total ?? offset);
    if (total !== null ? offset >= total : data.length < pageSize) break;
  }
  return pages;
}
