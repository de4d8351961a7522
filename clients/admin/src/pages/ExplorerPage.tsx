import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { useMemo, type ComponentProps } from 'react';
import { useI18n } from '../i18n/context';
import { client, explorerSessionStorage } from '../lib/client';
import { explorerFetcher } from '../lib/explorer-fetcher';

const DEFAULT_QUERY = `# The gateway's whole graph, as the signed-in admin.
{
  reports(first: 5) {
    edges {
      node {
        reason
        status
      }
    }
  }
}
`;

/** GraphiQL bundled with the console (loaded on first visit: Monaco is most of the bundle). */
export default function ExplorerPage({ nickname }: { nickname: string }) {
  const { t } = useI18n();
  // GraphiQL types results with graphql-js's GraphQLError; JSON off the wire has the same shape.
  const fetcher = useMemo(
    () => explorerFetcher(client) as unknown as ComponentProps<typeof GraphiQL>['fetcher'],
    [],
  );
  return (
    <div className="explorer">
      <h1 className="visually-hidden">{t('explorer.heading')}</h1>
      <p className="meta">{t('explorer.note', { nickname })}</p>
      <div className="explorer-frame">
        {/* Headers are the session's: the SDK sends the admin's token, nothing typed by hand. */}
        <GraphiQL
          fetcher={fetcher}
          // Tabs, variables and history in this tab's sessionStorage, cleared at log-out (not localStorage).
          storage={explorerSessionStorage}
          defaultQuery={DEFAULT_QUERY}
          shouldPersistHeaders={false}
          isHeadersEditorEnabled={false}
        />
      </div>
    </div>
  );
}
