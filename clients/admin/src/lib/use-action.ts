import { useCallback, useState } from 'react';
import type { NoticeText } from '../components/common';
import { useI18n } from '../i18n/context';
import { describeError, errorLine } from './errors';

/**
 * Runs one action at a time on a page (hide, retry…): which one is running, for disabling its
 * button, and the outcome as a notice.
 */
export function useAction() {
  const { t } = useI18n();
  const [notice, setNotice] = useState<NoticeText | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const run = useCallback(
    async (id: string, action: () => Promise<string>): Promise<boolean> => {
      setBusy(id);
      setNotice(null);
      try {
        setNotice({ kind: 'ok', text: await action() });
        return true;
      } catch (error) {
        setNotice({ kind: 'error', text: errorLine(describeError(error, t)) });
        return false;
      } finally {
        setBusy(null);
      }
    },
    [t],
  );
  return { notice, busy, run };
}
