/**
 * The Python methods templates call on builtin values: str (`ds.replace('-', '')`,
 * `'a b'.split()`), dict (`params.get('k', 'd')`, `.items()`) and list (`.index(x)`).
 * JavaScript's own methods differ (String.replace replaces once, split() without a
 * separator does not split), so these follow Python and win over the JS ones.
 */
import { TemplateError } from './errors.ts';
import { bindArgs, splitArgs } from './pyargs.ts';
import { MISSING } from './protocol.ts';
import { pyStr } from './pyvalue.ts';

type Fn = (...args: unknown[]) => unknown;

function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === null || sep === undefined) {
    const parts: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (maxsplit >= 0 && parts.length === maxsplit) {
        parts.push(rest.replace(/\s+$/, ''));
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        parts.push(rest);
        break;
      }
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return parts;
  }
  const by = String(sep);
  if (by === '') throw new TemplateError('split(): empty separator');
  const all = s.split(by);
  if (maxsplit < 0 || all.length <= maxsplit + 1) return all;
  return [...all.slice(0, maxsplit), all.slice(maxsplit).join(by)];
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === null || chars === undefined ? null : String(chars);
  const strip = (c: string): boolean => (set === null ? /\s/.test(c) : set.includes(c));
  let start = 0;
  let end = s.length;
  if (left) while (start < end && strip(s[start] as string)) start++;
  if (right) while (end > start && strip(s[end - 1] as string)) end--;
  return s.slice(start, end);
}

/** `'{} and {name}'.format(a, name=b)`, the common subset. */
function pyFormat(s: string, args: readonly unknown[]): string {
  const { positional, keywords } = splitArgs(args);
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const name = field ?? '';
    if (name === '') return pyStr(positional[auto++]);
    if (/^\d+$/.test(name)) return pyStr(positional[Number(name)]);
    if (!(name in keywords)) throw new TemplateError(`format(): no value for '{${name}}'`);
    return pyStr(keywords[name]);
  });
}

function affixTest(s: string, value: unknown, test: (x: string) => boolean): boolean {
  return Array.isArray(value) ? value.some((v) => test(String(v))) : test(String(value));
}

export function stringMethod(s: string, name: string): unknown {
  const methods: Record<string, Fn> = {
    upper: () => s.toUpperCase(),
    lower: () => s.toLowerCase(),
    title: () => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, pre: string, c: string) => pre + c.toUpperCase()),
    capitalize: () => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
    strip: (...a) => stripChars(s, bindArgs('strip', a, [['chars', null]]).chars, true, true),
    lstrip: (...a) => stripChars(s, bindArgs('lstrip', a, [['chars', null]]).chars, true, false),
    rstrip: (...a) => stripChars(s, bindArgs('rstrip', a, [['chars', null]]).chars, false, true),
    split: (...a) => {
      const b = bindArgs('split', a, [['sep', null], ['maxsplit', -1]]);
      return pySplit(s, b.sep, Number(b.maxsplit));
    },
    replace: (...a) => {
      const b = bindArgs('replace', a, ['old', 'new', ['count', -1]]);
      const parts = s.split(String(b.old));
      const count = Number(b.count);
      if (count < 0 || parts.length <= count + 1) return parts.join(String(b.new));
      return parts.slice(0, count + 1).join(String(b.new)) + String(b.old) + parts.slice(count + 1).join(String(b.old));
    },
    startswith: (...a) => affixTest(s, bindArgs('startswith', a, ['prefix']).prefix, (p) => s.startsWith(p)),
    endswith: (...a) => affixTest(s, bindArgs('endswith', a, ['suffix']).suffix, (p) => s.endsWith(p)),
    join: (...a) => {
      const items = bindArgs('join', a, ['iterable']).iterable;
      return (Array.isArray(items) ? items : [...String(items)]).map(pyStr).join(s);
    },
    zfill: (...a) => {
      const width = Number(bindArgs('zfill', a, ['width']).width);
      const sign = /^[+-]/.test(s) ? (s[0] as string) : '';
      return sign + s.slice(sign.length).padStart(width - sign.length, '0');
    },
    find: (...a) => s.indexOf(String(bindArgs('find', a, ['sub']).sub)),
    count: (...a) => s.split(String(bindArgs('count', a, ['sub']).sub)).length - 1,
    isdigit: () => /^\d+$/.test(s),
    format: (...a) => pyFormat(s, a),
  };
  if (Object.prototype.hasOwnProperty.call(methods, name)) return methods[name];
  return MISSING;
}

export function dictMethod(obj: Record<string, unknown>, name: string): unknown {
  switch (name) {
    case 'get':
      return (...a: unknown[]) => {
        const b = bindArgs('get', a, ['key', ['default', null]]);
        const key = String(b.key);
        return Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined ? obj[key] : b.default;
      };
    case 'items': return () => Object.entries(obj);
    case 'keys': return () => Object.keys(obj);
    case 'values': return () => Object.values(obj);
    default: return MISSING;
  }
}

export function listMethod(list: readonly unknown[], name: string): unknown {
  switch (name) {
    case 'index':
      return (...a: unknown[]) => {
        const i = list.indexOf(bindArgs('index', a, ['value']).value);
        if (i < 0) throw new TemplateError('list.index(x): x not in list');
        return i;
      };
    case 'count': return (...a: unknown[]) => list.filter((v) => v === bindArgs('count', a, ['value']).value).length;
    default: return MISSING;
  }
}
