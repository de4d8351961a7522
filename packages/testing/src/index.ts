export { postRaw, randomClientIp, startGraph, TEST_PASSWORD, type Graph, type GqlResult } from './graph';
