import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

describe('operator passwords (scrypt)', () => {
  it('stores scrypt with its cost and a per-password salt, never the password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b, 'a fresh salt each time');
    assert.ok(!a.includes('horse'));
  });

  it('accepts the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapl', stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  it('matches the same password typed in another Unicode normalization form', async () => {
    const stored = await hashPassword('caf\u00e9 au lait please');
    assert.equal(await verifyPassword('cafe\u0301 au lait please', stored), true);
  });

  it('refuses stored values that are not ours, including costs that would exhaust the server', async () => {
    const stored = await hashPassword('correct horse battery staple');
    for (const bad of [
      '',
      'plain',
      stored.replace('ln=15', 'ln=30'),
      stored.replace('p=1', 'p=9'),
      stored.replace('$scrypt$', '$argon2id$'),
    ]) {
      assert.equal(await verifyPassword('correct horse battery staple', bad), false, bad);
    }
  });

  it('has a dummy hash so an unknown email costs the same scrypt work', async () => {
    const dummy = await dummyPasswordHash();
    assert.match(dummy, /^\$scrypt\$ln=15/);
    assert.equal(await dummyPasswordHash(), dummy, 'computed once');
  });

  it('asks for at least 12 characters and at most 1024', () => {
    assert.match(passwordProblem('short') ?? '', /at least 12/);
    assert.equal(passwordProblem('twelve chars'), null);
    assert.match(passwordProblem('x'.repeat(1025)) ?? '', /at most 1024/);
  });
});
