/**
 * Settings → Webhooks, described (routes.ts wires them; plain JSON Schema). What a URL or an
 * event list must be is the webhooks room's rule (webhooks/endpoints.ts), shown beside the field;
 * the schemas refuse only what no console form sends.
 */
const tags = ['Console'];
const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});
const afterPost = {
  303: { description: 'Post/redirect/get: on to the page that shows the result.', type: 'null' },
};
const text = (maxLength: number, description?: string) => ({
  type: 'string',
  maxLength,
  ...(description ? { description } : {}),
});
const csrf = { _csrf: text(200, 'The form’s CSRF token.') };
const endpointParams = {
  type: 'object',
  properties: { id: text(200, 'The endpoint id (`whep_…`).') },
  required: ['id'],
};

export const webhooksPage = { tags, response: { 200: html('The organization’s webhook endpoints.') } };

export const addWebhookForm = {
  tags,
  body: {
    type: 'object',
    properties: {
      ...csrf,
      url: text(4096, 'The endpoint URL.'),
      // Checkboxes: one value, or several when more than one is ticked.
      events: {
        anyOf: [text(50), { type: 'array', items: text(50), maxItems: 20 }],
        description: 'The subscribed events; none for every event.',
      },
    },
  },
  response: { ...afterPost, 422: html('The form again, the error beside its field.') },
};

export const webhookEndpointPage = {
  tags,
  params: endpointParams,
  response: { 200: html('One endpoint and its recent deliveries.') },
};

export const removeWebhookForm = {
  tags,
  params: endpointParams,
  body: { type: 'object', properties: { ...csrf } },
  response: afterPost,
};

export const redeliverForm = {
  tags,
  params: {
    type: 'object',
    properties: { id: text(200), messageId: text(200, 'The delivery’s webhook-id (`msg_…`).') },
    required: ['id', 'messageId'],
  },
  body: { type: 'object', properties: { ...csrf } },
  response: afterPost,
};
