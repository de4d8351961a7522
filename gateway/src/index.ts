export { createGateway, type Gateway } from './gateway';
export { loadGatewayEnv, type GatewayConfig } from './env';
export { composeSupergraph } from './compose';
export { MAX_BATCHED_OPERATIONS } from './transport';
