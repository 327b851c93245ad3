import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { BaseUrlRewriter, rewriteBody, rewriteUrlText } from './url-rewriter.ts';

const bases = {
  ehrBase: 'https://fhir-ehr-code.cerner.com/r4/ec2458f2',
  proxyBase: 'https://gw.example/fhir/5f0c',
};

/** Feed `input` to the rewriter in chunks of `size` bytes and collect the output. */
async function rewrite(input: string, size: number): Promise<string> {
  const bytes = Buffer.from(input);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return text(Readable.from(chunks).pipe(new BaseUrlRewriter(bases)));
}

describe('base URL rewriting in streamed bodies', () => {
  const bundle = JSON.stringify({
    resourceType: 'Bundle',
    link: [
      { relation: 'self', url: `${bases.ehrBase}/Observation?patient=1` },
      { relation: 'next', url: `${bases.ehrBase}/Observation?patient=1&pageContext=abc&direction=NEXT` },
    ],
    entry: [
      { fullUrl: `${bases.ehrBase}/Observation/VS-1`, resource: { subject: { reference: 'Patient/1' } } },
    ],
  });
  const expected = bundle.replaceAll(bases.ehrBase, bases.proxyBase);

  it('rewrites Bundle links and fullUrls whatever the chunk boundaries (down to one byte)', async () => {
    for (const size of [1, 2, 3, 7, 13, 44, 45, 46, 64, 4096]) {
      assert.equal(await rewrite(bundle, size), expected, `chunks of ${size}`);
    }
  });

  it('rewrites the JSON-escaped spelling (https:\\/\\/…)', async () => {
    const escaped = `{"url":"${bases.ehrBase.replaceAll('/', '\\/')}\\/Patient\\/1"}`;
    assert.equal(
      await rewrite(escaped, 5),
      `{"url":"${bases.proxyBase.replaceAll('/', '\\/')}\\/Patient\\/1"}`,
    );
  });

  it('leaves a longer base, a shorter one and unrelated URLs alone', async () => {
    const other = JSON.stringify({
      a: `${bases.ehrBase}0/Patient/1`,
      b: 'https://fhir-ehr-code.cerner.com/r4/ec2458f',
      c: 'https://elsewhere.example/r4/ec2458f2/Patient/1',
    });
    assert.equal(await rewrite(other, 3), other);
  });

  it('rewrites the base itself, and the base at the very end of the stream', async () => {
    assert.equal(await rewrite(`"${bases.ehrBase}"`, 4), `"${bases.proxyBase}"`);
    assert.equal(await rewrite(bases.ehrBase, 4), bases.proxyBase);
    assert.equal(await rewrite(`x ${bases.ehrBase}?q=1`, 6), `x ${bases.proxyBase}?q=1`);
  });

  it('rewrites a whole body in one pass the same way (small answers)', () => {
    assert.equal(rewriteBody(Buffer.from(bundle), bases).toString(), expected);
    assert.equal(rewriteBody(Buffer.from(`"${bases.ehrBase}"`), bases).toString(), `"${bases.proxyBase}"`);
  });

  it('counts the bytes it sends', async () => {
    const rewriter = new BaseUrlRewriter(bases);
    const out = await text(Readable.from([Buffer.from(bundle)]).pipe(rewriter));
    assert.equal(rewriter.bytesOut, Buffer.byteLength(out));
  });
});

describe('base URL rewriting in headers', () => {
  it('rewrites Location, Content-Location and Link targets', () => {
    assert.equal(
      rewriteUrlText(`${bases.ehrBase}/Observation/1/_history/2`, bases),
      `${bases.proxyBase}/Observation/1/_history/2`,
    );
    assert.equal(
      rewriteUrlText(
        `<${bases.ehrBase}>; rel="service", <${bases.ehrBase}/Patient?page=2>; rel="next"`,
        bases,
      ),
      `<${bases.proxyBase}>; rel="service", <${bases.proxyBase}/Patient?page=2>; rel="next"`,
    );
    assert.equal(rewriteUrlText(`${bases.ehrBase}9/Patient/1`, bases), `${bases.ehrBase}9/Patient/1`);
    assert.equal(rewriteUrlText('Patient/1/_history/2', bases), 'Patient/1/_history/2');
  });
});
