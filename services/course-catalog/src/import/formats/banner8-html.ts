import * as cheerio from 'cheerio';
import type { Cheerio, CheerioAPI } from 'cheerio';
import { clockTime, cleanText, creditRange, isoDate, termFromName, weekdays } from '../normalise';
import {
  CatalogFormatError,
  type MeetingRecord,
  type ParsedCatalog,
  type RejectedRecord,
  type SectionRecord,
  type TermRecord,
} from '../records';

/**
 * Ellucian Banner 8's public "Class Schedule Listing" page (`bwckschd.p_get_crse_unsec`): one
 * search result, i.e. the sections of one term (usually one subject), as HTML 4.01.
 */

// cheerio re-exports no DOM node type; this is the one its static helpers take.
type DomNode = Parameters<CheerioAPI['contains']>[1];

// Banner writes these SUMMARY texts itself (they are its accessibility labels), the same at every
// school; the layout is recognised by them rather than by ids, which Banner does not emit.
const SECTIONS_TABLE = 'table[summary="This layout table is used to present the sections found" i]';
const MESSAGE_TABLE = 'table[summary="This layout table holds message information" i]';
const NO_RESULTS = 'no classes were found that meet your search criteria';
// Purdue emits `ddlabel`, most Banner 8 schools `ddtitle`.
const SECTION_HEADER = 'th.ddlabel, th.ddtitle';

export function parseBanner8Page(html: string): ParsedCatalog {
  const $ = cheerio.load(html, { sourceCodeLocationInfo: true });
  const table = $(SECTIONS_TABLE).first();
  if (table.length === 0) {
    const message = plainText($(MESSAGE_TABLE).text()).toLowerCase();
    if (message.includes(NO_RESULTS)) return { term: null, sections: [], rejected: [] };
    throw new CatalogFormatError(
      'not a Banner 8 "Class Schedule Listing" page: it has neither the table of sections found nor the "No classes were found" message',
    );
  }
  // parse5 puts the rows of a table in an implied <tbody>; the nested meeting tables are excluded
  // by walking children only.
  const headers = table.children('tbody').children('tr').children(SECTION_HEADER);
  if (headers.length === 0)
    throw new CatalogFormatError(
      'the table of sections found has no section headers (th.ddlabel or th.ddtitle): not a layout this parser reads',
    );

  const sections: SectionRecord[] = [];
  const rejected: RejectedRecord[] = [];
  let term: TermRecord | null = null;
  for (const [index, th] of headers.toArray().entries()) {
    const line = th.sourceCodeLocation?.startLine ?? index + 1;
    // Reasons name the section by its CRN once the header is read, by its position before.
    let name = `section ${index + 1}`;
    let externalId: string | undefined;
    try {
      const header = readHeader($(th));
      name = `CRN ${header.crn} (${header.subject} ${header.number} ${header.code})`;
      externalId = header.crn;
      const { section, termName } = readSection($, $(th), header, line);
      const sectionTerm = termFromName(termName);
      if (!sectionTerm) throw new Error(`unreadable Associated Term "${termName}"`);
      term ??= { ...sectionTerm, startsOn: null, endsOn: null };
      // Banner lists one term per search; a section of another term cannot share the page's term.
      // A section of another term says nothing of this term's section with that CRN.
      if (sectionTerm.code !== term.code) externalId = undefined;
      if (sectionTerm.code !== term.code)
        throw new Error(`Associated Term "${termName}" differs from the page's term "${term.name}"`);
      sections.push(section);
    } catch (err) {
      const reason = `${name}: ${err instanceof Error ? err.message : String(err)}`;
      rejected.push(externalId === undefined ? { line, reason } : { line, reason, externalId });
    }
  }

  if (term) {
    // ISO dates sort as strings.
    const dates = sections
      .flatMap((s) => s.meetings.flatMap((m) => [m.startDate, m.endDate]))
      .filter((d): d is string => d !== null)
      .sort();
    term.startsOn = dates[0] ?? null;
    term.endsOn = dates[dates.length - 1] ?? null;
  }
  return { term, sections, rejected };
}

interface Header {
  title: string;
  crn: string;
  subject: string;
  number: string;
  code: string;
}

/** `Title - CRN - SUBJ NUMBER - SECTION`; throws when the header is not that. */
function readHeader(th: Cheerio<DomNode>): Header {
  // Linked-section text (`Link Id: A2 … Linked Sections Required(A1)`) follows the link, outside it.
  // A header without a link is read whole.
  const link = th.children('a').first();
  const heading = plainText(link.length > 0 ? link.text() : th.text());
  const parts = heading.split(' - ');
  // Split from the right: titles may contain ` - ` themselves.
  const code = parts.pop()?.trim();
  const courseCode = parts.pop()?.trim().split(' ') ?? [];
  const crn = parts.pop()?.trim();
  const title = parts.join(' - ').trim();
  const [subject, number] = courseCode;
  if (!title || !crn || !/^\d+$/.test(crn) || courseCode.length !== 2 || !subject || !number || !code)
    throw new Error(`unreadable header "${heading}" (expected "Title - CRN - SUBJ NUMBER - SECTION")`);
  return { title, crn, subject: subject.toUpperCase(), number, code };
}

/** Throws, with a reason for the rejected list, when the section cannot be read. */
function readSection(
  $: CheerioAPI,
  th: Cheerio<DomNode>,
  { title, crn, subject, number, code }: Header,
  line: number,
): { section: SectionRecord; termName: string } {
  const body = th.parent().next('tr').children('td.dddefault').first();
  if (body.length === 0) throw new Error('the header has no section body after it');
  const fields = bodyFields($, body);
  if (fields.term === null) throw new Error('no Associated Term');

  const meetingTable = body.find('table').first();
  const rows = readMeetingRows($, meetingTable);
  const meetings = rows.map((row) => row.meeting);
  const credits = creditRange(fields.credits);
  const physical = rows.some((row) => row.meeting.room !== null);
  const online =
    /online|distance/i.test(fields.method ?? '') ||
    /online|distance/i.test(fields.scheduleType ?? '') ||
    (!physical && rows.some((row) => row.online));

  return {
    termName: fields.term,
    section: {
      line,
      course: {
        subject,
        number,
        title,
        // Listing pages carry no catalog description; the notes above a section are not one.
        description: null,
        creditsMin: credits.min,
        creditsMax: credits.max,
      },
      externalId: crn,
      code,
      type: fields.scheduleType ?? rows.find((row) => row.scheduleType)?.scheduleType ?? '',
      online,
      instructors: instructorsOf(rows.flatMap((row) => row.instructors)),
      // Listing pages carry no seat counts.
      status: 'UNKNOWN',
      meetings,
    },
  };
}

interface BodyFields {
  term: string | null;
  scheduleType: string | null;
  method: string | null;
  credits: string | null;
}

/**
 * The section body is free text in lines separated by `<br>`: optional notes, then labelled pairs
 * (`Associated Term: Summer 2021`), then unlabelled lines (campus, `Lecture Schedule Type`,
 * `Online Instructional Method`, `3.000 Credits`), links, and the meeting table.
 */
function bodyFields($: CheerioAPI, body: Cheerio<DomNode>): BodyFields {
  const lines: { label: string | null; text: string }[] = [];
  let label: string | null = null;
  let text = '';
  const flush = () => {
    const value = plainText(text);
    if (label !== null || value) lines.push({ label, text: value });
    label = null;
    text = '';
  };
  for (const node of body.contents().toArray()) {
    const tag = tagName(node);
    if (tag === 'br' || tag === 'table') flush();
    else if (tag === 'span' && $(node).hasClass('fieldlabeltext'))
      label = plainText($(node).text()).replace(/:$/, '');
    else text += $(node).text();
  }
  flush();

  const lastLabelled = lines.findLastIndex((l) => l.label !== null);
  // Notes come before the labelled lines; only the unlabelled lines after them describe the section.
  const trailing = lines.slice(lastLabelled + 1).map((l) => l.text);
  const suffixed = (suffix: RegExp) => {
    const found = trailing.find((t) => suffix.test(t));
    return found === undefined ? null : found.replace(suffix, '').trim() || null;
  };
  return {
    term: lines.find((l) => l.label?.toLowerCase() === 'associated term')?.text ?? null,
    scheduleType: suffixed(/\s*Schedule Type$/i),
    method: suffixed(/\s*Instructional Method$/i),
    credits: trailing.find((t) => /Credits$/i.test(t)) ?? null,
  };
}

interface MeetingRow {
  meeting: MeetingRecord;
  online: boolean;
  scheduleType: string | null;
  instructors: { name: string; primary: boolean }[];
}

function readMeetingRows($: CheerioAPI, table: Cheerio<DomNode>): MeetingRow[] {
  if (table.length === 0) return [];
  const rows = table.children('tbody').children('tr');
  // Columns by their header rather than position: schools configure which columns Banner shows.
  const columns = rows
    .first()
    .children('th')
    .map((_, cell) => plainText($(cell).text()).toLowerCase())
    .get();
  const at = (cells: Cheerio<DomNode>, name: string) => {
    const index = columns.indexOf(name);
    return index < 0 ? null : cells.eq(index);
  };
  return rows
    .slice(1)
    .toArray()
    .map((row) => {
      const cells = $(row).children('td');
      const time = plainText(at(cells, 'time')?.text());
      const [startTime, endTime] = readTimes(time);
      const where = readWhere(plainText(at(cells, 'where')?.text()));
      const [startDate, endDate] = readDates(plainText(at(cells, 'date range')?.text()));
      return {
        meeting: {
          days: weekdays(plainText(at(cells, 'days')?.text())),
          startTime,
          endTime,
          building: where.building,
          room: where.room,
          startDate,
          endDate,
        },
        online: where.online,
        scheduleType: plainText(at(cells, 'schedule type')?.text()) || null,
        instructors: readInstructors($, at(cells, 'instructors')),
      };
    });
}

function readTimes(text: string): [string | null, string | null] {
  if (!text || text.toUpperCase() === 'TBA') return [null, null];
  const parts = text.split(' - ');
  if (parts.length !== 2) throw new Error(`unreadable time "${text}"`);
  const start = clockTime(parts[0]);
  const end = clockTime(parts[1]);
  if (start === null || end === null) throw new Error(`unreadable time "${text}"`);
  return [start, end];
}

function readDates(text: string): [string | null, string | null] {
  if (!text || text.toUpperCase() === 'TBA') return [null, null];
  const parts = text.split(' - ');
  if (parts.length !== 2) throw new Error(`unreadable date range "${text}"`);
  return [isoDate(parts[0]!), isoDate(parts[1]!)];
}

/**
 * Banner prints a meeting's place as the building's description, a space, and the room code
 * (`Lawson Computer Science Bldg B151`). Descriptions contain spaces, room codes do not, and the
 * page has no markup between the two, so the last token is the room and the rest the building.
 * A single word is taken as a building without a room. Online pseudo-locations
 * (`Asynchronous Online Learning ONLINE`) are no place at all: no building, no room.
 */
function readWhere(text: string): { building: string | null; room: string | null; online: boolean } {
  if (!text || text.toUpperCase() === 'TBA') return { building: null, room: null, online: false };
  if (/\bonline\b/i.test(text)) return { building: null, room: null, online: true };
  const cut = text.lastIndexOf(' ');
  if (cut < 0) return { building: text, room: null, online: false };
  return { building: text.slice(0, cut), room: text.slice(cut + 1), online: false };
}

/** `Pamela G  Deutsch (P), Daniel C  Jones` with mailto icons after each name. */
function readInstructors($: CheerioAPI, cell: Cheerio<DomNode> | null): { name: string; primary: boolean }[] {
  if (!cell) return [];
  // The mailto links hold only an icon, but their text must not leak into a name.
  return cell
    .contents()
    .toArray()
    .filter((node) => tagName(node) !== 'a')
    .map((node) => $(node).text())
    .join('')
    .split(',')
    .map((part) => {
      const primary = /\(\s*P\s*\)\s*$/.test(part);
      return { name: plainText(part.replace(/\(\s*P\s*\)\s*$/, '')), primary };
    })
    .filter((i) => i.name && i.name.toUpperCase() !== 'TBA');
}

/** Primary instructors first, each once, otherwise in page order. */
function instructorsOf(all: { name: string; primary: boolean }[]): string[] {
  const ordered = [...all.filter((i) => i.primary), ...all.filter((i) => !i.primary)];
  return [...new Set(ordered.map((i) => i.name))];
}

/** The lower-case tag name of an element; null for text, comments and the like. */
function tagName(node: DomNode): string | null {
  return 'name' in node ? node.name : null;
}

/**
 * cheerio's text is already decoded; `cleanText` decodes again, so the `&` are escaped first to keep
 * a literal `&lt;` (written `&amp;lt;` in the page) as it was, while `cleanText` collapses whitespace.
 */
function plainText(text: string | undefined): string {
  return cleanText((text ?? '').replaceAll('&', '&amp;'));
}
