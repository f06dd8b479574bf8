/**
 * decodeRecord: JSON, and Avro / Protobuf in the Confluent wire format through the real
 * @kafkajs/confluent-schema-registry, with schemas served from files (the issue's
 * fallback: no Confluent-compatible registry can be installed on this machine).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avro from 'avsc';
import { expect } from 'chai';
import protobuf from 'protobufjs';
import { DecodeError, decodeRecord, readMessageIndexes } from '../../operators/kafka/decode.ts';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { FileSchemaRegistry, RegistryUnavailableError, schemaRegistryAt } from '../../operators/kafka/schema-registry.ts';

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
    expect(decoded).to.deep.equal({ user_id: 'u1', page: '/home', n: 3 });
    expect(Object.getPrototypeOf(decoded), 'a plain object, not avsc\'s record class').to.equal(Object.prototype);
  });

  // .proto files are parsed with protobufjs' defaults, as the library does: field names
  // become lowerCamelCase (user_id -> userId), as in proto3's JSON mapping. The library's
  // encode writes no message-index list; such values still decode (as message 0).
  it('round-trips Protobuf through the library\'s encode to a plain object (camelCase names, int64 as a string)', async () => {
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
      [Buffer.from([0, 0, 0, 0, 8, 0]), /schema id 8: it is a PROTOBUF schema, not an Avro one/],
    ];
    for (const [value, reason] of cases) {
      const err = await rejection(decodeRecord('avro', { value }, registry));
      expect(err, reason.source).to.be.instanceOf(DecodeError);
      expect((err as DecodeError).reason).to.match(reason);
    }
  });

  it('reads the Protobuf message-index list: short [0], written out, nested; no list (the library\'s encode) is [0]', () => {
    const read = (...bytes: number[]) => readMessageIndexes(Buffer.from([0, 0, 0, 0, 1, ...bytes]), 5);
    expect(read(0x00, 0x0a)).to.deep.equal({ path: [0], next: 6 });
    expect(read(0x02, 0x00, 0x0a)).to.deep.equal({ path: [0], next: 7 });
    expect(read(0x02, 0x02)).to.deep.equal({ path: [1], next: 7 });
    expect(read(0x06, 0x04, 0x00, 0x02)).to.deep.equal({ path: [2, 0, 1], next: 9 });
    expect(read(0x02, 0x80, 0x01)).to.deep.equal({ path: [64], next: 8 }); // a two-byte varint
    expect(read(0x0a, 0x02)).to.deep.equal({ path: [0], next: 5 }); // a field tag: no list
    expect(read()).to.deep.equal({ path: [0], next: 5 }); // nothing: the library's encoding of an all-defaults message
    const reasons: Array<[number[], RegExp]> = [
      [[0x01], /negative length/], [[0x02, 0x03], /negative message index -2/],
      [[0x04, 0x02], /runs past the end/], [[0x02, 0xff, 0xff, 0xff, 0xff, 0xff], /longer than 5 bytes/],
    ];
    for (const [bytes, reason] of reasons) {
      expect(() => read(...bytes), reason.source).to.throw(DecodeError).with.property('reason').that.matches(reason);
    }
  });

  describe('Protobuf in Confluent\'s wire format, with the orders schema of test/fixtures/kafka-schemas', () => {
    const fixtures = path.resolve(import.meta.dirname, '../fixtures/kafka-schemas');
    const root = protobuf.parse(fs.readFileSync(path.join(fixtures, '3-orders-value.proto'), 'utf8')).root;
    const framed = (indexes: number[], payload: Uint8Array) => {
      const header = Buffer.from([0, 0, 0, 0, 3]);
      const list = indexes.length === 1 && indexes[0] === 0 ? [0] : [indexes.length, ...indexes].map((i) => i * 2);
      return Buffer.concat([header, Buffer.from(list), Buffer.from(payload)]);
    };
    let orders: FileSchemaRegistry;
    before(() => { orders = new FileSchemaRegistry(fixtures); });

    it('a file that starts with an enum; its second message; a nested one', async () => {
      const order = root.lookupType('shop.v1.Order').encode({ id: 'o1', totalCents: 12, status: 2, coupon: 'C' }).finish();
      expect(await decodeRecord('protobuf', { value: framed([0], order) }, orders))
        .to.deep.equal({ id: 'o1', totalCents: '12', status: 'PAID', lines: [], note: '', coupon: 'C' });
      const refund = root.lookupType('shop.v1.Refund').encode({ orderId: 'o1', amountCents: 3 }).finish();
      expect(await decodeRecord('protobuf', { value: framed([1], refund) }, orders)).to.deep.equal({ orderId: 'o1', amountCents: '3' });
      const line = root.lookupType('shop.v1.Order.Line').encode({ sku: 's', qty: 2 }).finish();
      expect(await decodeRecord('protobuf', { value: framed([0, 0], line) }, orders)).to.deep.equal({ sku: 's', qty: 2 });
    });

    it('a message with every field at its default (an empty payload) decodes, defaults written out, unset optional absent', async () => {
      expect(await decodeRecord('protobuf', { value: framed([0], new Uint8Array()) }, orders))
        .to.deep.equal({ id: '', totalCents: '0', status: 'STATUS_UNKNOWN', lines: [], note: '' });
    });

    // The cut string is the case protobufjs gets wrong on a Buffer (it returns the string cut short).
  it('an index past the file\'s messages, an Avro id, a payload cut in a string: DecodeErrors that say which', async () => {
      const cases: Array<[Buffer, RegExp]> = [
        [framed([2], new Uint8Array()), /message index 2 does not exist \(the file has 2 messages there\)/],
        [framed([0, 1], new Uint8Array()), /message index 0\.1 does not exist \(message Order has 1 message there\)/],
        [Buffer.from([0, 0, 0, 0, 1, 0x02, 0x75]), /schema id 1: it is an AVRO schema, not a Protobuf one/],
        [framed([0], root.lookupType('shop.v1.Order').encode({ id: 'a long order id' }).finish().subarray(0, 6)), /message shop\.v1\.Order: index out of range/],
      ];
      for (const [value, reason] of cases) {
        const err = await rejection(decodeRecord('protobuf', { value }, orders));
        expect(err, reason.source).to.be.instanceOf(DecodeError);
        expect((err as DecodeError).reason).to.match(reason);
      }
    });

    it('Avro bytes and fixed come out as base64, records as plain objects', async () => {
      const v2 = avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(fixtures, '2-clicks-value.avsc'), 'utf8')) as avro.Schema);
      const click = { user_id: 'u', page: '/', n: 1, referrer: null, tags: ['t'], device: 'MOBILE', payload: Buffer.from([0, 1, 254]) };
      const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), v2.toBuffer(click)]);
      expect(await decodeRecord('avro', { value }, orders)).to.deep.equal({ ...click, payload: 'AAH+' });
    });
  });

  // A registry that cannot be asked must fail the batch (the task retries from its checkpoint),
  // not send good records to the DLQ; only "no such schema" makes a record poison.
  it('an HTTP registry: 404 is a poison record (DecodeError); refused, 5xx: RegistryUnavailableError', async () => {
    const server = http.createServer((req, res) => {
      const notFound = req.url?.endsWith('/ids/404');
      res.writeHead(notFound ? 404 : 500, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(notFound ? { error_code: 40403, message: 'Schema 404 not found' } : { error_code: 50001, message: 'store unavailable' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answering = new SchemaRegistry({ host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, retry: { retries: 0 } });
      const refused = new SchemaRegistry({ host: 'http://127.0.0.1:1', retry: { retries: 0 } });
      const framed = (id: number) => {
        const value = Buffer.from([0, 0, 0, 0, 0, 0, 2]);
        value.writeInt32BE(id, 1);
        return value;
      };
      for (const format of ['avro', 'protobuf'] as const) {
        const missing = await rejection(decodeRecord(format, { value: framed(404) }, answering));
        expect(missing, format).to.be.instanceOf(DecodeError);
        expect((missing as DecodeError).reason).to.match(/^schema id 404: .*Schema 404 not found/);
        for (const [registry, reason] of [[answering, /store unavailable/], [refused, /ECONNREFUSED/]] as const) {
          const err = await rejection(decodeRecord(format, { value: framed(500) }, registry));
          expect(err, `${format}: ${reason.source}`).to.be.instanceOf(RegistryUnavailableError);
          expect(err.message).to.match(reason);
        }
      }
    } finally {
      server.close();
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
