import { useCallback, useRef, useState } from 'react';
import type { MessageKey, Vars } from '../i18n/messages';

/**
 * The outcome of an action, kept as a message key (and the error itself) so that it is read in
 * the language of the moment, also after a switch.
 */
export type NoticeText =
  { kind: 'ok' | 'error'; key: MessageKey; vars?: Vars } | { kind: 'error'; error: unknown };

/**
 * Runs one action at a time on a page (hide, retry…): which one is running, for marking its
 * button busy, and the outcome as a notice.
 */
export function useAction() {
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const running = useRef(false);
  const run = useCallback(async (id: string, action: () => Promise<NoticeText>): Promise<boolean> => {
    // Busy buttons stay focusable (aria-disabled): a second press is ignored here.
    if (running.current) return false;
    running.current = true;
    setBusy(id);
    setNotice(null);
    try {
      const outcome = await action();
      setNotice(outcome);
      return outcome.kind === 'ok';
    } catch (error) {
      setNotice({ kind: 'error', error });
      return false;
    } finally {
      running.current = false;
      setBusy(null);
    }
  }, []);
  return { notice, busy, run };
}
