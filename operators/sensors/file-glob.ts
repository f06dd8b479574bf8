/**
 * The part of Python's glob that FileSensor relies on (Node 20 has no fs.glob):
 * `*`, `?` and `[...]`/`[!...]` within one path segment; names starting with "." match
 * only a pattern segment that starts with "." too; `**` spans any number of directories
 * when `recursive`, otherwise it is a plain `*`. Matches are yielded lazily, so a sensor
 * stops at the first one that counts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const MAGIC = /[*?[]/;

export function hasMagic(p: string): boolean {
  return MAGIC.test(p);
}

/** fnmatch-style segment pattern → anchored RegExp. */
export function segmentRegex(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) { out += '\\['; continue; }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

async function isDir(p: string): Promise<boolean> {
  try { return (await fs.stat(p)).isDirectory(); } catch { return false; }
}

async function exists(p: string): Promise<boolean> {
  try { await fs.lstat(p); return true; } catch { return false; }
}

async function listDir(dir: string): Promise<string[]> {
  try { return await fs.readdir(dir); } catch { return []; }
}

/** `dir` itself and every directory below it (not following into hidden ones, like Python). */
async function* selfAndSubdirs(dir: string): AsyncGenerator<string> {
  yield dir;
  for (const name of await listDir(dir)) {
    if (name.startsWith('.')) continue;
    const child = path.join(dir, name);
    if (await isDir(child)) yield* selfAndSubdirs(child);
  }
}

/** Paths matching `pattern` (absolute or relative to the process's directory). */
export async function* glob(pattern: string, recursive: boolean): AsyncGenerator<string> {
  if (!hasMagic(pattern)) {
    if (await exists(pattern)) yield pattern;
    return;
  }
  const root = path.parse(pattern).root;
  const segments = pattern.slice(root.length).split(/[\\/]+/).filter((s) => s !== '');
  yield* walk(root || '.', segments, recursive, root === '');
}

async function* walk(dir: string, segments: string[], recursive: boolean, relative: boolean): AsyncGenerator<string> {
  const [segment, ...rest] = segments;
  const join = (name: string) => (relative && dir === '.' ? name : path.join(dir, name));
  if (segment === undefined) { yield dir; return; }
  if (segment === '**' && recursive) {
    for await (const sub of selfAndSubdirs(dir)) {
      if (rest.length === 0) {
        // A trailing "**" matches every file and directory below (not the start itself).
        if (sub !== dir) yield sub;
        for (const name of await listDir(sub)) {
          const p = path.join(sub, name);
          if (!name.startsWith('.') && !(await isDir(p))) yield p;
        }
      } else {
        yield* walk(sub, rest, recursive, relative);
      }
    }
    return;
  }
  if (!hasMagic(segment)) {
    const next = join(segment);
    if (rest.length === 0) { if (await exists(next)) yield next; return; }
    if (await isDir(next)) yield* walk(next, rest, recursive, relative);
    return;
  }
  const re = segmentRegex(segment === '**' ? '*' : segment);
  const hiddenOk = segment.startsWith('.');
  for (const name of (await listDir(dir)).sort()) {
    if (name.startsWith('.') && !hiddenOk) continue;
    if (!re.test(name)) continue;
    const next = join(name);
    if (rest.length === 0) yield next;
    else if (await isDir(next)) yield* walk(next, rest, recursive, relative);
  }
}
