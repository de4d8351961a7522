import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A local stand-in for Algolia's REST API, for tests that run the real client against it: it
 * records every request and keeps the indexes' records (batches, index deletion, `move`), so that
 * a query finds what was pushed. Tasks are published at once. Queries match records whose title or
 * body holds every word of the query; filters are not applied (the tests read them from the record).
 */

export interface RecordedRequest {
  method: string;
  path: string;
  /** The index the request is about (`/1/indexes/<index>/...`), or ''. */
  index: string;
  /** What it does: `batch`, `settings`, `synonyms/clear`, `operation`, `task`, `query`, `delete`… */
  action: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Algolia's JSON bodies, read by the tests
  body: any;
}

/** One record written by a batch, in the order the batches arrived. */
export interface RecordedWrite {
  /** Position of its request in `requests`. */
  at: number;
  index: string;
  action: 'addObject' | 'deleteObject';
  objectID: string;
  body: Record<string, unknown>;
}

export interface FakeAlgolia {
  /** `http://127.0.0.1:<port>`, as ALGOLIA_HOST takes it. */
  url: string;
  requests: RecordedRequest[];
  /** The records each index holds now. */
  indexes: Map<string, Map<string, Record<string, unknown>>>;
  /** Every record action of every batch, in order (from request `from` on). */
  writes(from?: number): RecordedWrite[];
  close(): Promise<void>;
}

export async function startFakeAlgolia(
  options: {
    /** Holds the answer to a request this long (ms), as a slow Algolia would; read at each request. */
    delay?: (request: RecordedRequest) => number;
  } = {},
): Promise<FakeAlgolia> {
  const requests: RecordedRequest[] = [];
  const indexes = new Map<string, Map<string, Record<string, unknown>>>();
  let taskID = 1000;
  const records = (name: string) => {
    let index = indexes.get(name);
    if (!index) indexes.set(name, (index = new Map()));
    return index;
  };
  const updatedAt = new Date().toISOString();

  const route = (r: RecordedRequest): [number, unknown] => {
    switch (`${r.method} ${r.action}`) {
      case 'POST batch': {
        const index = records(r.index);
        for (const { action, body } of r.body.requests as {
          action: string;
          body: Record<string, unknown>;
        }[]) {
          const id = String(body.objectID);
          if (action === 'addObject') index.set(id, body);
          else if (action === 'deleteObject') index.delete(id);
          else return [400, { message: `Unexpected batch action ${action}`, status: 400 }];
        }
        return [
          200,
          {
            taskID: ++taskID,
            objectIDs: r.body.requests.map((q: { body: { objectID: string } }) => q.body.objectID),
          },
        ];
      }
      case 'PUT settings':
        records(r.index);
        return [200, { taskID: ++taskID, updatedAt }];
      case 'POST synonyms/batch':
      case 'POST synonyms/clear':
        return [200, { taskID: ++taskID, updatedAt }];
      case 'POST operation': {
        const { operation, destination } = r.body as { operation: string; destination: string };
        if (operation !== 'move') return [400, { message: `Unexpected operation ${operation}`, status: 400 }];
        indexes.set(destination, records(r.index));
        indexes.delete(r.index);
        return [200, { taskID: ++taskID, updatedAt }];
      }
      case 'DELETE delete':
        indexes.delete(r.index);
        return [200, { taskID: ++taskID, deletedAt: updatedAt }];
      case 'GET task':
        return [200, { status: 'published' }];
      case 'POST query': {
        const words = String(r.body.query ?? '')
          .toLowerCase()
          .split(/\s+/)
          .filter(Boolean);
        const retrieved = (r.body.attributesToRetrieve as string[] | undefined) ?? null;
        const hits = [...(indexes.get(r.index)?.values() ?? [])]
          .filter((record) => {
            const text = `${String(record.title)} ${String(record.body)}`.toLowerCase();
            return words.every((word) => text.includes(word));
          })
          .sort((a, b) => Number(b.popularity) - Number(a.popularity))
          .map((record) => ({
            ...(retrieved
              ? Object.fromEntries(Object.entries(record).filter(([name]) => retrieved.includes(name)))
              : record),
            objectID: record.objectID,
          }));
        const offset = Number(r.body.offset ?? 0);
        const length = Number(r.body.length ?? r.body.hitsPerPage ?? 20);
        return [
          200,
          {
            hits: hits.slice(offset, offset + length),
            nbHits: hits.length,
            processingTimeMS: 1,
            exhaustiveNbHits: true,
            query: r.body.query,
            params: '',
          },
        ];
      }
      default:
        return [404, { message: `Unexpected ${r.method} ${r.path}`, status: 404 }];
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const url = new URL(req.url!, 'http://fake');
      const path = decodeURIComponent(url.pathname);
      const [, version, collection, index = '', ...rest] = path.split('/');
      const recorded: RecordedRequest = {
        method: req.method!,
        path,
        index: version === '1' && collection === 'indexes' ? index : '',
        action: rest.join('/').replace(/^task\/\d+$/, 'task') || (req.method === 'DELETE' ? 'delete' : ''),
        query: url.searchParams,
        headers: req.headers,
        body: raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined,
      };
      requests.push(recorded);
      const [status, answer] = route(recorded);
      const answerNow = () => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(answer));
      };
      const delay = options.delay?.(recorded) ?? 0;
      if (delay > 0) setTimeout(answerNow, delay);
      else answerNow();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    indexes,
    writes: (from = 0) =>
      requests.flatMap((r, at) =>
        at < from || r.action !== 'batch'
          ? []
          : (r.body.requests as { action: RecordedWrite['action']; body: Record<string, unknown> }[]).map(
              ({ action, body }) => ({ at, index: r.index, action, objectID: String(body.objectID), body }),
            ),
      ),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
