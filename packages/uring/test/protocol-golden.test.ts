import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CommandAddress, CommandWriter } from '../src/uring-commands.js';
import { decodeEvents, decodeFields, type EventVisitor } from '../src/uring-events.js';
import {
  CF_BORROWED_FD,
  CF_CLOSE,
  CF_END,
  CF_WANT_DRAIN,
  CMD_CONTINUE,
  CMD_DESTROY,
  CMD_PAUSE,
  CMD_RESUME,
  EF_BODY_FOLLOWS,
  EF_EXPECT_CONTINUE,
  EF_HTTP2,
  EF_HTTP10,
  EF_KEEP_ALIVE,
  EF_UPGRADE,
} from '../src/uring-protocol.js';

// The same scripts are encoded by crates/zephyr-uring/tests/protocol_golden.rs: both languages
// must produce (or decode) exactly these committed bytes.
const golden = (name: string): Buffer =>
  readFileSync(new URL(`../../../crates/zephyr-uring/tests/golden/${name}`, import.meta.url));

const A = { index: 3, gen: 7 };
const B = { index: 4, gen: 0xff_ffff };
const at = (conn: { index: number; gen: number }, seq: number): CommandAddress => ({ ...conn, seq });

describe('JS↔native record protocol (golden buffers shared with the Rust tests)', () => {
  it('packs the command script into the bytes the Rust decoder reads', () => {
    let packed: Buffer | undefined;
    let externals: Buffer[] | undefined;
    const writer = new CommandWriter(4096, (len, ext) => {
      packed = Buffer.from(writer.buffer.subarray(0, len));
      externals = ext;
    });
    writer.buffer.fill(0xff); // padding must be written as zeros, not left as whatever was there
    const fields = ['content-type', 'text/plain', 'set-cookie', ['a=1', 'b=22']];
    writer.respond(at(A, 0), CF_END, 200, fields, 5, 'hello', 5);
    const big = Buffer.alloc(64 * 1024, 1);
    const bigger = Buffer.alloc(96 * 1024, 2);
    writer.respond(at(A, 1), CF_WANT_DRAIN, 404, [], -1, big, big.length);
    writer.write(at(A, 1), 0, 'more', 4);
    writer.write(at(A, 1), CF_END | CF_CLOSE | CF_WANT_DRAIN, bigger, bigger.length);
    writer.sendFile(
      at(B, 2),
      CF_BORROWED_FD | CF_CLOSE,
      206,
      ['content-range', 'bytes 5-21/100'],
      9,
      2 ** 32 + 5,
      17,
    );
    writer.command(at(B, 3), CMD_CONTINUE, 0);
    writer.trailers(at(A, 1), CF_END | CF_CLOSE, ['grpc-status', '0', 'grpc-message', 'ok']);
    writer.command(at(B, 3), CMD_PAUSE, 0);
    writer.command(at(B, 3), CMD_RESUME, 0);
    writer.command(at(A, 1), CMD_DESTROY, 0);
    writer.wsAccept(at(B, 4), {
      maxPayloadBytes: 1 << 24,
      maxBackpressureBytes: 1 << 20,
      idleTimeoutMs: 120_000,
      deflate: true,
      drop: true,
      key: 'dGhlIHNhbXBsZSBub25jZQ==',
      extensions: 'permessage-deflate; client_max_window_bits',
      fields: ['sec-websocket-protocol', 'chat'],
    });
    const ws = at(B, 0);
    const message = Buffer.alloc(32 * 1024, 3);
    const published = Buffer.alloc(20 * 1024, 4);
    writer.wsSend(ws, 'hi!', 3, false, false);
    writer.wsSend(ws, message, message.length, true, true);
    writer.wsClose(ws, 4000, 'bye', 3);
    writer.wsClose(ws, 1006, '', 0, true);
    writer.wsPing(ws, Buffer.from('p'));
    writer.wsSubscribe(ws, 'room:1', 6, true);
    writer.wsSubscribe(ws, 'room:1', 6, false);
    writer.wsPublish('room:1', 6, 'hello all', 9, false);
    writer.wsPublish('t', 1, published, published.length, true);
    writer.flush();
    expect(packed).toEqual(golden('commands.bin'));
    expect(externals).toEqual([big, bigger, message, published]);
  });

  it('decodes the event records the Rust writer packs', () => {
    const ev = golden('events.bin');
    const copy = Buffer.alloc(ev.length);
    ev.copy(copy);
    const w = new Uint32Array(copy.buffer, copy.byteOffset, copy.length >>> 2);
    const seen: unknown[] = [];
    const visitor: EventVisitor = {
      onRequest(index, gen, seq, flags, method, url, table, bytes, count, inline) {
        const { names, values } = decodeFields(copy, w, table, bytes, count);
        seen.push(['request', index, gen, seq, flags, method, url, names, values, inline?.toString()]);
      },
      onBody: (index, gen, seq, chunk, last) => seen.push(['body', index, gen, seq, chunk.toString(), last]),
      onBodyError: (index, gen, seq, status) => seen.push(['bodyError', index, gen, seq, status]),
      onFileSent: (index, gen, seq, errno) => seen.push(['fileSent', index, gen, seq, errno]),
      onAborted: (index, gen) => seen.push(['aborted', index, gen]),
      onStreamAborted: (index, gen, seq) => seen.push(['streamAborted', index, gen, seq]),
      onDrained: (index, gen, seq) => seen.push(['drained', index, gen, seq]),
      onWsMessage: (index, gen, chunk, binary, last) =>
        seen.push(['wsMessage', index, gen, [...chunk], binary, last]),
      onWsClose: (index, gen, code, reason) => seen.push(['wsClose', index, gen, code, reason]),
    };
    // The Buffers the two placed messages were received into.
    const stores = [Buffer.from('placed'), Buffer.alloc(5, 9)];
    decodeEvents(copy, w, copy.length, visitor, stores);
    expect(seen).toEqual([
      ['request', 3, 7, 0, EF_KEEP_ALIVE, 'GET', '/a?b=1', ['host', 'x-long'], ['x', 'abcde'], undefined],
      ['request', 3, 7, 1, EF_HTTP10, 'POST', '/p', ['content-length'], ['3'], 'abc'],
      [
        'request',
        4,
        0xff_ffff,
        2,
        EF_KEEP_ALIVE | EF_BODY_FOLLOWS | EF_EXPECT_CONTINUE | EF_UPGRADE,
        'PUT',
        '/u',
        ['host', 'expect', 'connection', 'upgrade', 'transfer-encoding'],
        ['y', '100-continue', 'upgrade', 'websocket', 'chunked'],
        undefined,
      ],
      ['body', 4, 0xff_ffff, 2, 'hello', false],
      ['body', 4, 0xff_ffff, 2, '', true],
      ['bodyError', 4, 0xff_ffff, 2, 413],
      ['fileSent', 3, 7, 5, -32],
      ['aborted', 4, 0xff_ffff],
      ['drained', 3, 7, 6],
      ['wsMessage', 4, 0xff_ffff, [...Buffer.from('hel')], false, false],
      ['wsMessage', 4, 0xff_ffff, [...Buffer.from('lo')], false, true],
      ['wsMessage', 4, 0xff_ffff, [0, 1, 2, 3, 4], true, true],
      ['wsClose', 4, 0xff_ffff, 1000, 'done'],
      ['wsMessage', 4, 0xff_ffff, [...Buffer.from('placed')], false, true],
      ['wsMessage', 4, 0xff_ffff, [9, 9, 9, 9, 9], true, true],
      [
        'request',
        3,
        7,
        7,
        EF_KEEP_ALIVE | EF_HTTP2 | EF_BODY_FOLLOWS,
        'GET',
        '/a?b=1',
        ['host', 'x-long'],
        ['x', 'abcde'],
        undefined,
      ],
      ['streamAborted', 3, 7, 7],
    ]);
  });
});
