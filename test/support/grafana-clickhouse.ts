// What Grafana and grafana-clickhouse-datasource (v4) do to a panel's SQL
// before ClickHouse sees it, so tests run exactly what a dashboard sends.
//
// Frontend (src/data/CHDatasource.ts, applyTemplateVariables):
//   1. `$__conditionalAll(cond, $var)` → `1=1` when the variable's current
//      value is All (`$__all`) or empty, else `cond` (innermost-last first);
//   2. template variables through templateSrv.replace with the plugin's
//      format: a multi value becomes `'a','b'` (joined, not escaped), a single
//      value is inserted raw. All without a custom all-value means every option.
// Backend (grafana-plugin-sdk-go data/sqlutil Interpolate with the plugin's
// pkg/macros/macros.go): macros longest name first, each `\$__name\b`
// followed by an optional bracketed argument list split on depth-1 commas,
// trimmed; every occurrence of the matched text replaced.
// Macros this helper does not model are left in place and make it throw.

export interface TemplateVariable {
  /** `["$__all"]` for All, the selected values, or one value for a single-value variable. */
  current: string | string[];
  /** Every option's value (what All expands to). */
  options: string[];
}

export interface QueryContext {
  from: Date;
  to: Date;
  /** The panel's interval (Grafana derives it from the range and the panel width). */
  intervalMs: number;
  variables: Record<string, TemplateVariable>;
}

const ALL = "$__all";

/** Arguments of a bracketed list at `text[open]`, and the index after its `)` (CHDatasource.getMacroArgs). */
function frontendArgs(text: string, open: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 0;
  let last = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    if (c === "," && depth === 1) {
      args.push(text.slice(last, i));
      last = i + 1;
    }
    if ((c === "(" || c === ")" || c === ",") && depth === 0) {
      args.push(text.slice(last, i));
      return { args, end: i + 1 };
    }
  }
  return undefined;
}

function applyConditionalAll(sql: string, variables: Record<string, TemplateVariable>): string {
  const macro = "$__conditionalAll(";
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const parsed = frontendArgs(sql, at + macro.length - 1);
    if (parsed?.args.length !== 2) return sql;
    const [cond, ref] = parsed.args as [string, string];
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(ref.trim())?.[0];
    const current = name === undefined ? undefined : variables[name]?.current;
    const value = current === undefined ? undefined : String(current);
    const phrase = value === "" || value === ALL ? "1=1" : cond;
    sql = sql.replace(`${macro}${cond},${ref})`, phrase);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

function replaceVariables(sql: string, variables: Record<string, TemplateVariable>): string {
  return sql.replace(/\$(\w+)|\$\{(\w+)\}/g, (match, bare: string | undefined, braced: string | undefined) => {
    const v = variables[(bare ?? braced) as string];
    if (!v) return match;
    const value = Array.isArray(v.current) && v.current.includes(ALL) ? v.options : v.current;
    return Array.isArray(value) ? `'${value.join("','")}'` : value;
  });
}

/** sqlutil.parseArgs: the bracketed list at the start of `rest`, or none; -1 when unclosed. */
function backendArgs(rest: string): { args: string[]; length: number } {
  if (!rest.startsWith("(")) return { args: [], length: 0 };
  const args: string[] = [];
  let depth = 0;
  let arg = "";
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i] as string;
    if (c === "(") {
      depth++;
      if (depth === 1) continue;
    } else if (c === ")") {
      depth--;
      if (depth === 0) {
        args.push(arg.trim());
        return { args, length: i + 1 };
      }
    } else if (c === "," && depth === 1) {
      args.push(arg.trim());
      arg = "";
      continue;
    }
    arg += c;
  }
  return { args: [], length: -1 };
}

type Macro = (ctx: QueryContext, args: string[]) => string;

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date) => `toDateTime(${seconds(d)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;
const intervalSeconds = (ctx: QueryContext) => Math.trunc(Math.max(ctx.intervalMs / 1000, 1));

function oneArg(name: string, args: string[]): string {
  if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0] as string;
}

const MACROS: Record<string, Macro> = {
  fromTime: (ctx) => dateTime(ctx.from),
  toTime: (ctx) => dateTime(ctx.to),
  fromTime_ms: (ctx) => dateTime64(ctx.from),
  toTime_ms: (ctx) => dateTime64(ctx.to),
  timeFilter: (ctx, args) => {
    const c = oneArg("timeFilter", args);
    return `${c} >= ${dateTime(ctx.from)} AND ${c} <= ${dateTime(ctx.to)}`;
  },
  timeFilter_ms: (ctx, args) => {
    const c = oneArg("timeFilter_ms", args);
    return `${c} >= ${dateTime64(ctx.from)} AND ${c} <= ${dateTime64(ctx.to)}`;
  },
  dateFilter: (ctx, args) => {
    const c = oneArg("dateFilter", args);
    return `${c} >= ${date(ctx.from)} AND ${c} <= ${date(ctx.to)}`;
  },
  timeInterval: (ctx, args) =>
    `toStartOfInterval(toDateTime(${oneArg("timeInterval", args)}), INTERVAL ${intervalSeconds(ctx)} second)`,
  timeInterval_ms: (ctx, args) =>
    `toStartOfInterval(toDateTime64(${oneArg("timeInterval_ms", args)}, 3), INTERVAL ${Math.trunc(Math.max(ctx.intervalMs, 1))} millisecond)`,
  interval_s: (ctx) => String(intervalSeconds(ctx)),
};

function applyMacros(sql: string, ctx: QueryContext): string {
  const names = Object.keys(MACROS).sort((a, b) => b.length - a.length);
  for (const name of names) {
    const macro = MACROS[name] as Macro;
    const re = new RegExp(`\\$__${name}\\b`, "g");
    const matches: { full: string; args: string[] }[] = [];
    for (const m of sql.matchAll(re)) {
      const end = (m.index ?? 0) + m[0].length;
      const { args, length } = backendArgs(sql.slice(end));
      if (length < 0) throw new Error(`$__${name}: missing close bracket`);
      matches.push({ full: sql.slice(m.index, end + length), args });
    }
    for (const { full, args } of matches) sql = sql.replaceAll(full, macro(ctx, args));
  }
  return sql;
}

/** The SQL ClickHouse receives for `rawSql` in this context; throws if anything is left unexpanded. */
export function expandPanelSql(rawSql: string, ctx: QueryContext): string {
  const sql = applyMacros(replaceVariables(applyConditionalAll(rawSql, ctx.variables), ctx.variables), ctx);
  const left = /\$\{?\w+/.exec(sql);
  if (left) throw new Error(`unexpanded ${left[0]} in:\n${sql}`);
  return sql;
}
