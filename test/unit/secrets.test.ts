/**
 * Fernet encryption of secrets (core/secrets): round trips, key rotation, wrong or
 * missing keys, malformed keys, and the token format, including a token made by
 * Python's `cryptography` (what Airflow uses), so Airflow keys and values carry over.
 */
import { expect } from 'chai';
import {
  decryptSecret, encryptSecret, generateFernetKey, parseFernetKeys, SecretDecryptError, type FernetKeys,
} from '../../core/secrets/fernet.ts';
import { openValue, sealValue } from '../../core/secrets/stored-value.ts';

const keysOf = (k: string): FernetKeys => parseFernetKeys(k)!;

/*
 * Made with Python 3.11 and cryptography 48:
 *   python3 -c "from cryptography.fernet import Fernet; k=b'x4bqGCOsJtd1KvUHqRVs4Z6EXPcx3SnG8WHEEHzC2Qk=';
 *               print(Fernet(k).encrypt('s3crét p@ss'.encode()).decode())"
 */
const PY_KEY = 'x4bqGCOsJtd1KvUHqRVs4Z6EXPcx3SnG8WHEEHzC2Qk=';
const PY_TOKEN = 'gAAAAABrATxSiPzWwGdTSL8ZARa-ejkMVnQD8fcJGvUhAKm2uMyufe4kuJ6Q-WanNFBfyadPVrIEiVvOFguUcFU1PFITQUzzDg==';

describe('secrets: Fernet encryption', () => {
  it('round-trips text, including non-ASCII and empty strings', () => {
    const keys = keysOf(generateFernetKey());
    for (const plain of ['hunter2', 'pässwörd ✓ 密码', '', '{"a": [1, 2]}', 'x'.repeat(10_000)]) {
      const token = encryptSecret(plain, keys);
      expect(token).to.not.include(plain || '\u0000');
      expect(decryptSecret(token, keys, 'variable "v"')).to.equal(plain);
    }
  });

  it('uses a fresh IV each time: the same text encrypts differently', () => {
    const keys = keysOf(generateFernetKey());
    expect(encryptSecret('same', keys)).to.not.equal(encryptSecret('same', keys));
  });

  it('writes Fernet tokens: url-safe base64 of 0x80, timestamp, IV, AES blocks, HMAC', () => {
    const before = Math.floor(Date.now() / 1000);
    const token = encryptSecret('0123456789abcdef0', keysOf(generateFernetKey())); // 17 bytes: 2 AES blocks
    expect(token).to.match(/^gAAAAA[A-Za-z0-9_-]+=*$/);
    const raw = Buffer.from(token, 'base64url');
    expect(raw[0]).to.equal(0x80);
    expect(raw.length).to.equal(1 + 8 + 16 + 32 + 32);
    const ts = Number(raw.readBigUInt64BE(1));
    expect(ts).to.be.within(before, Math.floor(Date.now() / 1000) + 1);
  });

  it('reads a token made by Python cryptography (Airflow) with the same key', () => {
    expect(decryptSecret(PY_TOKEN, keysOf(PY_KEY), 'x')).to.equal('s3crét p@ss');
  });

  it('a wrong key is an error naming the value, never garbage', () => {
    const token = encryptSecret('secret', keysOf(generateFernetKey()));
    expect(() => decryptSecret(token, keysOf(generateFernetKey()), 'variable "api_token"'))
      .to.throw(SecretDecryptError, 'cannot decrypt variable "api_token": UPDRAFT_FERNET_KEY is not the key it was encrypted with');
  });

  it('a missing key is an error naming the value', () => {
    const token = encryptSecret('secret', keysOf(generateFernetKey()));
    expect(() => decryptSecret(token, undefined, 'connection "warehouse"'))
      .to.throw(SecretDecryptError, 'connection "warehouse" is encrypted but UPDRAFT_FERNET_KEY is not set');
  });

  it('a tampered token is rejected (HMAC)', () => {
    const keys = keysOf(generateFernetKey());
    const raw = Buffer.from(encryptSecret('secret', keys), 'base64url');
    raw[30] = raw[30]! ^ 1;
    expect(() => decryptSecret(raw.toString('base64url'), keys, 'variable "v"')).to.throw(SecretDecryptError, 'variable "v"');
  });

  it('rotates keys like MultiFernet: the first key encrypts, every key decrypts', () => {
    const oldKey = generateFernetKey();
    const newKey = generateFernetKey();
    const oldToken = encryptSecret('old', keysOf(oldKey));
    const both = keysOf(`${newKey}, ${oldKey}`);
    expect(decryptSecret(oldToken, both, 'v')).to.equal('old');
    const fresh = encryptSecret('new', both);
    expect(decryptSecret(fresh, keysOf(newKey), 'v')).to.equal('new');
    expect(() => decryptSecret(fresh, keysOf(oldKey), 'v')).to.throw(SecretDecryptError);
  });

  it('parses the configured key: unset or blank means no encryption; malformed keys are errors', () => {
    expect(parseFernetKeys(undefined)).to.equal(undefined);
    expect(parseFernetKeys('  ')).to.equal(undefined);
    expect(parseFernetKeys(PY_KEY)).to.deep.equal({ keys: [PY_KEY] });
    expect(() => parseFernetKeys('not-a-key')).to.throw('UPDRAFT_FERNET_KEY is not a Fernet key: it must be 32 url-safe base64-encoded bytes');
    expect(() => parseFernetKeys(Buffer.alloc(16).toString('base64url'))).to.throw('not a Fernet key');
    expect(() => parseFernetKeys(`${PY_KEY},short`)).to.throw('UPDRAFT_FERNET_KEY is not a Fernet key (key 2 of 2)');
  });

  it('stored values: plain text without a key, encrypted with one; null stays null', () => {
    const keys = keysOf(generateFernetKey());
    expect(sealValue('plain', undefined)).to.equal('plain');
    expect(sealValue(null, keys)).to.equal(null);
    const sealed = sealValue('hidden', keys)!;
    expect(sealed).to.match(/^gAAAAA/);
    expect(openValue(sealed, true, keys, 'v')).to.equal('hidden');
    expect(openValue('plain', false, undefined, 'v')).to.equal('plain');
    expect(openValue('gAAAAA-looks-encrypted', false, keys, 'v'), 'is_encrypted decides, not the text').to.equal('gAAAAA-looks-encrypted');
    expect(() => openValue(sealed, true, undefined, 'variable "k"')).to.throw('variable "k" is encrypted but UPDRAFT_FERNET_KEY is not set');
  });
});
