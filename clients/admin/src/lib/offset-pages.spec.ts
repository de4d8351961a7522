import { describe, expect, it } from 'vitest';
import { offsetPage, offsetWindow } from './offset-pages';

describe('offset pages', () => {
  it('ask for one item more than a page, starting where the previous pages ended', () => {
    expect(offsetWindow(1, 20)).toEqual({ first: 21, offset: 0 });
    expect(offsetWindow(6, 20)).toEqual({ first: 21, offset: 100 });
    expect(offsetWindow(0, 20)).toEqual({ first: 21, offset: 0 });
  });

  it('show a page of items and know of a next page only from the extra one', () => {
    const fetched = Array.from({ length: 21 }, (_, i) => i);
    expect(offsetPage(fetched, 20)).toEqual({ items: fetched.slice(0, 20), hasNext: true });
    expect(offsetPage(fetched.slice(0, 20), 20)).toEqual({ items: fetched.slice(0, 20), hasNext: false });
    expect(offsetPage([], 20)).toEqual({ items: [], hasNext: false });
  });
});
