// TODO: filled in by the helper that owns this area.
export const commentResolvers = {};
