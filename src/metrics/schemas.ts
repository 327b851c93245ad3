/** `GET /metrics`, described (plain JSON Schema). */
export const metricsRoute = {
  tags: ['Operations'],
  summary: 'Prometheus metrics',
  description:
    'The text exposition format. Behind CHARTSIDE_METRICS_TOKEN (Authorization: Bearer), or on CHARTSIDE_METRICS_PORT only.',
  response: {
    200: {
      description: 'Prometheus text format 0.0.4.',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
  },
};
