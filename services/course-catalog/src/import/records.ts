/**
 * The normalised records every catalog source produces, whatever it reads (a CSV export, Banner 8
 * HTML pages, Banner 9's JSON API): the import applies them the same way.
 */

/** Days as letters in week order: M T W R F S U (R is Thursday, U Sunday), as registrars write them. */
export const WEEKDAYS = ['M', 'T', 'W', 'R', 'F', 'S', 'U'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A term as the source names it, e.g. `{ code: '2025-su', name: 'Summer 2025' }`. */
export interface TermRecord {
  /** `<year>-<sp|su|fa|wi>`: the year the term's classes start in, and its season. */
  code: string;
  name: string;
  /** ISO dates (`2025-05-19`) when the source tells them; else null. */
  startsOn: string | null;
  endsOn: string | null;
}

export interface CourseRecord {
  /** Upper case, e.g. `CS`. */
  subject: string;
  /** As the university writes it, e.g. `225` or `18000`. */
  number: string;
  /** HTML entities decoded, whitespace collapsed. */
  title: string;
  description: string | null;
  /** Credit hours as a range (`1 TO 4 hours.` → 1..4; `3 hours.` → 3..3); null when unknown. */
  creditsMin: number | null;
  creditsMax: number | null;
}

export interface MeetingRecord {
  /** Letters of WEEKDAYS in week order (`MWF`); empty when the meeting is arranged. */
  days: string;
  /** Local 24-hour `HH:MM`; both null when the time is arranged / TBA. */
  startTime: string | null;
  endTime: string | null;
  building: string | null;
  room: string | null;
  /** ISO dates of the meeting when the source gives them (part-term meetings, Banner pages). */
  startDate: string | null;
  endDate: string | null;
  /**
   * The part of the term as the university names it (`S1`, `A`) when the source gives parts
   * rather than dates, with the weeks of the term it spans (1-based, inclusive) when known.
   */
  part?: string | null;
  weeks?: [number, number] | null;
  /** What kind of meeting when the source says per meeting (a section's lecture and its lab). */
  type?: string | null;
}

export type SectionStatus = 'OPEN' | 'CLOSED' | 'UNKNOWN';

export interface SectionRecord {
  /** Where the section starts in the source (1-based line of a file, or index in a response). */
  line: number;
  course: CourseRecord;
  /** The university's own id of the section, e.g. a CRN: unique within a term. */
  externalId: string;
  /** The section code, e.g. `AL1`. */
  code: string;
  /** As the university names it: `Lecture`, `Laboratory`, `Online Lecture`, `Independent Study`… */
  type: string;
  /** Taught online (no room). */
  online: boolean;
  /** Display names, primary first, without duplicates. */
  instructors: string[];
  status: SectionStatus;
  /** In the source's order; empty when the source lists none. */
  meetings: MeetingRecord[];
}

/** A row the source could not read: skipped and reported; the rest of the import lands. */
export interface RejectedRecord {
  line: number;
  reason: string;
  /** The section's id when it could be read: an existing section is then left as it is, not cancelled. */
  externalId?: string;
}

export interface ParsedCatalog {
  /** The term the source says it holds, when it says (Banner pages do; a CSV row does too). */
  term: TermRecord | null;
  sections: SectionRecord[];
  rejected: RejectedRecord[];
}

/**
 * The source as a whole is not what the importer reads (a wrong header, an unterminated quote, a
 * page of another layout): nothing of it is imported.
 */
export class CatalogFormatError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `${message} (line ${line})`);
    this.name = 'CatalogFormatError';
  }
}
