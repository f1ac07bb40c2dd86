/**
 * A small evaluator for the ARM template language expressions Bicep emits, enough to check what the
 * compiled template sets under given parameter values: literals, parameters(), variables(), if(),
 * equals(), not(), empty(), and(), or(), format(), concat(), createObject(), length(), copyIndex(),
 * union() and property/index access. Anything that only Azure knows at deployment time (reference(),
 * resourceId(), uniqueString(), subscription(), ...) evaluates to a Runtime value that remembers its
 * expression text, so tests can still say where a value comes from.
 */

export type ArmValue = string | number | boolean | null | Runtime | ArmValue[] | { [key: string]: ArmValue };

export class Runtime {
  constructor(readonly expression: string) {}
  toString(): string {
    return `<runtime:${this.expression}>`;
  }
}

export interface ArmTemplate {
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, { type: string; value?: unknown; condition?: string }>;
}

export interface ArmResource {
  type: string;
  apiVersion?: string;
  name: string;
  condition?: string | boolean;
  scope?: string;
  copy?: { name: string; count: string | number };
  properties?: Record<string, unknown> & {
    template?: ArmTemplate;
    parameters?: Record<string, { value: unknown }>;
  };
  [key: string]: unknown;
}

export class ArmContext {
  private readonly variableCache = new Map<string, ArmValue>();
  private readonly paramValues: Record<string, ArmValue>;

  constructor(readonly template: ArmTemplate, params: Record<string, ArmValue>, readonly copyIndex?: number) {
    this.paramValues = { ...params };
  }

  /** A context for a nested deployment (module), its parameters evaluated in this context. */
  module(deployment: ArmResource): ArmContext {
    const nested = deployment.properties?.template;
    if (!nested) throw new Error(`${deployment.name} is not a nested deployment`);
    const values: Record<string, ArmValue> = {};
    for (const name of Object.keys(deployment.properties?.parameters ?? {})) {
      values[name] = this.deploymentParameter(deployment, name);
    }
    return new ArmContext(nested, values);
  }

  /**
   * The value this context passes to a module parameter. Bicep writes `{ "value": ... }`, or one
   * expression that yields that object when the value is conditional (`[if(..., createObject('value', ...))]`).
   */
  deploymentParameter(deployment: ArmResource, name: string): ArmValue {
    const entry = (deployment.properties?.parameters as Record<string, unknown> | undefined)?.[name];
    if (entry === undefined) throw new Error(`${deployment.name} has no parameter ${name}`);
    const evaluated = this.evaluate(entry);
    if (evaluated instanceof Runtime) return evaluated;
    if (evaluated === null || typeof evaluated !== 'object' || Array.isArray(evaluated) || !('value' in evaluated)) {
      throw new Error(`${deployment.name}.${name} is not { value }`);
    }
    return evaluated.value;
  }

  withCopyIndex(i: number): ArmContext {
    return new ArmContext(this.template, this.paramValues, i);
  }

  parameter(name: string): ArmValue {
    if (Object.prototype.hasOwnProperty.call(this.paramValues, name)) return this.paramValues[name];
    const declared = this.template.parameters?.[name];
    if (!declared) throw new Error(`parameters('${name}') is not declared`);
    if (declared.defaultValue === undefined) throw new Error(`parameter ${name} has no value and no default`);
    const v = this.evaluate(declared.defaultValue);
    this.paramValues[name] = v;
    return v;
  }

  variable(name: string): ArmValue {
    const cached = this.variableCache.get(name);
    if (cached !== undefined) return cached;
    const raw = this.template.variables?.[name];
    if (raw === undefined) throw new Error(`variables('${name}') is not declared`);
    const v = this.evaluate(raw);
    this.variableCache.set(name, v);
    return v;
  }

  /** Evaluates a template value: strings in [brackets] are expressions, objects/arrays recursively. */
  evaluate(value: unknown): ArmValue {
    if (typeof value === 'string') return this.evaluateString(value);
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, ArmValue> = {};
      for (const [k, v] of Object.entries(value)) {
        // Property iteration: "copy": [{ name, count, input }] becomes the array property `name`.
        if (k === 'copy' && Array.isArray(v)) {
          for (const loop of v as Array<{ name: string; count: unknown; input: unknown }>) {
            const count = this.evaluate(loop.count);
            if (typeof count !== 'number') {
              out[loop.name] = new Runtime(`copy ${loop.name}`);
              continue;
            }
            out[loop.name] = Array.from({ length: count }, (_, i) => this.withCopyIndex(i).evaluate(loop.input));
          }
          continue;
        }
        out[k] = this.evaluate(v);
      }
      return out;
    }
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    throw new Error(`cannot evaluate ${String(value)}`);
  }

  evaluateString(s: string): ArmValue {
    if (!s.startsWith('[') || !s.endsWith(']')) return s;
    if (s.startsWith('[[')) return s.slice(1);
    const parser = new Parser(s.slice(1, -1), this);
    const v = parser.expression();
    parser.end();
    return v;
  }

  /** Whether a resource's condition holds (true when it has none). */
  condition(resource: { condition?: string | boolean }): boolean | Runtime {
    if (resource.condition === undefined) return true;
    const v = this.evaluate(resource.condition);
    if (v instanceof Runtime) return v;
    return v === true;
  }
}

function isRuntime(v: ArmValue): v is Runtime {
  return v instanceof Runtime;
}

function text(v: ArmValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Runtime) return v.toString();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

class Parser {
  private pos = 0;
  /** > 0 while parsing the branch of if() that is not taken: ARM does not evaluate it either. */
  private skipping = 0;
  constructor(private readonly src: string, private readonly ctx: ArmContext) {}

  end(): void {
    this.skipSpace();
    if (this.pos !== this.src.length) throw new Error(`unexpected "${this.src.slice(this.pos)}" in ${this.src}`);
  }

  expression(): ArmValue {
    this.skipSpace();
    const start = this.pos;
    let value: ArmValue;
    const c = this.src[this.pos];
    if (c === "'") value = this.stringLiteral();
    else if (c === '-' || (c >= '0' && c <= '9')) value = this.number();
    else value = this.call();
    // Accessors: .name and [expr]
    for (;;) {
      this.skipSpace();
      const a = this.src[this.pos];
      if (a === '.') {
        this.pos++;
        const name = this.identifier();
        if (this.skipping > 0) continue;
        value = isRuntime(value) ? new Runtime(this.src.slice(start, this.pos)) : member(value, name, this.src);
      } else if (a === '[') {
        this.pos++;
        const index = this.expression();
        this.expect(']');
        if (this.skipping > 0) continue;
        if (isRuntime(value) || isRuntime(index)) value = new Runtime(this.src.slice(start, this.pos));
        else value = member(value, typeof index === 'number' ? index : text(index), this.src);
      } else break;
    }
    return value;
  }

  private call(): ArmValue {
    const start = this.pos;
    const name = this.identifier();
    this.expect('(');
    if (name.toLowerCase() === 'if') return this.lazyIf(start);
    const args: ArmValue[] = [];
    this.skipSpace();
    if (this.src[this.pos] !== ')') {
      for (;;) {
        args.push(this.expression());
        this.skipSpace();
        if (this.src[this.pos] === ',') {
          this.pos++;
          continue;
        }
        break;
      }
    }
    this.expect(')');
    if (this.skipping > 0) return null;
    return this.apply(name, args, this.src.slice(start, this.pos));
  }

  /** if(condition, whenTrue, whenFalse): only the chosen branch is evaluated (ARM semantics). */
  private lazyIf(start: number): ArmValue {
    const condition = this.expression();
    const runtime = isRuntime(condition);
    this.expect(',');
    if (!runtime && condition !== true) this.skipping++;
    const whenTrue = this.expression();
    if (!runtime && condition !== true) this.skipping--;
    this.expect(',');
    if (!runtime && condition === true) this.skipping++;
    const whenFalse = this.expression();
    if (!runtime && condition === true) this.skipping--;
    this.expect(')');
    if (this.skipping > 0) return null;
    if (runtime) return new Runtime(this.src.slice(start, this.pos));
    return condition === true ? whenTrue : whenFalse;
  }

  private apply(name: string, args: ArmValue[], source: string): ArmValue {
    const anyRuntime = args.some(isRuntime);
    switch (name.toLowerCase()) {
      case 'parameters':
        return this.ctx.parameter(text(args[0]));
      case 'variables':
        return this.ctx.variable(text(args[0]));
      case 'equals':
        if (anyRuntime) return new Runtime(source);
        return JSON.stringify(args[0]) === JSON.stringify(args[1]);
      case 'not':
        if (anyRuntime) return new Runtime(source);
        return args[0] !== true;
      case 'and':
        if (anyRuntime) return new Runtime(source);
        return args.every((a) => a === true);
      case 'or':
        if (anyRuntime) return new Runtime(source);
        return args.some((a) => a === true);
      case 'empty': {
        const v = args[0];
        if (isRuntime(v)) return new Runtime(source);
        if (v === null || v === '') return true;
        if (Array.isArray(v)) return v.length === 0;
        if (typeof v === 'object') return Object.keys(v).length === 0;
        return false;
      }
      case 'length': {
        const v = args[0];
        if (isRuntime(v)) return new Runtime(source);
        if (typeof v === 'string' || Array.isArray(v)) return v.length;
        if (v !== null && typeof v === 'object') return Object.keys(v).length;
        throw new Error(`length of ${text(v)}`);
      }
      case 'format': {
        const fmt = text(args[0]);
        return fmt.replace(/\{(\d+)\}/g, (_, i: string) => text(args[Number(i) + 1]));
      }
      case 'concat':
        if (args.every(Array.isArray)) return (args as ArmValue[][]).flat();
        return args.map(text).join('');
      case 'createobject': {
        const o: Record<string, ArmValue> = {};
        for (let i = 0; i + 1 < args.length; i += 2) o[text(args[i])] = args[i + 1];
        return o;
      }
      case 'split':
        if (anyRuntime) return new Runtime(source);
        return text(args[0]).split(text(args[1]));
      case 'createarray':
        return args;
      case 'union': {
        if (anyRuntime) return new Runtime(source);
        const out: Record<string, ArmValue> = {};
        for (const a of args) Object.assign(out, a as Record<string, ArmValue>);
        return out;
      }
      case 'copyindex':
        // copyIndex(), copyIndex(offset) and copyIndex('loopName'): loops here are never nested.
        if (this.ctx.copyIndex === undefined) throw new Error('copyIndex() outside a copy loop');
        return this.ctx.copyIndex + (typeof args[0] === 'number' ? args[0] : 0);
      case 'items': {
        const v = args[0];
        if (isRuntime(v)) return new Runtime(source);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`items() of ${text(v)}`);
        return Object.keys(v)
          .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
          .map((key) => ({ key, value: v[key] }));
      }
      case 'subscriptionresourceid':
        // Only the type and names matter to tests: the subscription is shown as <subscription>.
        if (anyRuntime) return new Runtime(source);
        return `/subscriptions/<subscription>/providers/${args.map(text).join('/')}`;
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case 'string':
        return anyRuntime ? new Runtime(source) : text(args[0]);
      default:
        // reference(), resourceId(), uniqueString(), subscription(), tenant(), list*(), ...
        return new Runtime(source);
    }
  }

  private stringLiteral(): string {
    this.expect("'");
    let out = '';
    for (;;) {
      const i = this.src.indexOf("'", this.pos);
      if (i < 0) throw new Error(`unterminated string in ${this.src}`);
      out += this.src.slice(this.pos, i);
      this.pos = i + 1;
      if (this.src[this.pos] === "'") {
        out += "'";
        this.pos++;
        continue;
      }
      return out;
    }
  }

  private number(): number {
    const m = /^-?\d+/.exec(this.src.slice(this.pos));
    if (!m) throw new Error(`bad number in ${this.src}`);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private identifier(): string {
    this.skipSpace();
    const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.src.slice(this.pos));
    if (!m) throw new Error(`expected a name at "${this.src.slice(this.pos)}"`);
    this.pos += m[0].length;
    return m[0];
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.src[this.pos] !== c) throw new Error(`expected "${c}" at "${this.src.slice(this.pos)}" in ${this.src}`);
    this.pos++;
  }

  private skipSpace(): void {
    while (this.src[this.pos] === ' ') this.pos++;
  }
}

function member(value: ArmValue, key: string | number, src: string): ArmValue {
  if (Array.isArray(value) && typeof key === 'number') {
    if (key < 0 || key >= value.length) throw new Error(`index ${key} out of range in ${src}`);
    return value[key];
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Runtime)) {
    const k = String(key);
    if (!(k in value)) throw new Error(`no property ${k} in ${src}`);
    return value[k];
  }
  throw new Error(`cannot access ${String(key)} of ${text(value)} in ${src}`);
}
