/**
 * A shrunk counterexample as a Mermaid sequence diagram: the callers, the
 * pool and the network as participants, every step and every ledger event
 * as a message with its virtual time, and the step in which the rule broke
 * in a red box that ends with what broke.
 *
 * The counterexample holds its steps and its ledger excerpt as text lines;
 * they are parsed here (a line of an unknown shape becomes a note, never an
 * error). Where steps and ledger events share one virtual instant, their
 * order is inferred: a ledger event goes before the first step line that
 * must come after it (a caller getting socket #S comes after that socket was
 * opened or checked), and no later than time allows. When the counterexample
 * carries `stepLedgerSeq` (for each step line, how many ledger events had
 * been recorded when it was written), the order is exact.
 *
 * @module
 */
import type { Counterexample } from "../harness/result.ts";

/** A counterexample that may also say, for each step line, how far the ledger had got. */
interface Traced extends Counterexample {
  /** For each line of `steps`, the number of ledger events recorded when it was written. */
  readonly stepLedgerSeq?: readonly number[];
}

/** A ledger event as the counterexample prints it (JSON), the fields the diagram reads. */
interface Event {
  readonly seq: number;
  readonly t: number;
  readonly type: string;
  readonly socketId?: number;
  readonly route?: string;
  readonly by?: string;
  readonly reason?: string;
  readonly stale?: boolean;
  readonly requestId?: number;
  readonly sequence?: number;
  readonly keepAlive?: { readonly timeoutMs?: number; readonly max?: number };
}

/** One line of the steps, parsed. */
interface StepLine {
  /** `step`: `N. …`; `then`: a step's continuation; `outcome`: `↳ …`. */
  readonly kind: "step" | "then" | "outcome";
  /** The step number, for `step`. */
  readonly number?: number;
  /** Virtual time, when the line gives one. */
  readonly t?: number;
  /** The text after the number and time, without the failure mark. */
  readonly text: string;
  /** The clause, when the line carries `← CLAUSE breaks in this step`. */
  readonly breaks?: string;
}

/** Callers beyond this many share one participant. */
const MAX_CALLERS = 8;
/** Notes are wrapped at about this many characters. */
const WRAP = 64;

const MARK = /\s+← (\S+) breaks in this step\s*$/;

function parseLine(raw: string): StepLine {
  let line = raw;
  const mark = MARK.exec(line);
  const breaks = mark?.[1];
  if (mark !== null) line = line.slice(0, mark.index);
  let kind: StepLine["kind"] = "step";
  let number: number | undefined;
  let rest: string;
  const numbered = /^\s*(\d+)\.\s+(.*)$/.exec(line);
  const then = /^\s+then\s+(.*)$/.exec(line);
  const outcome = /^\s*↳\s*(.*)$/.exec(line);
  if (numbered !== null) {
    number = Number(numbered[1]);
    rest = numbered[2]!;
  } else if (outcome !== null) {
    kind = "outcome";
    rest = outcome[1]!;
  } else if (then !== null) {
    kind = "then";
    rest = then[1]!;
  } else {
    kind = "outcome";
    rest = line.trim();
  }
  const timed = /^t=(\d+(?:\.\d+)?)\s+(.*)$/.exec(rest);
  return {
    kind,
    ...(number === undefined ? {} : { number }),
    ...(timed === null ? {} : { t: Number(timed[1]) }),
    text: timed === null ? rest : timed[2]!,
    ...(breaks === undefined ? {} : { breaks }),
  };
}

function parseEvent(line: string): Event | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null) return undefined;
    const e = value as Record<string, unknown>;
    if (typeof e.seq !== "number" || typeof e.t !== "number" || typeof e.type !== "string") {
      return undefined;
    }
    return value as Event;
  } catch {
    return undefined;
  }
}

/**
 * Text made safe for a Mermaid message or note: characters Mermaid reads as
 * syntax (`;` ends a statement, `#…;` is an entity, `%%` a comment) become
 * entity codes, and a line break becomes a space.
 */
function safe(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(
    /[#;%<>{}&"\\`|]/g,
    (c) => `#${c.charCodeAt(0)};`,
  ).trim() || "…";
}

/** A note's text, wrapped with `<br/>` at word boundaries. */
function wrapped(text: string): string {
  const words = text.replace(/[\r\n]+/g, " ").split(" ");
  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    if (current !== "" && current.length + word.length + 1 > WRAP) {
      lines.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  if (current !== "") lines.push(current);
  return lines.map(safe).join("<br/>");
}

/**
 * Participants, declared in the order they first matter: application,
 * callers, pool, network. Callers are written as placeholders while the
 * diagram is drawn, since how they are named depends on how many there are.
 */
class Cast {
  readonly #callers: string[] = [];
  #app = false;

  /** The participant of the caller that made acquire `id` (or send `s<id>`). */
  caller(id: string): string {
    if (!this.#callers.includes(id)) this.#callers.push(id);
    return `\uE001${id}\uE001`;
  }

  /** The application, which closes the pool and calls its maintenance. */
  get app(): string {
    this.#app = true;
    return "A";
  }

  /** The participant id of a caller, once every caller is known. */
  #id(id: string): string {
    return this.#callers.length > MAX_CALLERS ? "C" : `C${id}`;
  }

  /** The diagram's lines with every placeholder resolved. */
  resolve(lines: readonly string[]): string[] {
    const first = this.#app ? "A" : this.#callers.length > 0 ? this.#id(this.#callers[0]!) : "P";
    return lines.map((line) =>
      line.replaceAll("\uE000ALL", `${first},N`).replace(
        /\uE001(\w+)\uE001/g,
        (_, id: string) => this.#id(id),
      )
    );
  }

  /** The participant declarations. */
  declarations(): string[] {
    const lines = [];
    if (this.#app) lines.push("  participant A as application");
    if (this.#callers.length > MAX_CALLERS) {
      lines.push("  participant C as callers");
    } else {
      for (const id of this.#callers) {
        const label = id.startsWith("s") ? `send #${id.slice(1)}` : `caller #${id}`;
        lines.push(`  participant ${this.#id(id)} as ${safe(label)}`);
      }
    }
    lines.push("  participant P as pool", "  participant N as network and server");
    return lines;
  }
}

/** Builds the diagram's body, message by message. */
class Drawing {
  readonly cast = new Cast();
  readonly body: string[] = [];
  /** Which caller holds each socket, from the `got socket` lines. */
  readonly holders = new Map<number, string>();
  #indent = "  ";
  /** The caller whose release was last repeated (for `second release …`). */
  lastAgain: string | undefined;

  message(from: string, arrow: string, to: string, text: string): void {
    this.body.push(`${this.#indent}${from}${arrow}${to}: ${safe(text)}`);
  }

  /** A note over every participant (resolved when the diagram is finished). */
  noteAll(text: string): void {
    this.body.push(`${this.#indent}Note over \uE000ALL: ${wrapped(text)}`);
  }

  noteOver(who: string, text: string): void {
    this.body.push(`${this.#indent}Note over ${who}: ${wrapped(text)}`);
  }

  openBox(): void {
    this.body.push(`${this.#indent}rect rgba(255, 80, 80, 0.18)`);
    this.#indent = "    ";
  }

  closeBox(): void {
    this.#indent = "  ";
    this.body.push(`${this.#indent}end`);
  }

  holderOf(socket: number | undefined): string {
    return socket === undefined ? "P" : this.holders.get(socket) ?? "P";
  }
}

const at = (t: number | undefined) => (t === undefined ? "" : `t=${t} `);

function drawEvent(d: Drawing, e: Event): void {
  const socket = e.socketId === undefined ? "a socket" : `socket #${e.socketId}`;
  const t = at(e.t);
  switch (e.type) {
    case "ConnectionCreated":
      return d.message("P", "->>", "N", `${t}connect ${e.route ?? ""} (${socket})`);
    case "ConnectionReady":
      return d.message("N", "-->>", "P", `${t}${socket} open`);
    case "ConnectionChecked":
      return d.message("P", "->>", "N", `${t}check ${socket}: ${e.stale ? "stale" : "alive"}`);
    case "ConnectionHalfClosed":
      return d.message("N", "-->>", "P", `${t}server half-closes ${socket} (${e.reason ?? ""})`);
    case "ConnectionClosed": {
      const reason = e.reason === undefined ? "" : ` (${e.reason})`;
      if (e.by === "client") return d.message("P", "-x", "N", `${t}pool closes ${socket}${reason}`);
      if (e.by === "server") {
        return d.message("N", "-x", "P", `${t}server closes ${socket}${reason}`);
      }
      return d.message("N", "-x", "P", `${t}network ends ${socket}${reason}`);
    }
    case "RequestSent":
      return d.message(
        d.holderOf(e.socketId),
        "->>",
        "N",
        `${t}request #${e.requestId ?? "?"} on ${socket}`,
      );
    case "ResponseReceived": {
      const hint = e.keepAlive === undefined
        ? ""
        : ` (Keep-Alive${
          e.keepAlive.timeoutMs === undefined ? "" : ` timeout=${e.keepAlive.timeoutMs}ms`
        }${e.keepAlive.max === undefined ? "" : ` max=${e.keepAlive.max}`})`;
      return d.message(
        "N",
        "-->>",
        d.holderOf(e.socketId),
        `${t}response ${e.sequence ?? "?"} to request #${e.requestId ?? "?"} on ${socket}${hint}`,
      );
    }
    case "RequestFailed":
      return d.message(
        "N",
        "--x",
        d.holderOf(e.socketId),
        `${t}request #${e.requestId ?? "?"} on ${socket} failed (${e.reason ?? ""})`,
      );
    default:
      return d.noteOver("N", `${t}${e.type} ${socket}`);
  }
}

/** Draw one step line; returns the socket a caller got, if the line says so. */
function drawLine(d: Drawing, line: StepLine, prefix: string): number | undefined {
  const t = at(line.t);
  const text = line.text;
  let m: RegExpExecArray | null;
  if (line.kind === "outcome") {
    if ((m = /^acquire #(\d+) got socket #(\d+)$/.exec(text)) !== null) {
      const caller = d.cast.caller(m[1]!);
      const socket = Number(m[2]);
      d.holders.set(socket, caller);
      d.message("P", "-->>", caller, `${t}acquire #${m[1]} gets socket #${socket}`);
      return socket;
    }
    if ((m = /^acquire #(\d+) rejected \((.*)\)$/.exec(text)) !== null) {
      d.message("P", "--x", d.cast.caller(m[1]!), `${t}acquire #${m[1]} rejected (${m[2]})`);
      return undefined;
    }
    if ((m = /^send #(\d+) answered on socket #(\d+) \(response (\d+)\)$/.exec(text)) !== null) {
      d.message("P", "-->>", d.cast.caller(`s${m[1]}`), `${t}answered on socket #${m[2]}`);
      return undefined;
    }
    if ((m = /^send #(\d+) failed \((.*)\)$/.exec(text)) !== null) {
      d.message("P", "--x", d.cast.caller(`s${m[1]}`), `${t}failed (${m[2]})`);
      return undefined;
    }
    if ((m = /^release of acquire #(\d+)'s lease (accepted|failed)(?: \((.*)\))?$/.exec(text))) {
      const failed = m[2] === "failed";
      d.message(
        "P",
        failed ? "--x" : "-->>",
        d.cast.caller(m[1]!),
        `${t}release ${m[2]}${m[3] === undefined ? "" : ` (${m[3]})`}`,
      );
      return undefined;
    }
    if ((m = /^second release (accepted|refused)$/.exec(text)) !== null) {
      d.message("P", m[1] === "refused" ? "--x" : "-->>", d.lastAgain ?? "P", `${t}${text}`);
      return undefined;
    }
    if (text === "close() resolved") {
      d.message("P", "-->>", d.cast.app, `${t}close() resolved`);
      return undefined;
    }
    d.noteAll(`${t}${text}`);
    return undefined;
  }
  if ((m = /^acquire #(\d+) (\S+)(.*)$/.exec(text)) !== null) {
    d.message(d.cast.caller(m[1]!), "->>", "P", `${prefix}${t}acquire #${m[1]} ${m[2]}${m[3]}`);
  } else if ((m = /^release #(\d+)( again)? \(socket #(\d+)\)( as broken)?$/.exec(text))) {
    const caller = d.cast.caller(m[1]!);
    if (m[2] !== undefined) d.lastAgain = caller;
    d.message(
      caller,
      "->>",
      "P",
      `${prefix}${t}release socket #${m[3]}${m[2] ?? ""}${m[4] ?? ""}`,
    );
  } else if ((m = /^request on #(\d+) \(socket #(\d+)\)$/.exec(text)) !== null) {
    d.message(d.cast.caller(m[1]!), "->>", "P", `${prefix}${t}use socket #${m[2]} for a request`);
  } else if ((m = /^send #(\d+) (\S+)$/.exec(text)) !== null) {
    d.message(d.cast.caller(`s${m[1]}`), "->>", "P", `${prefix}${t}send on ${m[2]}`);
  } else if (/^(close|closeIdle|closeExpired|clear|ready)\(.*\)( twice)?$/.test(text)) {
    d.message(d.cast.app, "->>", "P", `${prefix}${t}${text}`);
  } else if (
    /^(network resets|server closes|server answers on) socket #\d+$/.test(text) ||
    /^connects to \S+: /.test(text) || /^\S+ answers with /.test(text)
  ) {
    d.noteOver("N", `${prefix}${t}${text}`);
  } else {
    d.noteAll(`${prefix}${t}${text}`);
  }
  return undefined;
}

/** The first pending event that shows socket `socket` ready to lease, at or before `t`. */
function leaseEvidence(pending: readonly Event[], socket: number, t: number): number {
  let ready = -1;
  for (let i = 0; i < pending.length; i++) {
    const e = pending[i]!;
    if (e.t > t) break;
    if (e.socketId !== socket) continue;
    if (e.type === "ConnectionChecked") return i;
    if (e.type === "ConnectionReady" && ready < 0) ready = i;
  }
  return ready;
}

/**
 * The last of the pending events of a request just made on socket `socket`:
 * its `RequestSent`, and its answer or failure when that came at the same
 * instant; -1 when the request is not among the pending events.
 */
function requestEvents(pending: readonly Event[], socket: number, t: number): number {
  const sent = pending.findIndex((e) =>
    e.type === "RequestSent" && e.socketId === socket && e.t <= t
  );
  if (sent < 0) return -1;
  const id = pending[sent]!.requestId;
  const answer = pending.findIndex((e, i) =>
    i > sent && e.t <= t && e.requestId === id && e.socketId === socket &&
    (e.type === "ResponseReceived" || e.type === "RequestFailed")
  );
  return answer < 0 ? sent : answer;
}

/**
 * Draw a counterexample as a Mermaid sequence diagram.
 *
 * @param counterexample The shrunk counterexample (its steps and ledger lines are parsed).
 * @returns The diagram's source, starting with `sequenceDiagram`, without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sequenceDiagram } from "./sequence_diagram.ts";
 * import type { Counterexample } from "../harness/result.ts";
 *
 * const diagram = sequenceDiagram({
 *   clause: "LIM-1.a",
 *   message: "2 live connections after socket #2 (ConnectionCreated) at t=0; maxTotal is 1",
 *   step: 2,
 *   steps: [
 *     "1. t=0 acquire #1 r0",
 *     "   ↳ t=0 acquire #1 got socket #1",
 *     "2. t=0 acquire #2 r0   ← LIM-1.a breaks in this step",
 *     "   ↳ t=0 acquire #2 got socket #2",
 *   ],
 *   ledger: [
 *     '{"seq":1,"t":0,"type":"ConnectionCreated","socketId":1,"route":"r0"}',
 *     '{"seq":2,"t":0,"type":"ConnectionReady","socketId":1,"route":"r0"}',
 *     '{"seq":3,"t":0,"type":"ConnectionCreated","socketId":2,"route":"r0"}',
 *   ],
 * } as unknown as Counterexample);
 * assert.match(diagram, /^sequenceDiagram\n/);
 * assert.match(diagram, /C1->>P: 1\. t=0 acquire #35;1 r0/);
 * assert.match(diagram, /rect rgba\(255, 80, 80, 0\.18\)\n {4}C2->>P: 2\. t=0 acquire #35;2 r0/);
 * assert.match(diagram, /Note over C1,N: ✗ LIM-1\.a breaks: 2 live connections/);
 * ```
 */
export function sequenceDiagram(counterexample: Counterexample): string {
  const c = counterexample as Traced;
  const what = `✗ ${(c.clause as string | undefined) ?? "the rule"} breaks: ${c.message}`;
  const d = new Drawing();
  const events = c.ledger.map(parseEvent).filter((e): e is Event => e !== undefined)
    .sort((a, b) => a.seq - b.seq);
  const pending = [...events];
  const marks = c.stepLedgerSeq !== undefined && c.stepLedgerSeq.length === c.steps.length
    ? c.stepLedgerSeq
    : undefined;
  const emitWhile = (keep: (e: Event) => boolean) => {
    while (pending.length > 0 && keep(pending[0]!)) drawEvent(d, pending.shift()!);
  };
  const emitThrough = (index: number) => {
    for (let i = 0; i <= index; i++) drawEvent(d, pending.shift()!);
  };
  const first = events[0];
  if (first !== undefined && first.seq > 1) {
    d.noteAll(`the ledger excerpt starts at its event ${first.seq}`);
  }
  let now: number | undefined;
  let boxOpen = false;
  let broke = false;
  const closeFailure = () => {
    d.noteAll(what);
    d.closeBox();
    boxOpen = false;
    broke = true;
  };
  c.steps.forEach((raw, index) => {
    const line = parseLine(raw);
    if (line.t !== undefined) now = line.t;
    // What happened on the wire before this line was written.
    if (marks !== undefined) emitWhile((e) => e.seq <= marks[index]!);
    else if (now !== undefined) emitWhile((e) => e.t < now!);
    if (line.kind === "step" && boxOpen) closeFailure();
    if (marks === undefined && line.kind === "outcome" && now !== undefined) {
      const got = /^acquire #\d+ got socket #(\d+)$/.exec(line.text);
      if (got !== null) {
        const evidence = leaseEvidence(pending, Number(got[1]), now);
        if (evidence >= 0) emitThrough(evidence);
      }
    }
    if (line.breaks !== undefined && !broke) {
      d.openBox();
      boxOpen = true;
    }
    const prefix = line.kind === "step" && line.number !== undefined ? `${line.number}. ` : "";
    drawLine(d, line, prefix);
    // A request is sent, and answered when the server answers at once, before the step goes on.
    const request = /^request on #\d+ \(socket #(\d+)\)$/.exec(line.text);
    if (marks === undefined && request !== null && now !== undefined) {
      const sent = requestEvents(pending, Number(request[1]), now);
      if (sent >= 0) emitThrough(sent);
    }
  });
  emitWhile(() => true);
  if (boxOpen) closeFailure();
  if (!broke) d.noteAll(what);
  return ["sequenceDiagram", ...d.cast.declarations(), ...d.cast.resolve(d.body)].join("\n");
}
