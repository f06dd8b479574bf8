/**
 * Is a record's value JSON, without building it? The jsonl sink writes a value's bytes
 * as received, so it only needs to know that they are one JSON text (RFC 8259, what
 * JSON.parse accepts) on one line. JSON.parse answered that too, but it allocated a
 * string and the whole object tree per record only to throw them away: about a quarter
 * of the extract's CPU time and much of its garbage collection (bench/kafka.ts). This
 * scan reads the bytes once and allocates nothing.
 *
 * It is never the last word on a rejection: a value it does not pass as ONE_LINE goes
 * to JSON.parse, which names the error for the dead-letter topic (or, for a value that is
 * JSON but spans lines or is not valid UTF-8, lets the record be re-serialised). So it
 * must never pass a value that JSON.parse would reject; test/unit/kafka-json-check.test.ts
 * compares the two on generated and mutated texts.
 */
import { isUtf8 } from 'node:buffer';

/** Not one JSON text (JSON.parse will say why). */
export const NOT_JSON = 0;
/** One JSON text in valid UTF-8 with no line break: its bytes can be a jsonl line's value as they are. */
export const ONE_LINE = 1;
/** JSON, but with a line break (whitespace between tokens) or invalid UTF-8 inside a string: re-serialise it. */
export const REWRITE = 2;
export type JsonCheck = typeof NOT_JSON | typeof ONE_LINE | typeof REWRITE;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OBJECT = 1;
const ARRAY = 2;

// Byte classes, looked up once per byte of a string (the bulk of a record).
const STRING_PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) STRING_PLAIN[c] = 1;
STRING_PLAIN[QUOTE] = 0;
STRING_PLAIN[BACKSLASH] = 0;
const ESCAPED = new Uint8Array(256); // the characters allowed after a backslash, \u apart
for (const ch of '"\\/bfnrt') ESCAPED[ch.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const ch of '0123456789abcdefABCDEF') HEX[ch.charCodeAt(0)] = 1;

/** Open containers of the scan in progress (OBJECT or ARRAY); grown for deeper values. */
let stack = new Uint8Array(64);
// The scan's state, module-level so that a check allocates nothing (no closures per call).
let b: Uint8Array = new Uint8Array(0);
let n = 0;
let lineBreak = false;
let highBytes = false;

export function checkJson(value: Uint8Array): JsonCheck {
  b = value;
  n = value.length;
  lineBreak = false;
  highBytes = false;
  try {
    return scan();
  } finally {
    b = EMPTY; // do not keep the last record's bytes alive
  }
}

const EMPTY = new Uint8Array(0);

// Each turn reads one value (after a key's colon, an array's comma, or at the start),
// then the commas and closing brackets after it, up to where the next value starts.
function scan(): JsonCheck {
  let i = 0;
  let depth = 0;
  for (;;) {
    i = skip(i);
    if (i >= n) return NOT_JSON;
    const c = b[i]!;
    if (c === 0x7b || c === 0x5b) { // { or [
      i = skip(i + 1);
      if (i < n && b[i] === (c === 0x7b ? 0x7d : 0x5d)) { i++; } else {
        if (depth === stack.length) { const deeper = new Uint8Array(depth * 2); deeper.set(stack); stack = deeper; }
        stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
        if (c === 0x7b) { i = key(i); if (i < 0) return NOT_JSON; }
        continue;
      }
    } else if (c === QUOTE) i = string(i);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) i = number(i);
    else if (c === 0x74) i = literal(i, TRUE);
    else if (c === 0x66) i = literal(i, FALSE);
    else if (c === 0x6e) i = literal(i, NULL);
    else return NOT_JSON;
    if (i < 0) return NOT_JSON;

    // After a value: close what ends here, then either the next value or the end.
    let next = false;
    while (!next) {
      i = skip(i);
      if (depth === 0) {
        if (i !== n) return NOT_JSON;
        if (highBytes && !isUtf8(b)) return REWRITE;
        return lineBreak ? REWRITE : ONE_LINE;
      }
      if (i >= n) return NOT_JSON;
      const top = stack[depth - 1];
      const d = b[i]!;
      if (d === 0x2c) { // ,
        i++;
        if (top === OBJECT) { i = key(skip(i)); if (i < 0) return NOT_JSON; }
        next = true;
      } else if (d === (top === OBJECT ? 0x7d : 0x5d)) { i++; depth--; } else return NOT_JSON;
    }
  }
}

/** Whitespace as JSON allows it (space, tab, LF, CR); returns the next index. */
function skip(at: number): number {
  while (at < n) {
    const c = b[at]!;
    if (c === 0x20 || c === 0x09) at++;
    else if (c === 0x0a || c === 0x0d) { lineBreak = true; at++; } else break;
  }
  return at;
}

/** A string from its opening quote; returns the index after its closing quote, or -1. */
function string(at: number): number {
  at++;
  for (;;) {
    if (at >= n) return -1;
    const c = b[at++]!;
    if (STRING_PLAIN[c] === 1) continue;
    if (c === QUOTE) return at;
    if (c === BACKSLASH) {
      if (at >= n) return -1;
      const e = b[at++]!;
      if (ESCAPED[e] === 1) continue;
      if (e !== 0x75 || at + 4 > n) return -1; // \u and four hex digits
      if (HEX[b[at]!]! & HEX[b[at + 1]!]! & HEX[b[at + 2]!]! & HEX[b[at + 3]!]!) { at += 4; continue; }
      return -1;
    }
    if (c < 0x20) return -1; // a raw control character (a line break among them)
    highBytes = true; // UTF-8, checked once at the end
  }
}

/** A member's key and its colon, from the key's opening quote; returns where its value starts, or -1. */
function key(at: number): number {
  if (at >= n || b[at] !== QUOTE) return -1;
  at = string(at);
  if (at < 0) return -1;
  at = skip(at);
  return at < n && b[at] === 0x3a ? at + 1 : -1;
}

function digits(at: number): number {
  while (at < n && b[at]! >= 0x30 && b[at]! <= 0x39) at++;
  return at;
}

/** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; returns the index after it, or -1. */
function number(at: number): number {
  if (b[at] === 0x2d) at++;
  if (at >= n) return -1;
  if (b[at] === 0x30) at++;
  else if (b[at]! >= 0x31 && b[at]! <= 0x39) at = digits(at + 1);
  else return -1;
  if (at < n && b[at] === 0x2e) {
    const from = at + 1;
    at = digits(from);
    if (at === from) return -1;
  }
  if (at < n && (b[at] === 0x65 || b[at] === 0x45)) {
    at++;
    if (at < n && (b[at] === 0x2b || b[at] === 0x2d)) at++;
    const from = at;
    at = digits(from);
    if (at === from) return -1;
  }
  return at;
}

function literal(at: number, word: readonly number[]): number {
  if (at + word.length > n) return -1;
  for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return -1;
  return at + word.length;
}

const TRUE = [0x74, 0x72, 0x75, 0x65] as const;
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65] as const;
const NULL = [0x6e, 0x75, 0x6c, 0x6c] as const;
