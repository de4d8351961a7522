/**
 * What a subgraph that attaches media (review, social) needs: the replica of who uploaded what,
 * fed by media's events, and the checks and events of attaching and detaching.
 */
export * from './images';
export * from './media-ref.entity';
