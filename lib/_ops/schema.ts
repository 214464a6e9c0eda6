// Parsing of ATen function schemas, e.g.
//   add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor
// Used at run time by the dispatcher (lib/_ops/dispatch.ts) and at build time by
// scripts/generate-ops.ts, so both read schemas the same way.

export interface SchemaArg {
  name: string;
  /** Type without alias annotations and without `?`: Tensor, int[], Scalar, ... */
  baseType: string;
  optional: boolean;
  /** int[2] -> 2: a single number stands for that many copies. */
  fixedSize?: number;
  defaultValue?: string;
  kwargOnly: boolean;
  /** The argument is written in place (Tensor(a!)). */
  mutated: boolean;
  aliasSet?: string;
}

export interface SchemaReturn {
  baseType: string;
  aliasSet?: string;
  mutated: boolean;
}

export interface Schema {
  name: string;
  overload: string;
  args: SchemaArg[];
  returns: SchemaReturn[];
  text: string;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  let inString = false;
  for (const ch of text) {
    if (ch === '"' || ch === "'") inString = !inString;
    if (!inString) {
      if (ch === '(' || ch === '[') depth++;
      else if (ch === ')' || ch === ']') depth--;
      else if (ch === ',' && depth === 0) {
        parts.push(current.trim());
        current = '';
        continue;
      }
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

const ALIAS = /\(([a-z]+)(!?)(?: -> \*)?\)/;

function parseType(raw: string): { baseType: string; optional: boolean; fixedSize?: number; mutated: boolean; aliasSet?: string } {
  const alias = ALIAS.exec(raw);
  let type = raw.replace(ALIAS, '');
  let optional = false;
  if (type.endsWith('?')) {
    optional = true;
    type = type.slice(0, -1);
  }
  let fixedSize: number | undefined;
  const sized = /^(.*)\[(\d+)\]$/.exec(type);
  if (sized) {
    type = `${sized[1]}[]`;
    fixedSize = Number(sized[2]);
  }
  return { baseType: typeNames.get(type) ?? type, optional, fixedSize, mutated: alias?.[2] === '!', aliasSet: alias?.[1] };
}

export function parseSchema(text: string): Schema {
  const open = text.indexOf('(');
  const arrow = text.lastIndexOf('->');
  const fullName = text.slice(0, open);
  const [name, overload = ''] = fullName.split('.');
  const argsText = text.slice(open + 1, text.lastIndexOf(')', arrow));
  const args: SchemaArg[] = [];
  let kwargOnly = false;
  for (const part of splitTopLevel(argsText)) {
    if (part === '*') {
      kwargOnly = true;
      continue;
    }
    const eq = part.indexOf('=');
    const decl = eq >= 0 ? part.slice(0, eq).trim() : part;
    const defaultValue = eq >= 0 ? part.slice(eq + 1).trim() : undefined;
    const space = decl.lastIndexOf(' ');
    const type = parseType(decl.slice(0, space).trim());
    args.push({ name: decl.slice(space + 1), ...type, defaultValue, kwargOnly });
  }
  let returnsText = text.slice(arrow + 2).trim();
  if (returnsText.startsWith('(')) returnsText = returnsText.slice(1, -1);
  const returns: SchemaReturn[] = splitTopLevel(returnsText).map((part) => {
    const typeText = part.includes(' ') && !part.endsWith(')') ? part.slice(0, part.lastIndexOf(' ')) : part;
    const t = parseType(typeText.trim());
    return { baseType: t.baseType, aliasSet: t.aliasSet, mutated: t.mutated };
  });
  return { name, overload, args, returns, text };
}

/** Argument base types that torch-node can pass to the native layer. */
export const SUPPORTED_ARG_TYPES = new Set([
  'Tensor', 'Tensor[]', 'Tensor?[]', 'Scalar', 'int', 'SymInt', 'int[]', 'SymInt[]', 'float', 'float[]', 'bool', 'bool[]',
  'str', 'ScalarType', 'Layout', 'Device', 'MemoryFormat', 'Generator',
]);

export const SUPPORTED_RETURN_TYPES = new Set(['Tensor', 'Tensor[]', 'int', 'SymInt', 'float', 'bool', 'Scalar', 'ScalarType', 'int[]', 'SymInt[]']);

// Each type name as the literal above: V8 compares such strings by identity, a sliced one by its
// characters (the dispatcher switches on an argument's type on every call).
const typeNames = new Map([...SUPPORTED_ARG_TYPES, ...SUPPORTED_RETURN_TYPES].map((t) => [t, t]));

/** True for overloads that the JS surface exposes (out= variants and named dimensions are left out). */
export function isExposed(schema: Schema): boolean {
  if (schema.overload === 'out' || schema.overload.endsWith('_out')) return false;
  if (schema.args.some((a) => a.kwargOnly && a.mutated)) return false;
  if (!schema.args.every((a) => SUPPORTED_ARG_TYPES.has(a.baseType))) return false;
  if (!schema.returns.every((r) => SUPPORTED_RETURN_TYPES.has(r.baseType))) return false;
  return true;
}
