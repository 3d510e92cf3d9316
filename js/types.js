// Typed inputs JS has no literal for: keywords, uuids and symbols.
// Results never contain these classes (keywords come back as ":ns/name"
// strings, uuids as strings); they exist so inputs can say what they mean.
import { DataliteError } from "./errors.js";

// Entities passed where an entity id is expected stand for their id.
export const ENTITY_ID = globalThis.Symbol.for("datalite.entityId");

export class Keyword {
  constructor(name) {
    this.name = name;  // without the leading colon
  }
  toString() {
    return ":" + this.name;
  }
  toJSON() {
    return this.toString();
  }
}

export class Uuid {
  constructor(text) {
    this.text = text.toLowerCase();
  }
  toString() {
    return this.text;
  }
  toJSON() {
    return this.text;
  }
}

export class Symbol {
  constructor(name) {
    this.name = name;
  }
  toString() {
    return this.name;
  }
}

const uuidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// kw(":color/red") or kw("color/red")
export function kw(name) {
  if (name instanceof Keyword) return name;
  if (typeof name !== "string" || name === "" || name === ":")
    throw new DataliteError("invalid-input", `kw() needs a keyword name, got ${String(name)}`);
  return new Keyword(name.startsWith(":") ? name.slice(1) : name);
}

export function uuid(text) {
  if (text instanceof Uuid) return text;
  if (typeof text !== "string" || !uuidPattern.test(text))
    throw new DataliteError("invalid-input", `uuid() needs "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", got ${String(text)}`);
  return new Uuid(text);
}

export function sym(name) {
  if (typeof name !== "string" || name === "") throw new DataliteError("invalid-input", "sym() needs a name");
  return new Symbol(name);
}
