/** The delivery flow: the outbox, delivered per destination over C-STORE and MLLP. */
export { Deliveries, type DeliveriesDeps, type DeliveryMetrics } from './deliveries.js';
