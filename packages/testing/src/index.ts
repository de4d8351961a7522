export { postRaw, startGraph, TEST_PASSWORD, type Graph, type GqlResult } from './graph';
