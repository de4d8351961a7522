import { describe, expect, it } from 'vitest';
import { offsetPage, offsetWindow } from './offset-pages';

describe('offset pages', () => {
  it('ask for one item more than a page, from the offset the cursor carries', () => {
    expect(offsetWindow(null, 20)).toEqual({ first: 21, offset: 0 });
    expect(offsetWindow('100', 20)).toEqual({ first: 21, offset: 100 });
    expect(offsetWindow('-5', 20)).toEqual({ first: 21, offset: 0 });
    expect(offsetWindow('x', 20)).toEqual({ first: 21, offset: 0 });
  });

  it('show a page of items, know of a next page only from the extra one, and end where the next starts', () => {
    const fetched = Array.from({ length: 21 }, (_, i) => i);
    expect(offsetPage(fetched, 40, 20)).toEqual({
      items: fetched.slice(0, 20),
      pageInfo: { hasNextPage: true, endCursor: '60' },
    });
    expect(offsetPage(fetched.slice(0, 20), 0, 20).pageInfo.hasNextPage).toBe(false);
    expect(offsetPage([], 0, 20)).toEqual({ items: [], pageInfo: { hasNextPage: false, endCursor: '20' } });
  });
});
