// Which credential columns a SQL statement reads. Not a SQL parser: a lexer
// (comments, string literals, `backtick` identifiers, MariaDB's executable
// `/*!40001 ... */` comments) and a scan for
//   - the tables after FROM / JOIN (with `db.` qualifiers and aliases), and
//   - references to a column (`password`, `m.password`, `db.t.password`) or
//     to all columns (`*`, `t.*`; not `COUNT(*)`),
// in statements that read (contain SELECT, or HANDLER ... READ). A configured
// column `[db.]table.column` is read when its table is in a FROM/JOIN list and
// the column (or `*`) is referenced anywhere in the statement, so
// `SELECT username FROM mailbox WHERE password = ...` counts too (it can test
// password hashes). Text inside string literals and comments never counts.

export interface CredColumn {
  db: string | undefined;
  table: string;
  column: string;
}

export interface ColumnRead {
  db: string | undefined;
  table: string;
  column: string;
}

/** `[db.]table.column` → CredColumn (lower case), or undefined. */
export function parseCredColumn(s: string): CredColumn | undefined {
  const parts = s.toLowerCase().split(".");
  if (parts.some((p) => p.length === 0 || p.length > 64)) return undefined;
  if (parts.length === 2) return { db: undefined, table: parts[0] as string, column: parts[1] as string };
  if (parts.length === 3) return { db: parts[0], table: parts[1] as string, column: parts[2] as string };
  return undefined;
}

type TokKind = "w" | "s" | "p";
interface Tok {
  k: TokKind;
  /** Lower-cased identifier, or the punctuation character. */
  v: string;
}

const MAX_TOKENS = 8192;
const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

function lex(sql: string): Tok[] {
  const out: Tok[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n && out.length < MAX_TOKENS) {
    const c = sql[i] as string;
    if (c === " " || c === "\n" || c === "\t" || c === "\r") {
      i++;
    } else if (c === "#" || (c === "-" && sql[i + 1] === "-" && (sql[i + 2] === " " || sql[i + 2] === "\t"))) {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      if (sql[i + 2] === "!") {
        // Executable comment: its content is SQL; the closing */ is skipped below.
        i += 3;
        while (i < n && sql[i] !== undefined && /[0-9]/.test(sql[i] as string)) i++;
      } else {
        const end = sql.indexOf("*/", i + 2);
        i = end === -1 ? n : end + 2;
      }
    } else if (c === "*" && sql[i + 1] === "/") {
      i += 2;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n) {
        const d = sql[i];
        if (d === "\\") i += 2;
        else if (d === c && sql[i + 1] === c) i += 2;
        else if (d === c) break;
        else i++;
      }
      i++;
      out.push({ k: "s", v: "" });
    } else if (c === "`") {
      let v = "";
      i++;
      while (i < n) {
        const d = sql[i];
        if (d === "`" && sql[i + 1] === "`") {
          v += "`";
          i += 2;
        } else if (d === "`") break;
        else {
          v += d;
          i++;
        }
      }
      i++;
      out.push({ k: "w", v: v.toLowerCase() });
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(sql[j] as string)) j++;
      out.push({ k: "w", v: sql.slice(i, j).toLowerCase() });
      i = j;
    } else {
      out.push({ k: "p", v: c });
      i++;
    }
  }
  return out;
}

// Words that end a table reference list (so they are not taken for an alias).
const CLAUSE_WORDS = new Set([
  "where",
  "join",
  "inner",
  "left",
  "right",
  "outer",
  "cross",
  "natural",
  "straight_join",
  "on",
  "using",
  "group",
  "order",
  "limit",
  "having",
  "union",
  "for",
  "lock",
  "into",
  "procedure",
  "window",
  "use",
  "ignore",
  "force",
  "partition",
  "set",
  "select",
  "from",
  "as",
  "read",
  "offset",
  "fetch",
  "except",
  "intersect",
  "returning",
]);

interface TableRef {
  db: string | undefined;
  table: string;
  alias: string | undefined;
}

interface ColRef {
  qualifier: string | undefined;
  /** Column name, or "*" for all columns. */
  column: string;
}

function scan(toks: Tok[]): { reads: boolean; tables: TableRef[]; cols: ColRef[] } {
  const tables: TableRef[] = [];
  const cols: ColRef[] = [];
  let reads = false;
  let handler = false;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Tok;
    if (t.k === "w" && t.v === "select") reads = true;
    if (t.k === "w" && t.v === "handler") handler = true;
    if (handler && t.k === "w" && t.v === "read") reads = true;
    if (t.k === "w" && (t.v === "from" || t.v === "join" || t.v === "straight_join" || (handler && i === 1))) {
      // Table references: name[.name] [[AS] alias] [, ...]
      let j = t.v === "from" || t.v === "join" || t.v === "straight_join" ? i + 1 : i;
      for (;;) {
        const a = toks[j];
        if (a === undefined || a.k !== "w" || CLAUSE_WORDS.has(a.v)) break;
        let db: string | undefined;
        let table = a.v;
        j++;
        if (toks[j]?.v === "." && toks[j + 1]?.k === "w") {
          db = table;
          table = (toks[j + 1] as Tok).v;
          j += 2;
        }
        let alias: string | undefined;
        if (toks[j]?.k === "w" && toks[j]?.v === "as") j++;
        const al = toks[j];
        if (al !== undefined && al.k === "w" && !CLAUSE_WORDS.has(al.v)) {
          alias = al.v;
          j++;
        }
        tables.push({ db, table, alias });
        if (toks[j]?.v !== ",") break;
        j++;
      }
      // HANDLER t READ returns whole rows.
      if (handler && t.v !== "from") cols.push({ qualifier: undefined, column: "*" });
      i = Math.max(i, j - 1);
      continue;
    }
    if (t.k === "p" && t.v === "*") {
      const prev = toks[i - 1];
      if (prev?.v === "(") continue; // COUNT(*)
      if (prev?.v === ".") continue; // handled with its qualifier below
      // Multiplication has an operand on each side; a select-list star does not.
      if (prev !== undefined && (prev.k === "s" || (prev.k === "w" && !isStarLead(prev.v)) || prev.v === ")")) continue;
      cols.push({ qualifier: undefined, column: "*" });
      continue;
    }
    if (t.k === "w") {
      // An identifier chain a[.b[.c]] or a.*, taken whole.
      const chain = [t.v];
      let j = i + 1;
      let star = false;
      while (toks[j]?.v === "." && toks[j + 1] !== undefined) {
        const nx = toks[j + 1] as Tok;
        if (nx.k === "w") chain.push(nx.v);
        else if (nx.v === "*") star = true;
        else break;
        j += 2;
        if (star) break;
      }
      if (star) cols.push({ qualifier: chain[chain.length - 1], column: "*" });
      else if (chain.length === 1) cols.push({ qualifier: undefined, column: t.v });
      else cols.push({ qualifier: chain[chain.length - 2], column: chain[chain.length - 1] as string });
      i = j - 1;
    }
  }
  return { reads, tables, cols };
}

// Words a select-list `*` can follow (SELECT and its modifiers).
const STAR_LEADS = new Set([
  "select",
  "distinct",
  "distinctrow",
  "all",
  "sql_no_cache",
  "sql_cache",
  "high_priority",
  "straight_join",
  "sql_calc_found_rows",
  "sql_small_result",
  "sql_big_result",
  "sql_buffer_result",
]);

function isStarLead(w: string): boolean {
  return STAR_LEADS.has(w);
}

/**
 * The configured credential columns `sql` reads (first match per configured
 * column), with the database from the statement's qualifier or `defaultDb`.
 */
export function credentialReads(
  sql: string,
  defaultDb: string | undefined,
  columns: readonly CredColumn[],
): ColumnRead[] {
  const { reads, tables, cols } = scan(lex(sql));
  if (!reads || tables.length === 0) return [];
  const out: ColumnRead[] = [];
  const dflt = defaultDb === undefined || defaultDb.length === 0 ? undefined : defaultDb.toLowerCase();
  for (const want of columns) {
    for (const ref of tables) {
      if (ref.table !== want.table) continue;
      const db = ref.db ?? dflt;
      if (want.db !== undefined && db !== want.db) continue;
      const names = new Set([ref.table, ...(ref.alias !== undefined ? [ref.alias] : [])]);
      const hit = cols.some(
        (c) => (c.column === want.column || c.column === "*") && (c.qualifier === undefined || names.has(c.qualifier)),
      );
      if (hit) {
        out.push({ db, table: want.table, column: want.column });
        break;
      }
    }
  }
  return out;
}
