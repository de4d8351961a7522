export {
  codeOf,
  ok,
  postRaw,
  randomClientIp,
  startGraph,
  TEST_PASSWORD,
  type Account,
  type Graph,
  type GqlResult,
} from './graph';
