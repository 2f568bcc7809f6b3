import type { SimSocket } from "../net/sim_socket.ts";
import type { Route } from "../net/types.ts";

/** Options for releasing a lease. */
export interface ReleaseOptions {
  /**
   * `false` when the connection is broken or its state unknown: the pool
   * closes it instead of keeping it.
   * @default {true}
   */
  reusable?: boolean;
}

/**
 * A connection handed out by a pool until it is released. Disposable:
 * `using lease = await pool.acquire(target)` releases it at the end of the
 * scope (unless it was released already).
 */
export interface Lease extends Disposable {
  /** Unique per check-out: a connection leased twice gets two lease ids. */
  readonly id: number;
  /** Route of the connection. */
  readonly route: Route;
  /** The connection; make requests with `socket.request()`. */
  readonly socket: SimSocket;
  /**
   * Give the connection back to its pool.
   *
   * @param options Whether the connection may be reused.
   * @throws {LeaseError} If the lease was already released.
   */
  release(options?: ReleaseOptions): void;
}

/** What a lease needs from the pool that handed it out. */
export interface LeaseOwner {
  release(lease: Lease, options?: ReleaseOptions): void;
  holds(lease: Lease): boolean;
}

/** The pool's lease: forwards to its owner, which checks it. */
export class PoolLease implements Lease {
  readonly id: number;
  readonly route: Route;
  readonly socket: SimSocket;
  readonly #owner: LeaseOwner;

  /**
   * @param owner The pool.
   * @param id Lease id.
   * @param route Route of the connection.
   * @param socket The connection.
   */
  constructor(owner: LeaseOwner, id: number, route: Route, socket: SimSocket) {
    this.#owner = owner;
    this.id = id;
    this.route = route;
    this.socket = socket;
  }

  /**
   * Give the connection back to the pool that handed it out.
   *
   * @param options Whether the connection may be reused.
   * @throws {LeaseError} If the lease was already released.
   */
  release(options?: ReleaseOptions): void {
    this.#owner.release(this, options);
  }

  /** Release if still held; a lease already released is left alone. */
  [Symbol.dispose](): void {
    if (this.#owner.holds(this)) this.#owner.release(this);
  }
}
