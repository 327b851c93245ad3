/**
 * Generators of hostile input shared by the fuzz suites: markup, quotes, entities, NUL, CRLF,
 * percent sequences (good and broken), unicode (astral, bidi, BOM), path tricks and very long
 * strings, mixed with plain random text.
 */
import fc from 'fast-check';

const FRAGMENTS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</dd></dl><h1>owned</h1>',
  '<!--',
  "'",
  '"',
  '&',
  '&amp;',
  '&#x3c;',
  '\u0000',
  '\r\n',
  '\n',
  '\t',
  '%',
  '%00',
  '%0d%0a',
  '%ff',
  '%E0%A4%A',
  '%2e%2e',
  '%2F',
  '%252F',
  '..',
  '/',
  '\\',
  '?',
  '#',
  '=',
  ' ',
  '+',
  ';',
  'é',
  '\u{1F4A5}',
  '\u202e',
  '\ufeff',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'https://evil.example/',
  '//evil.example',
  '@evil.example',
];

/** One hostile value: fragments and random text glued together, or plain random text. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), { maxLength: 6 })
      .map((parts) => parts.join('')),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...FRAGMENTS), fc.integer({ min: 300, max: 5000 }))
      .map(([fragment, n]) => fragment + 'x'.repeat(n)),
  },
);

/** Query parameters as pairs (names may repeat: a repeated name arrives as an array). */
export function queryPairs(
  names: readonly string[],
  values: fc.Arbitrary<string> = hostileText,
  maxLength = 6,
): fc.Arbitrary<[string, string][]> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom(...names.map((n) => `${n}[]`), '', '__proto__', 'x') },
    { weight: 1, arbitrary: hostileText },
  );
  return fc.array(fc.tuple(name, values), { maxLength });
}

/** `a=1&b=2`, each name and value percent-encoded (what any client would send). */
export function encodeQuery(pairs: readonly [string, string][]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

/**
 * A value as it might go on the wire unencoded or half-encoded: raw bytes a browser would
 * escape, broken percent sequences left as they are. Only spaces and line breaks are escaped,
 * since those would end the request line instead of testing the gateway.
 */
export function looselyEncoded(value: string): string {
  return Array.from(value, (char) => {
    if (char === ' ') return '%20';
    if (char === '\r' || char === '\n') return encodeURIComponent(char);
    if (char === '&' || char === '#') return encodeURIComponent(char);
    const code = char.codePointAt(0) ?? 0;
    // Other control characters and non-ASCII: sometimes raw, which HTTP parsers must refuse.
    return code < 0x20 || code > 0x7e ? (code % 2 === 0 ? char : encodeURIComponent(char)) : char;
  }).join('');
}

/** An `Authorization` header value an app (or an attacker) might send. */
export function authorizationVariants(validKey: string): fc.Arbitrary<string | undefined> {
  const tail = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFabcdefXYZxyz_-'), maxLength: 60 });
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(`Bearer ${validKey}`),
    fc.constant(validKey),
    fc.constant(`Basic ${Buffer.from(`${validKey}:`).toString('base64')}`),
    fc.constant(`bearer ${validKey}`),
    fc.constant(`Bearer  ${validKey} `),
    fc.constant(`Bearer ${validKey.slice(0, -1)}`),
    fc.constant(`Bearer ${validKey}x`),
    tail.map((t) => `Bearer cs_sk_${t}`),
    tail.map((t) => `Bearer ${validKey.slice(0, 19)}${t}`),
    fc.integer({ min: 500, max: 8000 }).map((n) => `Bearer cs_sk_${'a'.repeat(n)}`),
    hostileText.map((t) => `Bearer ${t}`),
    hostileText,
  );
}

/**
 * A header value as the server would see it after the wire: control characters cannot be sent
 * (they are refused by the HTTP parser, tested over the socket instead), and non-Latin-1 text
 * arrives as its UTF-8 bytes read as Latin-1.
 */
export function asHeaderValue(value: string): string {
  const sendable = Array.from(value)
    .filter((char) => {
      const code = char.codePointAt(0) ?? 0;
      return code === 0x09 || (code >= 0x20 && code !== 0x7f);
    })
    .join('');
  const bytes = Buffer.from(sendable, 'utf8');
  return bytes.toString('latin1').trim();
}
