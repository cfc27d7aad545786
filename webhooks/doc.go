// Package webhooks delivers events to the webhooks users registered, at
// least once, in two steps on the cell's JetStream stream:
//
//   - the Dispatcher reads what webhooks subscribe to (price_alert
//     notifications, price changes of at least 5 %, provider health) and
//     puts one webhook_request per (webhook, event) into the stream, its id
//     derived from both so a redelivered event makes no second request;
//   - the Deliverer consumes the requests and POSTs each, signed
//     (shared/webhook), retrying on JetStream's redelivery with the
//     documented backoff; 2xx delivers, 410 Gone disables the webhook, and
//     after the last attempt the request is dead-lettered as a
//     webhook_dead event (Kafka gpubroker.dlq.webhooks when the bridge
//     runs). Every attempt is recorded for GET /api/v2/webhooks/{id}/deliveries.
//
// A source message is acknowledged only after its requests are stored, a
// request only after its outcome is: a process killed at any point makes
// the stream deliver again, and receivers dedup by the delivery id.
package webhooks
