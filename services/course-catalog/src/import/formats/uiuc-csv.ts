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
  };
}

function sectionOf(rows: Row[]): SectionRecord {
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
  const type = cleanText(first.Type) || 'Unknown';
  const instructors = [
    ...new Set(rows.flatMap((row) => row.Instructors.split(';').map(cleanText).filter(Boolean))),
  ];
  return {
    line: first.line,
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
    online: /online/i.test(type) || first['Type Code'] === 'ONL' || /online/i.test(first.Building),
    instructors,
    status: statusOf(first['Enrollment Status']),
    meetings: rows.map(meetingOf),
  };
}

/**
 * Reads a whole export. A wrong header or broken quoting refuses the file (CatalogFormatError);
 * a section whose rows cannot be read is rejected with its first line, and the rest is read.
 */
export function parseUiucCsv(text: string): ParsedCatalog {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      info: true,
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
  const termCodes = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    if (record.length !== header.length) {
      rejected.push({ line, reason: `${record.length} fields where the header has ${header.length}` });
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
  for (const rows of byCrn.values()) {
    try {
      sections.push(sectionOf(rows));
    } catch (err) {
      rejected.push({ line: rows[0]!.line, reason: (err as Error).message });
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
