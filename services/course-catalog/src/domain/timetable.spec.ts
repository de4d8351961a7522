import { describe, expect, it } from 'vitest';
import type { Meeting, Section, Term } from '../entities';
import { conflictsOf } from './timetable';

const term: Term = {
  id: 't',
  universityId: 'u',
  code: '2025-su',
  name: 'Summer 2025',
  startsOn: null,
  endsOn: null,
  importedAt: null,
  createdAt: new Date(),
};
const section = (id: string): Section => ({
  id,
  termId: 't',
  courseId: 'c',
  externalId: id,
  code: id,
  type: 'Lecture',
  online: false,
  instructors: [],
  status: 'UNKNOWN',
  cancelled: false,
  digest: '',
  meetingsDigest: '',
  createdAt: new Date(),
  updatedAt: new Date(),
});
let n = 0;
const meeting = (
  sectionId: string,
  days: string,
  start: string | null,
  end: string | null,
  more: Partial<Meeting> = {},
): Meeting => ({
  id: `m${++n}`,
  sectionId,
  position: 0,
  days,
  startTime: start,
  endTime: end,
  building: null,
  room: null,
  startDate: null,
  endDate: null,
  part: null,
  type: null,
  firstWeek: null,
  lastWeek: null,
  ...more,
});
const [a, b, c] = [section('a'), section('b'), section('c')];
const pairs = (meetings: Meeting[], sections = [a, b]) =>
  conflictsOf(term, sections, meetings).map((x) => [
    x.sections.map((s) => s.id).join('+'),
    x.day,
    x.startTime,
    x.endTime,
  ]);

describe('timetable conflicts', () => {
  it('reports each shared day of two overlapping meetings, with the overlap', () => {
    expect(pairs([meeting('a', 'MWF', '10:00', '10:50'), meeting('b', 'WF', '10:30', '11:45')])).toEqual([
      ['a+b', 'W', '10:30', '10:50'],
      ['a+b', 'F', '10:30', '10:50'],
    ]);
  });

  it('finds none for touching times, other days, arranged meetings or a section with itself', () => {
    expect(pairs([meeting('a', 'TR', '10:00', '10:50'), meeting('b', 'TR', '10:50', '11:40')])).toEqual([]);
    expect(pairs([meeting('a', 'MW', '10:00', '10:50'), meeting('b', 'TR', '10:00', '10:50')])).toEqual([]);
    expect(pairs([meeting('a', '', null, null), meeting('b', 'MTWRF', '00:00', '23:59')])).toEqual([]);
    expect(pairs([meeting('a', 'M', '09:00', '10:00'), meeting('a', 'M', '09:30', '10:30')], [a])).toEqual(
      [],
    );
  });

  it('compares dates: part-term meetings that never run in the same weeks do not clash', () => {
    const june = { startDate: '2021-06-01', endDate: '2021-06-30' };
    const july = { startDate: '2021-07-01', endDate: '2021-07-31' };
    expect(
      pairs([meeting('a', 'M', '09:00', '10:00', june), meeting('b', 'M', '09:00', '10:00', july)]),
    ).toEqual([]);
    expect(
      pairs([
        meeting('a', 'M', '09:00', '10:00', june),
        meeting('b', 'M', '09:00', '10:00', { startDate: '2021-06-30', endDate: '2021-07-31' }),
      ]),
    ).toEqual([['a+b', 'M', '09:00', '10:00']]);
    // A meeting without dates runs the whole term, which overlaps any other.
    expect(
      pairs([meeting('a', 'M', '09:00', '10:00', june), meeting('b', 'M', '09:00', '10:00')]),
    ).toHaveLength(1);
  });

  it("compares parts of term by their weeks (Illinois' summer session I against session II)", () => {
    const s1 = { part: 'S1', firstWeek: 1, lastWeek: 4 };
    const s2 = { part: 'S2', firstWeek: 5, lastWeek: 12 };
    const sf = { part: 'SF', firstWeek: 1, lastWeek: 12 };
    expect(
      pairs([meeting('a', 'TR', '12:00', '12:50', s1), meeting('b', 'MTWR', '12:30', '13:50', s2)]),
    ).toEqual([]);
    expect(
      pairs([meeting('a', 'TR', '12:00', '12:50', sf), meeting('b', 'MTWR', '12:30', '13:50', s2)]),
    ).toEqual([
      ['a+b', 'T', '12:30', '12:50'],
      ['a+b', 'R', '12:30', '12:50'],
    ]);
    // A part whose weeks are unknown may clash with any.
    expect(
      pairs([meeting('a', 'T', '12:00', '12:50', { part: 'LF' }), meeting('b', 'T', '12:00', '12:50', s2)]),
    ).toHaveLength(1);
  });

  it('lists pairs in timetable order, each pair and day once', () => {
    const ms = [
      meeting('a', 'M', '09:00', '10:00'),
      meeting('b', 'M', '09:30', '10:30'),
      meeting('c', 'M', '09:45', '11:00'),
    ];
    expect(pairs(ms, [a, b, c])).toEqual([
      ['a+b', 'M', '09:30', '10:00'],
      ['a+c', 'M', '09:45', '10:00'],
      ['b+c', 'M', '09:45', '10:30'],
    ]);
  });
});
