/** Moves focus to the <h1> inside `within` (or to `within` itself while the page has none yet). */
export function focusHeading(within: HTMLElement | null) {
  const heading = within?.querySelector<HTMLElement>('h1');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  } else within?.focus();
}
