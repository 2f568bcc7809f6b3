/**
 * Routes the Node.js driver's sockets for chosen host names onto the
 * simulated network.
 *
 * Why a patch: the driver opens every connection in lib/cmap/connect.js
 * `makeSocket` with `net.createConnection(parseConnectOptions(options))`
 * (or `tls.connect` with TLS, off here), read from the `net` module object
 * at each call. None of its options substitutes the socket: `existingSocket`
 * is one socket for the whole pool (the pool freezes its options once and
 * spreads them into every connect, connection_pool.js `createConnection`),
 * `connectionType` only wraps a socket already made, and `lookup` still opens
 * a TCP socket. So the adapter replaces `createConnection` on the `net`
 * module object, obtained with `require("net")` as the driver's CommonJS
 * build obtains it (an ESM namespace import would be a frozen copy).
 *
 * The patch is narrow: only a host name registered here (one per pool of
 * the adapter, `<route>.pool<n>.poolcheck.invalid`, a reserved top-level
 * domain that no resolver answers) gets a simulated socket; any other call
 * goes to the original function unchanged. It is installed when the first
 * host is registered and the original is put back when the last one is
 * removed (each pool removes its hosts when it is closed).
 *
 * @module
 */
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";

type CreateConnection = (...args: unknown[]) => unknown;

const require = createRequire(import.meta.url);
const net = require("net") as { createConnection: CreateConnection };

/** Sockets by host name, for the hosts routed here. */
const routed = new Map<string, () => Duplex>();
let original: CreateConnection | undefined;

function hostOf(args: readonly unknown[]): string | undefined {
  const [options] = args;
  if (typeof options !== "object" || options === null) return undefined;
  const host = (options as { host?: unknown }).host;
  return typeof host === "string" ? host : undefined;
}

function routedCreateConnection(this: unknown, ...args: unknown[]): unknown {
  const host = hostOf(args);
  const open = host === undefined ? undefined : routed.get(host);
  return open === undefined ? original!.apply(this, args) : open();
}

/**
 * Give `host` simulated sockets: from now on `net.createConnection({ host })`
 * returns `open()`.
 *
 * @param host A host name no one else uses.
 * @param open Makes one socket.
 * @returns A function that removes the host again (idempotent); the original
 * `createConnection` is back once no host is left.
 * @throws {Error} If the host is already routed.
 */
export function routeHost(host: string, open: () => Duplex): () => void {
  if (routed.has(host)) throw new Error(`Cannot route host '${host}' as it is already routed`);
  if (original === undefined) {
    original = net.createConnection;
    net.createConnection = routedCreateConnection;
  }
  routed.set(host, open);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    routed.delete(host);
    if (routed.size === 0 && original !== undefined) {
      if (net.createConnection === routedCreateConnection) net.createConnection = original;
      original = undefined;
    }
  };
}

/** Whether `net.createConnection` is patched at the moment (for tests). */
export function routingInstalled(): boolean {
  return original !== undefined;
}

/** How many hosts are routed at the moment (for tests: pools of other tests may hold some). */
export function routedHostCount(): number {
  return routed.size;
}
