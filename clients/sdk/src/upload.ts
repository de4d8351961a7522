import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { MoimUploadError } from './errors';
import {
  CompleteUploadDocument,
  CreateUploadDocument,
  MediaDocument,
  type MediaInfoFragment,
  type MediaPurpose,
  type MediaState,
} from './generated/graphql';
import { withTimeout, type FetchLike } from './transport';

export interface UploadOptions {
  /** image/jpeg, image/png, image/webp, image/heic, image/heif, image/avif or image/gif. */
  contentType: string;
  purpose: MediaPurpose;
  /** Wait for the resize (READY); rejects with MoimUploadError when processing fails. Default false. */
  waitUntilReady?: boolean;
  /** How long to wait for READY (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * How long the PUT of the bytes may take (default 120 s: longer than a GraphQL request's
   * timeout, as megabytes go up a phone's uplink).
   */
  timeoutMs?: number;
}

/** The media as the API returns it, with `status` the same as `state`. */
export type UploadedMedia = MediaInfoFragment & { status: MediaState };

interface UploadDeps {
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult>;
  fetch: FetchLike;
}

const withStatus = (media: MediaInfoFragment): UploadedMedia => ({ ...media, status: media.state });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** createUpload, PUT of the bytes to the signed URL, completeUpload — and, if asked, waiting for READY. */
export async function uploadMedia(
  deps: UploadDeps,
  bytes: Blob | Uint8Array,
  options: UploadOptions,
): Promise<UploadedMedia> {
  const byteSize = bytes instanceof Uint8Array ? bytes.byteLength : bytes.size;
  // The server refuses what it cannot take (a non-image type, too many bytes) with BAD_USER_INPUT.
  const { createUpload: ticket } = await deps.request(CreateUploadDocument, {
    input: { contentType: options.contentType, byteSize, purpose: options.purpose },
  });
  const mediaId = ticket.media.id;
  const headers: Record<string, string> = {};
  for (const { name, value } of ticket.headers) headers[name] = value;
  let refused: string | undefined;
  try {
    refused = await withTimeout(options.timeoutMs ?? 120_000, async (signal) => {
      const response = await deps.fetch(ticket.uploadUrl, {
        method: ticket.method,
        headers,
        body: bytes as RequestInit['body'],
        signal,
      });
      if (response.ok) return undefined;
      // Read within the timeout too: a refusal whose body never ends must not hang the upload.
      const detail = (await response.text().catch(() => '')).slice(0, 200);
      return `HTTP ${response.status}${detail ? ` ${detail}` : ''}`;
    });
  } catch (err) {
    throw new MoimUploadError(`Upload failed: ${(err as Error).message}`, { mediaId, cause: err });
  }
  if (refused !== undefined) throw new MoimUploadError(`Upload refused: ${refused}`, { mediaId });
  // completeUpload checks the bytes (really an image of the declared type) before queueing the resize.
  let media = (await deps.request(CompleteUploadDocument, { mediaId })).completeUpload;
  if (!options.waitUntilReady) return withStatus(media);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let delay = 200;
  while (media.state !== 'READY') {
    if (media.state === 'FAILED') {
      throw new MoimUploadError(`Processing failed: ${media.failureReason ?? 'unknown reason'}`, { mediaId });
    }
    if (Date.now() >= deadline)
      throw new MoimUploadError(`Not ready in time (still ${media.state})`, { mediaId });
    await sleep(delay);
    delay = Math.min(delay * 2, 2_000);
    const { media: latest } = await deps.request(MediaDocument, { id: mediaId });
    if (!latest) throw new MoimUploadError('The upload is gone', { mediaId });
    media = latest;
  }
  return withStatus(media);
}
