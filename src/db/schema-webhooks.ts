/** Tables of the webhooks room (migration 0008-webhooks); owned by src/webhooks/. */

/**
 * An organization's webhook endpoint: where its events are sent and which ones. `events` is `*`
 * (every event, future ones included) or the subscribed types between commas
 * (`,launch.ready,launch.failed,`), so "subscribed" is one LIKE in the launch's own statement.
 * `secret` is the `whsec_…` signing secret, sealed (context `webhook_endpoint.secret:<id>`).
 */
export interface WebhookEndpointTable {
  id: string;
  org_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: string;
  created_by: string;
}

/**
 * The outbox: one row per event and subscribed endpoint, written in the same statement (or
 * transaction) as the launch change it reports. `message_id` is the `webhook-id` header, the
 * same on every attempt and redelivery. The payload is rebuilt from the columns on each attempt
 * (ids and statuses only: never a token, never a patient). A row is `pending` until delivered
 * (`delivered`) or out of attempts (`failed`); a worker holds it while it sends
 * (`lease_until`), so a process that dies mid-delivery leaves it to the next one.
 */
export interface WebhookDeliveryTable {
  endpoint_id: string;
  message_id: string;
  org_id: string;
  event_type: string;
  launch_id: string | null;
  environment: string | null;
  launch_status: string | null;
  code: string | null;
  reason: string | null;
  occurred_at: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  lease_holder: string | null;
  last_attempt_at: string | null;
  last_response_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface WebhookTables {
  webhook_endpoint: WebhookEndpointTable;
  webhook_delivery: WebhookDeliveryTable;
}
