import { useCallback, useEffect, useRef, type RefObject } from 'react';

/** Marks the heading (or title) of a card in a list that `useRefocus` can move focus to. */
export const CARD_HEADING = 'data-card-heading';

/**
 * Where focus goes after an action on a card of a list (dismiss, hide, retry): once the list has
 * reloaded, if the focused button went with its card, focus moves to the heading of the card now
 * at that place (the next one), the last card's, or the list itself when it is empty, never to
 * the page's <body>.
 */
export function useRefocus(list: RefObject<HTMLElement | null>, settled: boolean, data: unknown) {
  const pending = useRef<number | null>(null);
  useEffect(() => {
    const index = pending.current;
    const element = list.current;
    if (index === null || !settled || !element) return;
    pending.current = null;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return; // still there: stays
    const headings = element.querySelectorAll<HTMLElement>(`[${CARD_HEADING}]`);
    (headings[Math.min(index, headings.length - 1)] ?? element).focus();
  }, [list, settled, data]);
  return useCallback((index: number) => {
    pending.current = index;
  }, []);
}
