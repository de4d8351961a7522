import { describe, expect, it } from 'vitest';
import { firstPage, currentCursor, nextPage, pageNumber, previousPage } from './pages';
import { parseRoute, pathOf } from './route';

describe('routes', () => {
  it('reads the section and its parameter from the path under the base', () => {
    expect(parseRoute('/admin/', '/admin/')).toEqual({ section: 'reports' });
    expect(parseRoute('/admin/explorer', '/admin/')).toEqual({ section: 'explorer' });
    expect(parseRoute('/admin/users/4f2a', '/admin/')).toEqual({ section: 'users', param: '4f2a' });
    expect(parseRoute('/admin/queues/social-events/', '/admin/')).toEqual({
      section: 'queues',
      param: 'social-events',
    });
  });

  it('falls back to the reports for anything else', () => {
    expect(parseRoute('/admin/nowhere', '/admin/')).toEqual({ section: 'reports' });
    expect(parseRoute('/elsewhere/users', '/admin/')).toEqual({ section: 'reports' });
    expect(parseRoute('/admin/users/%E0%A4%A', '/admin/')).toEqual({ section: 'users' });
  });

  it('writes paths it reads back', () => {
    const path = pathOf('/admin/', 'queues', 'a queue/with slash');
    expect(path).toBe('/admin/queues/a%20queue%2Fwith%20slash');
    expect(parseRoute(path, '/admin/')).toEqual({ section: 'queues', param: 'a queue/with slash' });
  });
});

describe('page trails', () => {
  it('go forward by end cursors and back to where they were', () => {
    let trail = firstPage();
    expect([currentCursor(trail), pageNumber(trail)]).toEqual([null, 1]);
    trail = nextPage(trail, 'c1');
    trail = nextPage(trail, 'c2');
    expect([currentCursor(trail), pageNumber(trail)]).toEqual(['c2', 3]);
    trail = previousPage(trail);
    expect([currentCursor(trail), pageNumber(trail)]).toEqual(['c1', 2]);
    expect(previousPage(previousPage(previousPage(trail)))).toEqual(firstPage());
  });

  it('stay put without an end cursor', () => {
    expect(nextPage(firstPage(), null)).toEqual(firstPage());
  });
});
