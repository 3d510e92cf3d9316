// Progress reporting for long CLI operations, on stderr.
//
// On a terminal (stream.isTTY): one line redrawn in place, at most every
// 100 ms: a bar, percentage, done/total, rate and ETA when the total is
// known; a spinner, the amount done, rate and elapsed time when it is not.
// Otherwise (pipes, files, CI logs): plain lines, one when a phase starts,
// then at most one per `interval` ms while it runs, and one when it ends.
//
// Engine calls block the thread that makes them; updates may come from a
// callback inside such a call (restore's onProgress) or from a timer while a
// worker thread does the work: writes to stderr are synchronous for
// terminals, files and pipes on Linux, so lines appear as they are written.

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const RATE_WINDOW_MS = 5000;

export class Progress {
  #stream;
  #command;
  #tty;
  #enabled;
  #interval;
  #now;
  #phase = null;
  #lastDraw = 0;
  #lastLine = 0;
  #lineShown = false;
  #frame = 0;
  #timer = null;

  // options: { enabled, interval (ms between plain lines), now (clock, for tests), tty }
  constructor(stream, command, options = {}) {
    this.#stream = stream;
    this.#command = command;
    this.#tty = options.tty ?? stream.isTTY === true;
    this.#enabled = options.enabled !== false;
    this.#interval = options.interval ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  get tty() {
    return this.#tty;
  }

  // Starts a phase. unit: "bytes" | "datoms" | "nodes" | "" (none);
  // total: a number, or null when unknown; estimate: the total is a guess.
  start(label, { total = null, unit = "", estimate = false } = {}) {
    if (this.#phase) this.end();
    const t = this.#now();
    this.#phase = { label, total, unit, estimate, done: 0, extra: "", started: t, samples: [[t, 0]], updated: false };
    if (!this.#enabled) return;
    if (this.#tty) {
      this.#draw(true);
      // Keeps the spinner and clock moving while this thread waits (worker tasks).
      this.#timer = setInterval(() => this.#draw(false), 100);
      this.#timer.unref?.();
    } else {
      this.#line(`${label}${total != null ? ` (${estimate ? "about " : ""}${amount(total, unit)})` : ""}...`);
      this.#lastLine = t;
    }
  }

  // done: amount so far; total: a new total; extra: text shown after the rate
  update(done, { total, extra } = {}) {
    const p = this.#phase;
    if (!p) return;
    p.done = done;
    if (total !== undefined) p.total = total;
    if (extra !== undefined) p.extra = extra;
    p.updated = true;
    const t = this.#now();
    p.samples.push([t, done]);
    while (p.samples.length > 2 && t - p.samples[0][0] > RATE_WINDOW_MS) p.samples.shift();
    if (!this.#enabled) return;
    if (this.#tty) this.#draw(false);
    else if (t - this.#lastLine >= this.#interval) {
      this.#line(this.#status(t));
      this.#lastLine = t;
      p.updated = false;
    }
  }

  // Ends the phase with a summary (default: amount, time and rate).
  end(summary) {
    const p = this.#phase;
    if (!p) return;
    this.#phase = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#enabled) return;
    const secs = (this.#now() - p.started) / 1000;
    const text = summary ?? `${p.label}: done${p.done ? `, ${amount(p.done, p.unit)}` : ""} in ${seconds(secs)}` +
      (p.done && secs > 0 && p.unit ? ` (${rate(p.done / secs, p.unit)})` : "");
    if (this.#tty) {
      this.#clearLine();
      this.#stream.write(`${this.#command}: ${text}\n`);
    } else {
      this.#line(text);
    }
  }

  // Removes a half-drawn line (before an error message).
  abort() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#phase = null;
    if (this.#enabled && this.#tty) this.#clearLine();
  }

  #line(text) {
    this.#stream.write(`${this.#command}: ${text}\n`);
  }

  #clearLine() {
    if (this.#lineShown) this.#stream.write("\r\x1b[2K");
    this.#lineShown = false;
  }

  #draw(force) {
    const p = this.#phase;
    if (!p) return;
    const t = this.#now();
    if (!force && t - this.#lastDraw < 100) return;
    this.#lastDraw = t;
    this.#frame = (this.#frame + 1) % SPINNER.length;
    const columns = Math.max(40, this.#stream.columns || 80);
    const stats = this.#numbers(t);
    let text;
    if (p.total != null && p.total > 0) {
      const fraction = Math.min(1, p.done / p.total);
      const pct = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
      const barWidth = Math.max(10, Math.min(30, columns - 1 - p.label.length - pct.length - stats.length - 6));
      const filled = Math.round(fraction * barWidth);
      text = `${p.label} [${"█".repeat(filled)}${"░".repeat(barWidth - filled)}] ${pct}`;
    } else {
      text = `${p.label} ${SPINNER[this.#frame]}`;
    }
    if (stats) text += `  ${stats}`;
    if (text.length > columns - 1) text = text.slice(0, columns - 2) + "…";
    this.#stream.write(`\r\x1b[2K${text}`);
    this.#lineShown = true;
  }

  // "45% 12.0 MiB/27.0 MiB, 5.1 MiB/s, ETA 3s" (non-TTY form)
  #status(t) {
    const p = this.#phase;
    const pct = p.total ? `${Math.min(100, Math.floor((p.done / p.total) * 100))}% ` : "";
    return `${p.label} ${pct}${this.#numbers(t, ", ")}`;
  }

  // amount, rate, ETA (or elapsed time), extra
  #numbers(t, sep = "  ") {
    const p = this.#phase;
    const parts = [];
    if (p.total != null) {
      const of = `${p.estimate ? "~" : ""}${p.unit === "bytes" ? bytes(p.total) : count(p.total)}`;
      parts.push(p.unit === "bytes" ? `${bytes(p.done)}/${of}` : `${count(p.done)}/${of}${p.unit ? ` ${p.unit}` : ""}`);
    } else if (p.done || p.unit) {
      parts.push(amount(p.done, p.unit));
    }
    const r = this.#rate(t);
    if (p.unit && r !== null) parts.push(rate(r, p.unit));
    const elapsed = (t - p.started) / 1000;
    if (p.total != null) {
      // An ETA once the rate means something: a second of samples and 1% done.
      const settled = r && elapsed >= 1 && p.done >= p.total / 100;
      if (p.done >= p.total) parts.push(`${seconds(elapsed)} elapsed`);
      else parts.push(settled ? `ETA ${clock(Math.max(0, p.total - p.done) / r)}` : "ETA --");
    } else {
      parts.push(`${seconds(elapsed)} elapsed`);
    }
    if (p.extra) parts.push(p.extra);
    return parts.join(sep);
  }

  #rate(t) {
    const p = this.#phase;
    const [t0, d0] = p.samples[0];
    const [t1, d1] = p.samples[p.samples.length - 1];
    if (t1 - t0 < 200 || d1 <= d0) return p.done > 0 && t - p.started > 200 ? (p.done / (t - p.started)) * 1000 : null;
    return ((d1 - d0) / (t1 - t0)) * 1000;
  }
}

// ------------------------------------------------------------------ units

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function count(n) {
  if (n < 10000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

function amount(n, unit) {
  if (unit === "bytes") return bytes(n);
  return unit ? `${count(n)} ${unit}` : count(n);
}

function rate(perSecond, unit) {
  if (unit === "bytes") return `${bytes(Math.round(perSecond))}/s`;
  return `${count(perSecond)}/s`;
}

export function seconds(s) {
  if (s < 10) return `${s.toFixed(1)}s`;
  return clock(s);
}

function clock(s) {
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
