// Command-line parsing for bin/datalite.mjs: GNU-style long options
// (--name value, --name=value), short aliases (-o value), boolean flags,
// repeatable options, `--` to end options and `-` as a positional (stdin).
// Every mistake is a UsageError: one line, exit status 2.

export class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

// spec: { name, positionals: [{ name, optional? }], options: { long: { type:
// "boolean" | "string" | "int", short?, choices?, repeat?, min?, max? } } }
// Returns { positionals: { name: value }, options: { camelName: value } }.
export function parseCommandLine(spec, argv) {
  const byShort = new Map();
  for (const [long, o] of Object.entries(spec.options)) if (o.short) byShort.set(o.short, long);
  const options = {};
  const rest = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositionals || arg === "-" || !arg.startsWith("-")) {
      rest.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    let long, inline;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      long = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!Object.hasOwn(spec.options, long)) throw new UsageError(`unknown option --${long} for "${spec.name}"`, spec.name);
    } else {
      const short = arg.slice(1, 2);
      long = byShort.get(short);
      if (!long) throw new UsageError(`unknown option ${arg} for "${spec.name}"`, spec.name);
      if (arg.length > 2) inline = arg.slice(2);
    }
    const o = spec.options[long];
    let value;
    if (o.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`option --${long} takes no value`, spec.name);
      value = true;
    } else {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option --${long} needs a value`, spec.name);
      value = checkValue(spec.name, long, o, value);
    }
    const key = camel(long);
    if (o.repeat) (options[key] ??= []).push(value);
    else options[key] = value;
  }
  const positionals = {};
  const wanted = spec.positionals;
  const required = wanted.filter((p) => !p.optional).length;
  if (rest.length < required) {
    const missing = wanted.slice(rest.length).filter((p) => !p.optional).map((p) => `<${p.name}>`);
    throw new UsageError(`missing ${missing.join(" ")}`, spec.name);
  }
  if (rest.length > wanted.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[wanted.length])}`, spec.name);
  wanted.forEach((p, i) => {
    if (i < rest.length) positionals[p.name] = rest[i];
  });
  return { positionals, options };
}

function checkValue(command, long, o, value) {
  if (o.type === "int") {
    if (!/^\d+$/.test(value)) throw new UsageError(`--${long} needs a whole number, got ${JSON.stringify(value)}`, command);
    const n = Number(value);
    const min = o.min ?? 0;
    const max = o.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${long} must be between ${min} and ${max}, got ${value}`, command);
    return n;
  }
  if (o.choices && !o.choices.includes(value))
    throw new UsageError(`--${long} must be one of ${o.choices.join(", ")}; got ${JSON.stringify(value)}`, command);
  return value;
}

const camel = (s) => s.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
