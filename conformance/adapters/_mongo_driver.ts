/**
 * The parts of the MongoDB Node.js driver (the `mongodb` package, 7.9) the
 * adapter drives, loaded from the package's CommonJS build and typed here
 * (the driver ships declarations for its public API only; these classes are
 * `@internal`). The package declares no `exports` map, so its `lib/` files
 * can be required by path on Node, Deno and Bun alike, and `require` gives
 * the very module instances the driver itself uses.
 *
 * @module
 */
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { EventEmitter } from "node:events";
import type { Document } from "bson";

const require = createRequire(import.meta.url);

/** A driver connection (lib/cmap/connection.js `Connection`), as the adapter uses it. */
export interface MongoConnection {
  /** The pool's number for it (1, 2, …). */
  readonly id: number;
  /** The socket it reads and writes. */
  readonly socket: Duplex;
  /** The pool generation it was created in. */
  readonly generation: number;
  /** Set once the connection has failed or been destroyed. */
  readonly closed: boolean;
  /** Run one command and return the reply document. */
  command(ns: unknown, command: Document, options: Document): Promise<Document>;
  /** Destroy the socket and mark the connection closed. */
  destroy(): void;
}

/** lib/cmap/connection_pool.js `ConnectionPool`, as the adapter uses it. */
export interface MongoConnectionPool extends EventEmitter {
  readonly address: string;
  readonly generation: number;
  readonly totalConnectionCount: number;
  readonly availableConnectionCount: number;
  readonly pendingConnectionCount: number;
  readonly currentCheckedOutCount: number;
  readonly waitQueueSize: number;
  checkOut(options: { timeoutContext: unknown }): Promise<MongoConnection>;
  checkIn(connection: MongoConnection): void;
  clear(options?: { interruptInUseConnections?: boolean }): void;
  ready(): void;
  close(): void;
}

/** What `new ConnectionPool(server, options)` reads of its `Server`. */
export interface ServerStandIn {
  readonly topology: {
    readonly client: {
      readonly mongoLogger: undefined;
      readonly s: { readonly authProviders: unknown };
      readonly options: { readonly metadata: Promise<Document> };
    };
  };
  readonly description: { readonly error: Error | null };
  handleError(error: unknown): void;
}

/** The driver's classes and helpers the adapter needs. */
export interface MongoDriver {
  readonly ConnectionPool: new (server: ServerStandIn, options: Document) => MongoConnectionPool;
  readonly Connection: new (stream: Duplex, options: Document) => MongoConnection;
  readonly HostAddress: { fromHostPort(host: string, port: number): unknown };
  readonly TimeoutContext: { create(options: Document): unknown };
  readonly MongoClientAuthProviders: new () => unknown;
  readonly MongoNetworkError: new (message: string) => Error;
  readonly makeClientMetadata: (
    driverInfo: readonly Document[],
    options: { runtime: Promise<unknown> },
  ) => Promise<Document>;
  readonly resolveRuntimeAdapters: (options: Document) => Promise<unknown>;
  readonly ns: (namespace: string) => unknown;
  readonly version: string;
}

function lib(path: string): Record<string, unknown> {
  return require(`mongodb/lib/${path}`) as Record<string, unknown>;
}

/** The driver, loaded once. */
export const mongo: MongoDriver = {
  ConnectionPool: lib("cmap/connection_pool.js").ConnectionPool as MongoDriver["ConnectionPool"],
  Connection: lib("cmap/connection.js").Connection as MongoDriver["Connection"],
  HostAddress: lib("utils.js").HostAddress as MongoDriver["HostAddress"],
  ns: lib("utils.js").ns as MongoDriver["ns"],
  TimeoutContext: lib("timeout.js").TimeoutContext as MongoDriver["TimeoutContext"],
  MongoClientAuthProviders: lib("mongo_client_auth_providers.js")
    .MongoClientAuthProviders as MongoDriver["MongoClientAuthProviders"],
  MongoNetworkError: lib("error.js").MongoNetworkError as MongoDriver["MongoNetworkError"],
  makeClientMetadata: lib("cmap/handshake/client_metadata.js")
    .makeClientMetadata as MongoDriver["makeClientMetadata"],
  resolveRuntimeAdapters: lib("runtime_adapters.js")
    .resolveRuntimeAdapters as MongoDriver["resolveRuntimeAdapters"],
  version: (require("mongodb/package.json") as { version: string }).version,
};
