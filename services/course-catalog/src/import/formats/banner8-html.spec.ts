import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cheerio from 'cheerio';
import { describe, expect, it } from 'vitest';
import { CatalogFormatError, type ParsedCatalog } from '../records';
import { parseBanner8Page } from './banner8-html';

// Real Purdue pages (see the dataset's README for what they hold and the counts asserted here).
const DIR = join(process.env.MOIM_DATASETS ?? '/work/shared/datasets', 'course-pages', 'purdue-banner8');
const COM = '202210.COM.bwckschd.p_get_crse_unsec.html';
const CS = '202130.CS.bwckschd.p_get_crse_unsec.html';
const EMPTY = 'empty_bwckschd.p_get_crse_unsec.html';
const TERM_LIST = 'bwckschd.p_disp_dyn_sched.html';

const pages = new Map<string, string>();
/** Fails (never skips) when the dataset is missing, saying where it looked. */
function page(name: string): string {
  if (!existsSync(DIR))
    throw new Error(
      `Banner 8 dataset not found: looked in ${DIR} (set MOIM_DATASETS to the datasets directory)`,
    );
  if (!pages.has(name)) pages.set(name, readFileSync(join(DIR, name), 'utf8'));
  return pages.get(name)!;
}

const parsedPages = new Map<string, ParsedCatalog>();
function parsed(name: string): ParsedCatalog {
  if (!parsedPages.has(name)) parsedPages.set(name, parseBanner8Page(page(name)));
  return parsedPages.get(name)!;
}

function section(catalog: ParsedCatalog, crn: string) {
  const found = catalog.sections.find((s) => s.externalId === crn);
  if (!found) throw new Error(`no section with CRN ${crn}`);
  return found;
}

/** 1-based line of the first occurrence of `needle` in the raw page. */
function lineOf(html: string, needle: string): number {
  const at = html.indexOf(needle);
  expect(at, `"${needle}" in the page`).toBeGreaterThanOrEqual(0);
  return html.slice(0, at).split('\n').length;
}

const HEADER = '<th CLASS="ddlabel" scope="row"';

/** Replaces `from` inside the section of CRN `crn` only (between its header and the next one). */
function mutateSection(html: string, crn: string, from: string, to: string): string {
  const start = html.indexOf(`crn_in=${crn}"`);
  const next = html.indexOf(HEADER, start);
  const at = html.indexOf(from, start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(at, `"${from}" in the section of CRN ${crn}`).toBeGreaterThan(start);
  if (next >= 0) expect(at).toBeLessThan(next);
  return html.slice(0, at) + to + html.slice(at + from.length);
}

/** The page cut after its first `count` sections, as a shorter page would end. */
function firstSections(html: string, count: number): string {
  let at = -1;
  for (let i = 0; i <= count; i++) at = html.indexOf(HEADER, at + 1);
  expect(at).toBeGreaterThan(0);
  return `${html.slice(0, html.lastIndexOf('<tr>', at))}</table></div></body></html>`;
}

describe('Banner 8 "Class Schedule Listing" pages', () => {
  it('finds the dataset', () => {
    expect(existsSync(DIR), `looked for the Banner 8 pages in ${DIR}`).toBe(true);
  });

  it('reads every section of the COM page (README: 271 sections, 67 courses, 316 meeting rows)', () => {
    const com = parsed(COM);
    expect(com.rejected).toEqual([]);
    expect(com.sections).toHaveLength(271);
    expect(new Set(com.sections.map((s) => `${s.course.subject} ${s.course.number}`)).size).toBe(67);
    expect(com.sections.reduce((n, s) => n + s.meetings.length, 0)).toBe(316);
    expect(com.term).toEqual({
      code: '2021-fa',
      name: 'Fall 2021',
      startsOn: '2021-08-23',
      endsOn: '2021-12-11',
    });
  });

  it('reads every section of the CS page (README: 287 sections)', () => {
    const cs = parsed(CS);
    expect(cs.rejected).toEqual([]);
    expect(cs.sections).toHaveLength(287);
    // Summer sessions: the earliest module starts May 17, the latest ends Aug 06.
    expect(cs.term).toEqual({
      code: '2021-su',
      name: 'Summer 2021',
      startsOn: '2021-05-17',
      endsOn: '2021-08-06',
    });
  });

  it.each([COM, CS])('agrees with an independent count of the markup of %s', (name) => {
    const html = page(name);
    const $ = cheerio.load(html);
    // CRNs from the header links' URLs (not their text), in page order.
    const crns = $('th.ddlabel, th.ddtitle')
      .map((_, th) =>
        new URL($(th).find('a').first().attr('href') ?? '', 'https://x').searchParams.get('crn_in'),
      )
      .get();
    // Courses from the "View Catalog Entry" links' URLs.
    const courses = $('a')
      .filter((_, a) => $(a).text().trim() === 'View Catalog Entry')
      .map((_, a) => {
        const query = new URL($(a).attr('href') ?? '', 'https://x').searchParams;
        return `${query.get('one_subj')} ${query.get('sel_crse_strt')}`;
      })
      .get();
    const meetingRows = $('table[summary^="This table lists the scheduled meeting times"] tr').filter(
      (_, tr) => $(tr).children('td').length > 0,
    ).length;

    const catalog = parsed(name);
    expect(catalog.sections.map((s) => s.externalId)).toEqual(crns);
    expect(catalog.sections.map((s) => `${s.course.subject} ${s.course.number}`)).toEqual(courses);
    expect(catalog.sections.reduce((n, s) => n + s.meetings.length, 0)).toBe(meetingRows);
    // Lines are where each header starts in the file.
    expect(catalog.sections[0]!.line).toBe(lineOf(html, HEADER));
    expect(section(catalog, crns[crns.length - 1]!).line).toBe(
      html.slice(0, html.lastIndexOf(HEADER)).split('\n').length,
    );
  });

  it('reads a section and its meeting', () => {
    expect(section(parsed(COM), '16939')).toEqual({
      line: lineOf(page(COM), 'crn_in=16939"'),
      course: {
        subject: 'COM',
        number: '10000',
        title: 'Introduction To Communication Studies',
        description: null,
        creditsMin: 1,
        creditsMax: 1,
      },
      externalId: '16939',
      code: 'SC1',
      type: 'Presentation',
      online: false,
      // `Pamela G  Deutsch (P)` with a mailto icon in the page.
      instructors: ['Pamela G Deutsch'],
      status: 'UNKNOWN',
      meetings: [
        {
          days: 'MW',
          startTime: '12:30',
          endTime: '13:20',
          building: 'Beering Hall of Lib Arts & Ed',
          room: '2290',
          startDate: '2021-08-23',
          endDate: '2021-12-11',
        },
      ],
    });
  });

  it('keeps every meeting row of a section, in order', () => {
    const meetings = section(parsed(COM), '21497').meetings;
    expect(meetings.map((m) => [m.days, m.startTime, m.endTime, m.building, m.room])).toEqual([
      ['M', '11:30', '12:20', 'Beering Hall of Lib Arts & Ed', 'B232'],
      ['TR', '11:30', '12:20', 'Beering Hall of Lib Arts & Ed', '1222'],
    ]);
  });

  it('reads TBA meetings, &nbsp; days, variable credits and schedule types', () => {
    const thesis = section(parsed(CS), '10683');
    expect(page(CS).includes('1.000 TO       18.000 Credits')).toBe(true);
    expect(page(CS).includes('<td CLASS="dddefault">&nbsp;</td>')).toBe(true);
    expect([thesis.course.creditsMin, thesis.course.creditsMax]).toEqual([1, 18]);
    expect(thesis.type).toBe('Research');
    expect(thesis.meetings).toEqual([
      {
        days: '',
        startTime: null,
        endTime: null,
        building: null,
        room: null,
        startDate: '2021-05-17',
        endDate: '2021-08-03',
      },
    ]);
  });

  it('marks online sections', () => {
    const cs = parsed(CS);
    // `Distance Learning Schedule Type` and `Online Instructional Method`.
    expect(section(cs, '10341')).toMatchObject({ type: 'Distance Learning', online: true });
    // A lecture whose only place is `Synchronous Online Learning ONLINE`: no building, no room.
    const lecture = section(cs, '29166');
    expect(lecture).toMatchObject({ type: 'Lecture', online: true });
    expect(lecture.meetings.map((m) => [m.days, m.startTime, m.building, m.room])).toEqual([
      ['MW', '09:50', null, null],
    ]);
    expect(section(cs, '28821')).toMatchObject({ type: 'Laboratory', online: false });
  });

  it('normalises instructors: double spaces, (P) first, duplicates and TBA dropped', () => {
    const com = parsed(COM);
    expect(section(com, '20354').instructors).toEqual(['Kris Acheson-Clair', 'Daniel C Jones']);
    // Listed on both meeting rows.
    expect(page(COM).split('Fake E  Instructor').length - 1).toBeGreaterThanOrEqual(2);
    expect(section(com, '21497').instructors).toEqual(['Fake E Instructor']);
    expect(section(com, '21520').instructors).toEqual([]);
    for (const s of [...com.sections, ...parsed(CS).sections])
      for (const name of s.instructors) expect(name).toMatch(/^[^\s()]+( [^\s()]+)*$/);

    // The primary listed second: `Daniel C  Jones, Kris   Acheson-Clair (P)`.
    const swapped = mutateSection(
      mutateSection(
        page(COM),
        '20354',
        ', Daniel C  Jones <a href="mailto:dcjones',
        ' <a href="mailto:dcjones',
      ),
      '20354',
      'Kris   Acheson-Clair (<ABBR',
      'Daniel C  Jones, Kris   Acheson-Clair (<ABBR',
    );
    expect(
      swapped.includes('>Daniel C  Jones, Kris   Acheson-Clair (<ABBR title= "Primary">P</ABBR>)<a'),
    ).toBe(true);
    expect(section(parseBanner8Page(swapped), '20354').instructors).toEqual([
      'Kris Acheson-Clair',
      'Daniel C Jones',
    ]);
  });

  it('reads titles without the linked-section text, with ampersands, and with " - " in them', () => {
    expect(page(CS).includes('C Programming - 28821 - CS 15900 - L01</a>&nbsp;&nbsp;Link Id: A2')).toBe(true);
    expect(section(parsed(CS), '28821')).toMatchObject({ code: 'L01', course: { title: 'C Programming' } });
    // The page writes a bare `&` here (and in `Beering Hall of Lib Arts & Ed`, read in CRN 16939).
    expect(page(COM).includes('>Video Games & Society - 23233 - COM 49500 - 053<')).toBe(true);
    expect(section(parsed(COM), '23233').course.title).toBe('Video Games & Society');

    const dashed = mutateSection(
      page(COM),
      '23233',
      'Video Games & Society',
      'Video Games - Play &amp; Society',
    );
    expect(section(parseBanner8Page(dashed), '23233')).toMatchObject({
      code: '053',
      course: { subject: 'COM', number: '49500', title: 'Video Games - Play & Society' },
    });
    // Decoded once: `&amp;lt;` is the text `&lt;`, not `<`.
    const escaped = mutateSection(page(COM), '23233', 'Video Games & Society', 'Video &amp;lt;Games&amp;gt;');
    expect(section(parseBanner8Page(escaped), '23233').course.title).toBe('Video &lt;Games&gt;');
  });

  it('reads the ddtitle header variant of other schools the same', () => {
    const part = firstSections(page(COM), 3);
    const ddtitle = part.replaceAll(HEADER, '<th CLASS="ddtitle" scope="colgroup"');
    expect(ddtitle.includes('ddlabel')).toBe(false);
    expect(ddtitle.split('CLASS="ddtitle"').length - 1).toBe(3);

    const asTitle = parseBanner8Page(ddtitle);
    expect(asTitle.sections).toHaveLength(3);
    expect(asTitle).toEqual(parseBanner8Page(part));
    expect(asTitle.sections).toEqual(parsed(COM).sections.slice(0, 3));
  });

  it('rejects a section whose time cannot be read and keeps the others', () => {
    const html = mutateSection(page(COM), '16939', '12:30 pm - 1:20 pm', '12:30 pm - 13:99 pm');
    const result = parseBanner8Page(html);
    expect(result.rejected).toEqual([
      {
        line: lineOf(html, 'crn_in=16939"'),
        reason: expect.stringContaining('unreadable time'),
        externalId: '16939', // read: an existing section is not cancelled for it
      },
    ]);
    expect(result.rejected[0]!.reason).toContain('16939');
    expect(result.sections).toEqual(parsed(COM).sections.filter((s) => s.externalId !== '16939'));
    expect(result.term?.code).toBe('2021-fa');
  });

  it('rejects a section whose header cannot be split', () => {
    const html = mutateSection(
      page(COM),
      '16939',
      'Introduction To Communication Studies - 16939 - COM 10000 - SC1',
      'Introduction To Communication Studies',
    );
    const result = parseBanner8Page(html);
    expect(result.rejected).toEqual([
      { line: lineOf(html, 'crn_in=16939"'), reason: expect.stringContaining('unreadable header') },
    ]);
    expect(result.sections).toHaveLength(270);
  });

  it('rejects a section of another term than the page', () => {
    const html = mutateSection(
      page(COM),
      '23233',
      'Associated Term: </SPAN>Fall 2021',
      'Associated Term: </SPAN>Spring 2022',
    );
    const result = parseBanner8Page(html);
    expect(result.rejected).toEqual([
      {
        line: lineOf(html, 'crn_in=23233"'),
        // No externalId: a section of another term says nothing of this term's CRN 23233.
        reason: expect.stringContaining('differs from the page'),
      },
    ]);
    expect(result.term?.code).toBe('2021-fa');
    expect(result.sections).toHaveLength(270);
  });

  it('returns nothing, without throwing, for a search with no results', () => {
    expect(page(EMPTY).includes('No classes were found that meet your search criteria')).toBe(true);
    expect(parsed(EMPTY)).toEqual({ term: null, sections: [], rejected: [] });
  });

  it.each([
    ['the term list page', () => page(TERM_LIST)],
    ['a page that is not Banner', () => '<html><body><p>hi</p></body></html>'],
  ])('refuses %s', (_, html) => {
    const source = html();
    expect(() => parseBanner8Page(source)).toThrow(CatalogFormatError);
    expect(() => parseBanner8Page(source)).toThrow(/Class Schedule Listing/);
  });
});
