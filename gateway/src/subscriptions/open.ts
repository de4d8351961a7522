import { GraphQLError } from 'graphql';
import { request, type Dispatcher } from 'undici';
import {
  CALLER_HEADER,
  LIVE_OPEN_PATH,
  REQUEST_ID_HEADER,
  signCaller,
  type Caller,
  type LiveOpening,
  type LiveOpenResponse,
} from '@moim/kit';
import type { KeyObject } from 'node:crypto';

export interface OpenLive {
  (
    subgraph: string,
    field: string,
    args: Record<string, unknown>,
    caller: Caller,
    sinceSeq?: number,
  ): Promise<LiveOpening>;
}

/**
 * Asks the owning subgraph to open a live field for one subscriber (kit's `/live/open`), signed
 * like every subgraph call. A refusal comes back as the subgraph's GraphQLError.
 */
export function liveOpener(options: {
  urls: Record<string, string>;
  key: KeyObject;
  dispatcher: Dispatcher;
  timeoutMs: number;
}): OpenLive {
  return async (subgraph, field, args, caller, sinceSeq) => {
    const url = options.urls[subgraph];
    if (!url) throw new GraphQLError(`No URL configured for subgraph ${subgraph}`);
    const body = JSON.stringify({ field, args, ...(sinceSeq !== undefined ? { sinceSeq } : {}) });
    let answer: LiveOpenResponse;
    try {
      const res = await request(new URL(LIVE_OPEN_PATH, url), {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: {
          'content-type': 'application/json',
          [CALLER_HEADER]: signCaller(caller, options.key, subgraph, body),
          [REQUEST_ID_HEADER]: caller.requestId,
        },
        body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      answer = (await res.body.json()) as LiveOpenResponse;
    } catch (err) {
      throw new GraphQLError(`${subgraph} could not open ${field}: ${(err as Error).message}`, {
        extensions: { code: 'SUBREQUEST_HTTP_ERROR' },
      });
    }
    if ('errors' in answer) {
      const [first] = answer.errors;
      throw new GraphQLError(first?.message ?? 'Refused', { extensions: first?.extensions ?? {} });
    }
    return answer.opening;
  };
}
