/** Settings → Webhooks: endpoints, and one endpoint's recent deliveries with Redeliver. */
import { html, type SafeHtml } from '../../html/escape.ts';
import type { DeliveryRow } from '../../webhooks/deliveries.ts';
import type { WebhookEndpoint } from '../../webhooks/endpoints.ts';
import type { Flash } from '../sessions.ts';
import { badge, csrfField, when } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

const SETTINGS = ['Settings', '/admin/settings'] as const;
const WEBHOOKS = ['Webhooks', '/admin/settings/webhooks'] as const;

const STATUS_TONES: Record<string, 'ok' | 'bad' | 'warn'> = {
  delivered: 'ok',
  failed: 'bad',
  pending: 'warn',
};

const events = (endpoint: WebhookEndpoint) =>
  endpoint.events[0] === '*' ? 'every event' : endpoint.events.join(', ');

export function webhooksPage(viewer: Viewer, endpoints: readonly WebhookEndpoint[]): string {
  const rows = endpoints.map(
    (endpoint) => html`<tr>
  <td data-label="Endpoint"><a class="mono" href="/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}">${endpoint.id}</a></td>
  <td data-label="URL" class="mono">${endpoint.url}</td>
  <td data-label="Events">${events(endpoint)}</td>
  <td data-label="Added">${when(endpoint.createdAt)}</td>
</tr>`,
  );
  return consolePage({
    title: 'Webhooks',
    viewer,
    nav: 'webhooks',
    crumbs: [SETTINGS],
    body: html`<div class="page-head"><div><h1>Webhooks</h1>
<p class="muted">Chartside tells your app’s backend when a launch is ready, failed, ended or lost its EHR access, by a signed POST (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>). Add an endpoint with <code>chartside webhook add --org ORG --url URL</code>; its signing secret is shown once.</p></div></div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Endpoint</th><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Added</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="4" class="empty">No webhook endpoints yet.</td></tr>`}</tbody>
</table></div></section>`,
  });
}

function deliveryRow(viewer: Viewer, endpoint: WebhookEndpoint, delivery: DeliveryRow): SafeHtml {
  const action = `/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}/deliveries/${encodeURIComponent(delivery.messageId)}/redeliver`;
  return html`<tr>
  <td data-label="Event"><strong>${delivery.eventType}</strong><span class="sub mono">${delivery.messageId}</span>${delivery.launchId ? html`<a class="sub mono" href="/admin/audit?launch=${delivery.launchId}">${delivery.launchId}</a>` : ''}</td>
  <td data-label="Status">${badge(delivery.status, STATUS_TONES[delivery.status] ?? 'warn')}${delivery.lastError ? html`<span class="sub">${delivery.lastError}</span>` : ''}</td>
  <td data-label="Attempts" class="num">${delivery.attempts}</td>
  <td data-label="Last response" class="num">${delivery.lastResponseStatus ?? html`<span class="muted">—</span>`}</td>
  <td data-label="Next attempt">${delivery.nextAttemptAt ? when(delivery.nextAttemptAt) : html`<span class="muted">—</span>`}</td>
  <td data-label="Created">${when(delivery.createdAt)}</td>
  <td><form method="post" action="${action}">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary small" aria-label="Redeliver ${delivery.eventType} ${delivery.messageId}">Redeliver</button></form></td>
</tr>`;
}

export function webhookEndpointPage(
  viewer: Viewer,
  endpoint: WebhookEndpoint,
  deliveries: readonly DeliveryRow[],
  flash?: Flash | null,
): string {
  return consolePage({
    title: `Webhook ${endpoint.id}`,
    viewer,
    nav: 'webhooks',
    crumbs: [SETTINGS, WEBHOOKS],
    flash,
    body: html`<div class="page-head"><div><h1>Webhook endpoint</h1>
<p class="mono">${endpoint.url}</p>
<p class="muted">${endpoint.id} · ${events(endpoint)} · added ${when(endpoint.createdAt)}</p></div></div>
<section class="card"><h2>Recent deliveries</h2>
<p class="muted">Newest first. A failed attempt is tried again with growing delays; <strong>Redeliver</strong> sends one again now, from its first attempt, with the same <code>webhook-id</code>.</p>
<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last response</th><th scope="col">Next attempt</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${deliveries.length > 0 ? deliveries.map((delivery) => deliveryRow(viewer, endpoint, delivery)) : html`<tr><td colspan="7" class="empty">No deliveries yet: they appear when a launch of ${viewer.orgName} is ready, fails or ends.</td></tr>`}</tbody>
</table></div></section>`,
  });
}
