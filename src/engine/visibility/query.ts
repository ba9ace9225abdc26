import { invalidArgument } from '../grpc/errors';

/**
 * Temporal's list filter language (the SQL-like `WorkflowType = 'x' AND StartTime > '...'`):
 * comparisons, IN, BETWEEN, STARTS_WITH, IS [NOT] NULL, AND/OR with parentheses, ORDER BY.
 */
export type Value = string | number | boolean;

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'cmp'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Value }
  | { kind: 'in'; field: string; values: Value[]; negate: boolean }
  | { kind: 'between'; field: string; low: Value; high: Value; negate: boolean }
  | { kind: 'startsWith'; field: string; prefix: string; negate: boolean }
  | { kind: 'null'; field: string; negate: boolean }
  | { kind: 'true' };

export interface Query {
  where: Expr;
  orderBy: { field: string; desc: boolean }[];
  groupBy: string[];
}

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'punct'; v: string };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const bad = (msg: string): never => {
    throw invalidArgument(`invalid query: ${msg}`);
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        s += text[j++];
      }
      if (j >= text.length) bad('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else if (c === '`') {
      const j = text.indexOf('`', i + 1);
      if (j < 0) bad('unterminated identifier');
      out.push({ t: 'id', v: text.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9-]/.test(c) && /^-?\d/.test(text.slice(i, i + 2))) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (/[=!<>]/.test(c)) {
      const m = /^(<=|>=|!=|<>|=|<|>)/.exec(text.slice(i));
      if (!m) bad(`unexpected "${c}"`);
      out.push({ t: 'op', v: (m as RegExpExecArray)[0] === '<>' ? '!=' : (m as RegExpExecArray)[0] });
      i += (m as RegExpExecArray)[0].length;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: 'punct', v: c });
      i++;
    } else {
      bad(`unexpected "${c}"`);
    }
  }
  return out;
}

export function parseQuery(text: string | null | undefined): Query {
  const toks = tokenize(text ?? '');
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const isKw = (kw: string, at = p): boolean => toks[at]?.t === 'id' && toks[at].v.toUpperCase() === kw;
  const bad = (msg: string): never => {
    throw invalidArgument(`invalid query: ${msg}`);
  };
  const expectKw = (kw: string): void => {
    if (!isKw(kw)) bad(`expected ${kw}`);
    p++;
  };
  const expectPunct = (v: string): void => {
    if (peek()?.t !== 'punct' || peek()?.v !== v) bad(`expected "${v}"`);
    p++;
  };
  const value = (): Value => {
    const t = toks[p++];
    if (!t) return bad('expected a value');
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id' && /^(true|false)$/i.test(t.v)) return t.v.toLowerCase() === 'true';
    return bad(`expected a value, got "${t.v}"`);
  };
  const field = (): string => {
    const t = toks[p++];
    if (!t || t.t !== 'id') return bad('expected a search attribute name');
    return t.v;
  };
  const primary = (): Expr => {
    if (peek()?.t === 'punct' && peek()?.v === '(') {
      p++;
      const e = or();
      expectPunct(')');
      return e;
    }
    const f = field();
    let negate = false;
    if (isKw('NOT')) {
      negate = true;
      p++;
    }
    if (isKw('IN')) {
      p++;
      expectPunct('(');
      const values = [value()];
      while (peek()?.v === ',') {
        p++;
        values.push(value());
      }
      expectPunct(')');
      return { kind: 'in', field: f, values, negate };
    }
    if (isKw('BETWEEN')) {
      p++;
      const low = value();
      expectKw('AND');
      return { kind: 'between', field: f, low, high: value(), negate };
    }
    if (isKw('STARTS_WITH')) {
      p++;
      return { kind: 'startsWith', field: f, prefix: String(value()), negate };
    }
    if (negate) bad('NOT must be followed by IN, BETWEEN or STARTS_WITH');
    if (isKw('IS')) {
      p++;
      let not = false;
      if (isKw('NOT')) {
        not = true;
        p++;
      }
      expectKw('NULL');
      return { kind: 'null', field: f, negate: not };
    }
    const op = toks[p++];
    if (!op || op.t !== 'op') return bad(`expected an operator after ${f}`);
    return { kind: 'cmp', field: f, op: op.v as '=', value: value() };
  };
  const and = (): Expr => {
    let e = primary();
    while (isKw('AND')) {
      p++;
      e = { kind: 'and', left: e, right: primary() };
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (isKw('OR')) {
      p++;
      e = { kind: 'or', left: e, right: and() };
    }
    return e;
  };
  let where: Expr = { kind: 'true' };
  if (toks.length && !isKw('ORDER') && !isKw('GROUP')) where = or();
  const orderBy: Query['orderBy'] = [];
  const groupBy: string[] = [];
  while (p < toks.length) {
    if (isKw('ORDER') && isKw('BY', p + 1)) {
      p += 2;
      do {
        if (peek()?.v === ',') p++;
        const f = field();
        let desc = false;
        if (isKw('DESC') || isKw('ASC')) desc = toks[p++].v.toUpperCase() === 'DESC';
        orderBy.push({ field: f, desc });
      } while (peek()?.v === ',');
    } else if (isKw('GROUP') && isKw('BY', p + 1)) {
      p += 2;
      groupBy.push(field());
      while (peek()?.v === ',') {
        p++;
        groupBy.push(field());
      }
    } else {
      bad(`unexpected "${toks[p].v}"`);
    }
  }
  return { where, orderBy, groupBy };
}
