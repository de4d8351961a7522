import { parseId, requireUser } from '@moim/kit';
import type { Media } from '../entities';
import type { MediaContext } from '../domain/context';
import { completeUpload, createUpload, type CreateUploadInput, type UploadTicket } from '../domain/uploads';
import { variantKey, type VariantExtension, type VariantName } from '../storage/storage.port';

type MediaVariant = 'THUMB' | 'MEDIUM' | 'LARGE';
type ImageFormat = 'WEBP' | 'AVIF' | 'JPEG';

const EXTENSIONS: Record<ImageFormat, VariantExtension> = { WEBP: 'webp', AVIF: 'avif', JPEG: 'jpg' };

export const mediaResolvers = {
  Query: {
    // Anyone may read a media by id: its URLs are public once READY, like the images on a page.
    media: (_: unknown, args: { id: string }, ctx: MediaContext) => ctx.loaders.media.load(parseId(args.id)),
  },
  Mutation: {
    createUpload: async (_: unknown, { input }: { input: CreateUploadInput }, ctx: MediaContext) =>
      createUpload(ctx.deps, requireUser(ctx.caller), input),
    completeUpload: (_: unknown, args: { mediaId: string }, ctx: MediaContext) =>
      completeUpload(ctx.deps, requireUser(ctx.caller), args.mediaId),
  },
  UploadTicket: {
    uploadUrl: (ticket: UploadTicket) => ticket.target.url,
    method: (ticket: UploadTicket) => ticket.target.method,
    headers: (ticket: UploadTicket) =>
      Object.entries(ticket.target.headers).map(([name, value]) => ({ name, value })),
    expiresAt: (ticket: UploadTicket) => ticket.target.expiresAt,
  },
  Media: {
    // Review's images and social's avatars arrive here as references: one query per plan level.
    __resolveReference: (ref: { id: string }, ctx: MediaContext) => ctx.loaders.media.load(ref.id),
    url: (media: Media, args: { variant: MediaVariant; format: ImageFormat }, ctx: MediaContext) =>
      media.state === 'READY'
        ? ctx.deps.storage.publicUrl(
            variantKey(media.id, args.variant.toLowerCase() as VariantName, EXTENSIONS[args.format]),
          )
        : null,
  },
};
