/**
 * Which FHIR interaction a proxied request is, for the audit trail: the restful-interaction code,
 * the resource type and id, never a body.
 * @see http://hl7.org/fhir/R4/valueset-type-restful-interaction.html
 */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

export interface FhirInteraction {
  readonly interaction: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
}

export function describeInteraction(method: string, segments: readonly string[]): FhirInteraction {
  const [first, second, third, fourth] = segments;
  const type = first !== undefined && RESOURCE_TYPE.test(first) ? first : null;
  const last = segments[segments.length - 1];
  const result = (interaction: string, resourceId: string | null = null): FhirInteraction => ({
    interaction,
    resourceType: type,
    resourceId,
  });
  if (last?.startsWith('$'))
    return result('operation', type && second && !second.startsWith('$') ? second : null);
  if (segments.length === 0) return result(method === 'POST' ? 'batch/transaction' : 'search-system');
  if (first === 'metadata') return result('capabilities');
  if (first === '_history') return result('history-system');
  if (type === null) return result('unknown');
  if (second === undefined) return result(method === 'POST' ? 'create' : 'search-type');
  if (second === '_search') return result('search-type');
  if (second === '_history') return result('history-type');
  if (third === undefined) {
    const byMethod: Record<string, string> = { PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
    return result(byMethod[method] ?? 'read', second);
  }
  if (third === '_history') return result(fourth === undefined ? 'history-instance' : 'vread', second);
  // `Patient/123/Observation`: a search in the patient's compartment.
  return result('search-compartment', second);
}
