import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { pathOf, type SectionName } from '../lib/route';

export const BASE = import.meta.env.BASE_URL;

/** Moves to another page of the console without reloading it. */
export function navigate(section: SectionName, param?: string) {
  window.history.pushState(null, '', pathOf(BASE, section, param));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

type Props = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: SectionName; param?: string };

/** A real link (new tab, copy address), followed in place on a plain click. */
export function Link({ to, param, onClick, ...rest }: Props) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(to, param);
  };
  return <a href={pathOf(BASE, to, param)} onClick={click} {...rest} />;
}
