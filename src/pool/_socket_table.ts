import type { SimSocket } from "../net/sim_socket.ts";
import type { ClosedBy, Route } from "../net/types.ts";
import type { ConnectFunction } from "./options.ts";

/** What the pool hears from a connect and from the socket it produced. */
export interface SocketListener {
  connected(connectionId: number, socket: SimSocket): void;
  connectFailed(connectionId: number, error: unknown): void;
  halfClosed(connectionId: number): void;
  closed(connectionId: number, by: ClosedBy): void;
}

interface Held {
  readonly socket: SimSocket;
  readonly unsubscribe: () => void;
}

/** The pool's sockets by connection id, and the connects still in progress. */
export class SocketTable {
  readonly #connect: ConnectFunction;
  readonly #listener: SocketListener;
  readonly #connects = new Map<number, AbortController>();
  readonly #held = new Map<number, Held>();
  readonly #observePeerClose: boolean;

  constructor(connect: ConnectFunction, listener: SocketListener, observePeerClose: boolean) {
    this.#connect = connect;
    this.#listener = listener;
    this.#observePeerClose = observePeerClose;
  }

  /** The socket of a connection, once established. */
  socket(connectionId: number): SimSocket | undefined {
    return this.#held.get(connectionId)?.socket;
  }

  /** Start a connect; its outcome is reported to the listener. */
  open(connectionId: number, route: Route): void {
    const controller = new AbortController();
    this.#connects.set(connectionId, controller);
    let connecting: Promise<SimSocket>;
    try {
      connecting = this.#connect(route, { signal: controller.signal });
    } catch (error) {
      connecting = Promise.reject(error);
    }
    connecting.then(
      (socket) => {
        this.#connects.delete(connectionId);
        this.#adopt(connectionId, socket);
        this.#listener.connected(connectionId, socket);
      },
      (error: unknown) => {
        this.#connects.delete(connectionId);
        this.#listener.connectFailed(connectionId, error);
      },
    );
  }

  /**
   * Give up a connect in progress. The signal's reason is why the pool let
   * the connection go (`"poolClosed"`, `"expired"`, …).
   */
  abort(connectionId: number, reason: string): void {
    const controller = this.#connects.get(connectionId);
    this.#connects.delete(connectionId);
    controller?.abort(reason);
  }

  /** Close a connection's socket; the pool stops listening to it first. */
  close(connectionId: number, reason: string): void {
    const held = this.#held.get(connectionId);
    this.#held.delete(connectionId);
    held?.unsubscribe();
    held?.socket.close(reason);
  }

  #adopt(connectionId: number, socket: SimSocket): void {
    const offHalfClose = this.#observePeerClose
      ? socket.onHalfClose(() => this.#listener.halfClosed(connectionId))
      : () => {};
    const offClose = socket.onClose((by) => this.#listener.closed(connectionId, by));
    const unsubscribe = () => {
      offHalfClose();
      offClose();
    };
    this.#held.set(connectionId, { socket, unsubscribe });
  }
}
