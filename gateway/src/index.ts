export { createGateway, type Gateway } from './gateway';
export { loadGatewayEnv, type GatewayConfig } from './env';
export { composeSupergraph } from './compose';
