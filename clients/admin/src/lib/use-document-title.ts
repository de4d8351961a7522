import { useEffect } from 'react';
import { useI18n } from '../i18n/context';

/** The tab's title names the page, in the admin's language: "Reports · Moim admin". */
export function useDocumentTitle(page: string | null) {
  const { t } = useI18n();
  const app = t('app.title');
  useEffect(() => {
    document.title = page ? `${page} · ${app}` : app;
  }, [page, app]);
}
