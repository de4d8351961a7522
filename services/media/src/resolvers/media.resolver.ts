// TODO(helper M1): media(id), createUpload, completeUpload, Media fields.
export const mediaResolvers = { Query: {}, Mutation: {} };
