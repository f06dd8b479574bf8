/**
 * decodeRecord: JSON, and Avro / Protobuf in the Confluent wire format through the real
 * @kafkajs/confluent-schema-registry, with schemas served from files (the issue's
 * fallback: no Confluent-compatible registry can be installed on this machine).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { DecodeError, decodeRecord } from '../../operators/kafka/decode.ts';
import { FileSchemaRegistry, schemaRegistryAt } from '../../operators/kafka/schema-registry.ts';

const AVRO = JSON.stringify({
  type: 'record', name: 'Click', namespace: 'web',
  fields: [{ name: 'user_id', type: 'string' }, { name: 'page', type: 'string' }, { name: 'n', type: 'int' }],
});
const PROTO = `syntax = "proto3";
package web;
message Click { string user_id = 1; string page = 2; int64 n = 3; }
`;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (err) { return err as Error; }
  throw new Error('expected a rejection');
}

describe('kafka record decoding', () => {
  let dir: string;
  let registry: FileSchemaRegistry;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-schemas-'));
    fs.writeFileSync(path.join(dir, '7-clicks-value.avsc'), AVRO);
    fs.writeFileSync(path.join(dir, '8.proto'), PROTO);
    fs.writeFileSync(path.join(dir, 'README.txt'), 'ignored: not <id>.avsc or <id>.proto');
    registry = new FileSchemaRegistry(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('parses JSON values, and a null value (tombstone) is null in every format', async () => {
    expect(await decodeRecord('json', { value: Buffer.from('{"user_id":"u1","n":[1,2]}') })).to.deep.equal({ user_id: 'u1', n: [1, 2] });
    for (const f of ['json', 'avro', 'protobuf'] as const) expect(await decodeRecord(f, { value: null }, registry)).to.equal(null);
  });

  it('a JSON value that does not parse is a DecodeError with the parser\'s reason', async () => {
    const err = await rejection(decodeRecord('json', { value: Buffer.from('{"user_id": ') }));
    expect(err).to.be.instanceOf(DecodeError);
    expect((err as DecodeError).reason).to.match(/JSON/);
  });

  it('reads schema ids from the file names', () => {
    expect(registry.ids()).to.deep.equal([7, 8]);
  });

  it('round-trips Avro in the Confluent wire format: magic byte 0, schema id, payload', async () => {
    const encoded = await registry.encode(7, { user_id: 'u1', page: '/home', n: 3 });
    expect(encoded[0]).to.equal(0);
    expect(encoded.readInt32BE(1)).to.equal(7);
    const decoded = await decodeRecord('avro', { value: encoded }, registry);
    expect({ ...(decoded as object) }).to.deep.equal({ user_id: 'u1', page: '/home', n: 3 });
  });

  // The library parses .proto files with protobufjs' defaults: field names become
  // lowerCamelCase (user_id -> userId), as in proto3's JSON mapping.
  it('round-trips Protobuf to a plain object (camelCase names, int64 as a string, as proto3 JSON)', async () => {
    const encoded = await registry.encode(8, { userId: 'u2', page: '/cart', n: 42 });
    expect(encoded.readInt32BE(1)).to.equal(8);
    const decoded = await decodeRecord('protobuf', { value: encoded }, registry);
    expect(decoded).to.deep.equal({ userId: 'u2', page: '/cart', n: '42' });
  });

  it('an unknown schema id, a wrong magic byte, a short frame or a corrupt payload is a DecodeError', async () => {
    const good = await registry.encode(7, { user_id: 'u1', page: '/home', n: 3 });
    const unknownId = Buffer.from(good); unknownId.writeInt32BE(99, 1);
    const magic = Buffer.from(good); magic[0] = 1;
    const corrupt = Buffer.concat([good.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])]);
    const cases: Array<[Buffer, RegExp]> = [
      [unknownId, /schema id 99 is not in the schema registry folder .* \(it holds 7, 8/],
      [magic, /magic byte is 1, not 0/],
      [Buffer.from([0, 0, 0]), /too short/],
      [corrupt, /schema id 7:/],
    ];
    for (const [value, reason] of cases) {
      const err = await rejection(decodeRecord('avro', { value }, registry));
      expect(err, reason.source).to.be.instanceOf(DecodeError);
      expect((err as DecodeError).reason).to.match(reason);
    }
  });

  it('avro without a registry is a DecodeError saying it needs one', async () => {
    const err = await rejection(decodeRecord('avro', { value: Buffer.from([0, 0, 0, 0, 7, 1]) }));
    expect((err as DecodeError).reason).to.equal('format "avro" needs a schema_registry');
  });

  it('schemaRegistryAt: file URLs and folders give a file registry (cached), other strings are errors', () => {
    const byUrl = schemaRegistryAt(pathToFileURL(dir).href);
    expect(byUrl).to.be.instanceOf(FileSchemaRegistry);
    expect(schemaRegistryAt(pathToFileURL(dir).href)).to.equal(byUrl);
    expect(schemaRegistryAt(dir)).to.be.instanceOf(FileSchemaRegistry);
    expect(schemaRegistryAt('http://127.0.0.1:8081')).to.not.be.instanceOf(FileSchemaRegistry);
    expect(() => schemaRegistryAt('registry:8081')).to.throw(/neither an http\(s\) URL nor a folder/);
  });
});
