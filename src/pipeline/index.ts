export { InstanceStoreHandler, type StoreInstanceDeps } from './store-instance.js';
export { Gateway, type GatewayPorts } from './gateway.js';
