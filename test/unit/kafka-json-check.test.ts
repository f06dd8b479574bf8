/**
 * checkJson (operators/kafka/json-check.ts) against the arbiter it stands in for: a value
 * is JSON exactly when JSON.parse of its UTF-8 text succeeds, and it may be a jsonl value
 * as it is exactly when, besides, its bytes are valid UTF-8 with no line break.
 * Hand-picked edge cases first, then many generated texts, each also mutated byte-wise.
 * Then decodeChunk's lines, where the check decides which records are written as received.
 */
import { isUtf8 } from 'node:buffer';
import { expect } from 'chai';
import type { KafkaMessage } from 'kafkajs';
import { checkJson, NOT_JSON, ONE_LINE, REWRITE, type JsonCheck } from '../../operators/kafka/json-check.ts';
import { decodeChunk } from '../../operators/kafka/records.ts';

/** What checkJson must answer, from JSON.parse. */
function expected(bytes: Buffer): JsonCheck {
  try {
    JSON.parse(bytes.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
  return isUtf8(bytes) && !bytes.includes(0x0a) && !bytes.includes(0x0d) ? ONE_LINE : REWRITE;
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u', '\\u00e9', '\\x', '0', '01', '-', '-0', '1.', '.5', '1e', '1e+', '2E-3',
  '+1', 'true', 'tru', 'null', 'nul', 'false', 'NaN', 'Infinity', ' ', '\t', '\n', '\r', '\u000b', '\f', '\u0000', '\u001f',
  'é', '€', '😀', '\ufeff', 'a', "'", '/'];
const BAD_BYTES = [0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff];

function generate(rnd: () => number, depth: number): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 5 : 7));
  const str = () => Array.from({ length: Math.floor(rnd() * 6) }, () => PIECES[Math.floor(rnd() * PIECES.length)]).join('');
  switch (pick) {
    case 0: return null;
    case 1: return rnd() < 0.5;
    case 2: return [0, -0.5, 1e21, 123456789, -3.25e-7, 0.1][Math.floor(rnd() * 6)]! * (rnd() < 0.5 ? 1 : -1);
    case 3: return str();
    case 4: return Math.floor(rnd() * 1e6);
    case 5: return Array.from({ length: Math.floor(rnd() * 4) }, () => generate(rnd, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [str(), generate(rnd, depth + 1)]));
  }
}

/** JSON.stringify, sometimes indented (line breaks between tokens), sometimes padded. */
function serialise(rnd: () => number, v: unknown): string {
  const text = JSON.stringify(v, null, rnd() < 0.2 ? (rnd() < 0.5 ? 2 : '\t') : undefined);
  return rnd() < 0.1 ? ` \t${text}\r\n ` : text;
}

function mutate(rnd: () => number, bytes: Buffer): Buffer {
  const at = Math.floor(rnd() * (bytes.length + 1));
  const choice = rnd();
  const piece = choice < 0.8 ? Buffer.from(PIECES[Math.floor(rnd() * PIECES.length)]!) : Buffer.from([BAD_BYTES[Math.floor(rnd() * BAD_BYTES.length)]!]);
  if (choice < 0.35) return Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at)]); // insert
  if (choice < 0.6) return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(rnd() * 3))]); // delete
  return Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(at + piece.length)]); // overwrite
}

describe('checkJson: JSON without parsing, for the jsonl sink', () => {
  it('passes single-line JSON texts as they are', () => {
    for (const text of ['{}', '[]', '0', '-0', '1.5e-3', '-12E+4', '"x"', 'true', 'false', 'null', ' {"a" : [1, {"b":null}] } ',
      '{"k":"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00E9 \\uD83D\\ude00"}', '{"é":"€ 😀"}', '[[[[[[[[[[]]]]]]]]]]', '{"":""}', '"\u007f"']) {
      expect(checkJson(Buffer.from(text)), text).to.equal(ONE_LINE);
    }
  });

  it('asks for a rewrite of JSON spanning lines, or with invalid UTF-8 inside a string', () => {
    expect(checkJson(Buffer.from('{\n"a": 1\r\n}'))).to.equal(REWRITE);
    expect(checkJson(Buffer.from([0x22, 0x61, 0xff, 0x62, 0x22]))).to.equal(REWRITE); // "a\xffb"
    expect(checkJson(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).to.equal(REWRITE); // an encoded surrogate
    expect(checkJson(Buffer.from([0x22, 0xc0, 0xaf, 0x22]))).to.equal(REWRITE); // an overlong '/'
  });

  it('rejects what JSON.parse rejects', () => {
    for (const text of ['', ' ', '{', '}', '[1,]', '[,1]', '{"a":1,}', '{"a" 1}', '{a:1}', "{'a':1}", '01', '1.', '.5', '1e', '+1', '--1',
      '0x10', 'NaN', 'Infinity', 'undefined', 'tru', 'nulls', '"abc', '"a\\x"', '"\\u12G4"', '"\\u12"', '"tab\there"', '"nl\nhere"',
      '1 2', '{}{}', '[1]]', '[1}', '{"a":1]', '\ufeff{}', '\u000b1', '\f1', '[\u00a01]', '"\\', '[1,', '{"a":']) {
      expect(checkJson(Buffer.from(text)), JSON.stringify(text)).to.equal(NOT_JSON);
      expect(() => JSON.parse(text), text).to.throw(SyntaxError);
    }
    expect(checkJson(Buffer.from([0x7b, 0xff, 0x7d]))).to.equal(NOT_JSON); // an invalid byte outside a string
  });

  it('agrees with JSON.parse on 60,000 generated and mutated texts', () => {
    const rnd = random(20261121);
    let valid = 0;
    let invalid = 0;
    for (let k = 0; k < 20_000; k++) {
      let bytes: Buffer = Buffer.from(serialise(rnd, generate(rnd, 0)));
      for (let m = 0; m < 3; m++) {
        const want = expected(bytes);
        const got = checkJson(bytes);
        if (got !== want) expect.fail(`case ${k}.${m}: ${JSON.stringify(bytes.toString('latin1'))} gave ${got}, JSON.parse says ${want}`);
        if (want === NOT_JSON) invalid++; else valid++;
        bytes = mutate(rnd, bytes);
      }
    }
    // Both kinds were exercised in numbers, or the comparison would prove little.
    expect(valid).to.be.above(15_000);
    expect(invalid).to.be.above(15_000);
  });

  it('handles nesting deeper than its first stack', () => {
    expect(checkJson(Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`))).to.equal(ONE_LINE);
    expect(checkJson(Buffer.from(`${'{"a":'.repeat(300)}1${'}'.repeat(300)}`))).to.equal(ONE_LINE);
    expect(checkJson(Buffer.from(`${'['.repeat(5000)}${']'.repeat(4999)}`))).to.equal(NOT_JSON);
  });
});

describe('decodeChunk for a sink of jsonl lines', () => {
  const message = (offset: number, value: Buffer | string | null, key: string | null = `k${offset}`, headers?: Record<string, string>) => ({
    offset: String(offset), timestamp: '1780000000000', key: key === null ? null : Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : value, headers, attributes: 0,
  }) as unknown as KafkaMessage;

  it('writes every record as one JSON line: as received, re-serialised, or to the dead letters', async () => {
    const messages = [
      message(10, '{"n":1}'),
      message(11, '{\n  "n": 2\n}'), // JSON over lines: re-serialised
      message(12, Buffer.from([0x7b, 0x22, 0x73, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])), // {"s":"\xff"}: invalid UTF-8
      message(13, '{"n":'), // poison
      message(14, '[1,2]', null, { h: 'v' }),
      message(15, null), // a tombstone
      message(16, '"é"', 'clé'),
    ];
    const chunk = await decodeChunk({ topic: 't', format: 'json', jsonLines: true }, 0, messages);
    expect(chunk.poison.map((p) => p.offset)).to.deep.equal(['13']);
    const lines = chunk.lines!.bytes.toString('utf8').split('\n');
    expect(lines.pop()).to.equal('');
    const parsed = lines.map((l) => JSON.parse(l) as { value: unknown; key: string | null; headers: object; offset: string; timestamp: string });
    expect(parsed.map((l) => [l.offset, l.value])).to.deep.equal([['10', { n: 1 }], ['11', { n: 2 }], ['12', { s: '\ufffd' }], ['14', [1, 2]], ['15', null], ['16', 'é']]);
    expect(parsed[0]).to.deep.include({ key: 'k10', headers: {}, timestamp: new Date(1780000000000).toISOString() });
    expect(parsed[3]).to.deep.include({ key: null, headers: { h: 'v' } });
    expect(parsed[5]!.key).to.equal('clé');
    expect(isUtf8(chunk.lines!.bytes)).to.equal(true);
    expect(chunk.lines).to.deep.include({ first: '10', last: '16', lines: 6 });
  });
});
