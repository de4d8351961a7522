import { parse, CsvError } from 'csv-parse/sync';
import {
  CatalogFormatError,
  type MeetingRecord,
  type ParsedCatalog,
  type SectionRecord,
  type SectionStatus,
} from '../records';
import { cleanText, clockTime, creditRange, optionalText, TERM_CODE, termName, weekdays } from '../normalise';

/**
 * The University of Illinois schedule export (Course Explorer, as collected by
 * github.com/wadefagen/datasets): one row per meeting of a section, so a CRN spans several rows.
 */
const COLUMNS = [
  'YearTerm',
  'Subject',
  'Number',
  'Name',
  'Description',
  'Credit Hours',
  'CRN',
  'Part of Term',
  'Section',
  'Enrollment Status',
  'Type',
  'Type Code',
  'Start Time',
  'End Time',
  'Days of Week',
  'Room',
  'Building',
  'Instructors',
] as const;

type Column = (typeof COLUMNS)[number];
type Row = Record<Column, string> & { line: number };

/** Enrollment Status as the export writes it (`Open`, `Open (Restricted)`, `Closed`, `CrossListOpen`…). */
function statusOf(value: string): SectionStatus {
  const text = value.toLowerCase();
  if (text.includes('closed') || text.includes('full')) return 'CLOSED';
  if (text.includes('open')) return 'OPEN';
  return 'UNKNOWN';
}

/**
 * The weeks each part of a term spans, as the university's schedule names them: summer has a
 * 4-week session I and an 8-week session II (halves S2A, S2B) within 12 weeks (SF); fall and
 * spring have two 8-week halves (A, B) of 16 weeks (1). Meetings of parts that share no week
 * cannot clash. A part not listed here (LF, S18…) counts as the whole term: a clash may be
 * reported that is none, never the reverse.
 */
const PART_WEEKS: Record<string, [number, number]> = {
  S1: [1, 4],
  S2: [5, 12],
  S2A: [5, 8],
  S2B: [9, 12],
  SF: [1, 12],
  '1': [1, 16],
  A: [1, 8],
  B: [9, 16],
};

function meetingOf(row: Row): MeetingRecord {
  const startTime = clockTime(row['Start Time']);
  const endTime = clockTime(row['End Time']);
  if ((startTime === null) !== (endTime === null)) throw new Error('a start time without an end time');
  if (startTime && endTime && endTime <= startTime)
    throw new Error(`ends (${endTime}) before it starts (${startTime})`);
  return {
    // A few real rows give a time without days (GLBL 499 AM1): kept, it just meets no known day.
    days: weekdays(row['Days of Week']),
    startTime,
    endTime,
    building: optionalText(row.Building),
    room: optionalText(row.Room),
    startDate: null,
    endDate: null,
    type: optionalText(row.Type),
    part: optionalText(row['Part of Term']),
    weeks: PART_WEEKS[cleanText(row['Part of Term'])] ?? null,
  };
}

/** A meeting, or the error of its own row. */
function meetingAt(row: Row): MeetingRecord {
  try {
    return meetingOf(row);
  } catch (err) {
    throw Object.assign(err as Error, { line: row.line });
  }
}

/** A section's rows in one order whatever the file's: what the section is does not depend on it. */
const rowOrder = (a: Row, b: Row) => {
  const key = (r: Row) => COLUMNS.map((c) => r[c]).join('\u0000');
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
};

function sectionOf(fileRows: Row[]): SectionRecord {
  const rows = [...fileRows].sort(rowOrder);
  const first = rows[0]!;
  for (const row of rows)
    if (row.Subject !== first.Subject || row.Number !== first.Number)
      throw new Error(
        `CRN ${first.CRN} is listed under ${first.Subject} ${first.Number} and ${row.Subject} ${row.Number}`,
      );
  const subject = cleanText(first.Subject).toUpperCase();
  const number = cleanText(first.Number);
  const title = cleanText(first.Name);
  if (!/^[A-Z]{1,16}$/.test(subject) || !number || !title)
    throw new Error('a row without subject, number or name');
  const credits = creditRange(first['Credit Hours']);
  // A lecture row and a lab row make a `Laboratory / Lecture` section.
  const type =
    [...new Set(rows.map((r) => cleanText(r.Type)).filter(Boolean))].sort().join(' / ') || 'Unknown';
  const instructors = [
    ...new Set(rows.flatMap((row) => row.Instructors.split(';').map(cleanText).filter(Boolean))),
  ];
  return {
    line: Math.min(...rows.map((r) => r.line)),
    course: {
      subject,
      number,
      title,
      description: optionalText(first.Description),
      creditsMin: credits.min,
      creditsMax: credits.max,
    },
    externalId: cleanText(first.CRN),
    code: cleanText(first.Section),
    type,
    online: rows.some(
      (r) => /online/i.test(r.Type) || r['Type Code'] === 'ONL' || /online/i.test(r.Building),
    ),
    instructors,
    status: statusOf(first['Enrollment Status']),
    meetings: rows.map(meetingAt),
  };
}

/**
 * Reads a whole export. A wrong header or broken quoting refuses the file (CatalogFormatError);
 * a section with a row that cannot be read is rejected with that row's line, and the rest is read.
 */
export function parseUiucCsv(text: string): ParsedCatalog {
  let records: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    records = parse(text, {
      info: true,
      raw: true,
      relax_column_count: true,
      bom: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      throw new CatalogFormatError(`not a readable CSV file: ${err.message.replace(/\.$/, '')}`, line);
    }
    throw err;
  }
  const header = records[0]?.record.map((h) => h.trim()) ?? [];
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new CatalogFormatError(
      `not a University of Illinois schedule export: missing columns ${missing.join(', ')}`,
      1,
    );
  const index = new Map(COLUMNS.map((c) => [c, header.indexOf(c)]));

  const rejected: ParsedCatalog['rejected'] = [];
  const byCrn = new Map<string, Row[]>();
  const broken = new Set<string>();
  const termCodes = new Map<string, number>();
  for (const { record, raw, info } of records.slice(1)) {
    // csv-parse counts the line a record ends on; a quoted field may span lines before it.
    const line = info.lines - (raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
    if (record.length !== header.length) {
      // Its section cannot be read whole: the CRN, when readable, keeps the section as it was.
      const crn = record[index.get('CRN')!]?.trim();
      const known = crn && /^\d{1,32}$/.test(crn) ? crn : undefined;
      if (known) broken.add(known);
      const reason = `${record.length} fields where the header has ${header.length}`;
      rejected.push(known ? { line, reason, externalId: known } : { line, reason });
      continue;
    }
    const row = Object.fromEntries(COLUMNS.map((c) => [c, record[index.get(c)!] ?? ''])) as unknown as Row;
    row.line = line;
    const crn = row.CRN.trim();
    if (!/^\d{1,32}$/.test(crn)) {
      rejected.push({ line, reason: `CRN "${row.CRN}" is not a number` });
      continue;
    }
    termCodes.set(row.YearTerm.trim(), line);
    const rows = byCrn.get(crn) ?? [];
    rows.push(row);
    byCrn.set(crn, rows);
  }
  if (termCodes.size > 1)
    throw new CatalogFormatError(`one file holds several terms: ${[...termCodes.keys()].join(', ')}`);
  const code = [...termCodes.keys()][0];
  if (code !== undefined && !TERM_CODE.test(code))
    throw new CatalogFormatError(`YearTerm "${code}" is not a term such as 2025-su`, termCodes.get(code));

  const sections: SectionRecord[] = [];
  for (const [crn, rows] of byCrn) {
    if (broken.has(crn)) continue; // reported with the row that broke it
    try {
      sections.push(sectionOf(rows));
    } catch (err) {
      const line = (err as { line?: number }).line ?? rows[0]!.line;
      rejected.push({ line, reason: (err as Error).message, externalId: rows[0]!.CRN.trim() });
    }
  }
  rejected.sort((a, b) => a.line - b.line);
  return {
    // The export carries no dates: the term's dates stay unknown until set.
    term: code === undefined ? null : { code, name: termName(code), startsOn: null, endsOn: null },
    sections,
    rejected,
  };
}
