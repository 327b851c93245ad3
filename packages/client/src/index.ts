/**
 * `@chartside/client`: the typed client for Chartside's app API, FHIR proxy and webhooks.
 * @see ../README.md
 */
export { Chartside, type ChartsideOptions } from './client.ts';
export {
  ChartsideApiError,
  type ChartsideApiErrorFields,
  ChartsideConnectionError,
  type ChartsideErrorType,
  isChartsideApiError,
} from './errors.ts';
export {
  FhirClient,
  type JsonPatchOperation,
  type ResourceOf,
  type ResourceType,
  type SearchParams,
  type WriteOptions,
  type WriteResult,
} from './fhir.ts';
export { type LaunchContext, type LaunchStatus, referenceId } from './launch-context.ts';
export { API_VERSION } from './transport.ts';
export {
  type VerifyOptions,
  verifyWebhook,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookHeaders,
  WebhookVerificationError,
  type WebhookVerificationFailure,
} from './webhooks.ts';
