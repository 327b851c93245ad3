/**
 * An EHR's OAuth `error_description` (RFC 6749 §4.1.2.1 and §5.2: human-readable ASCII text),
 * made fit to show and keep: control characters out, whitespace collapsed, at most
 * {@link MAX_ERROR_DESCRIPTION} characters. It is the EHR's text, never trusted: pages escape it
 * (src/html/escape.ts) like any other value.
 */
export const MAX_ERROR_DESCRIPTION = 300;

export function cleanErrorDescription(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return null;
  return text.length <= MAX_ERROR_DESCRIPTION ? text : `${text.slice(0, MAX_ERROR_DESCRIPTION - 1)}…`;
}
