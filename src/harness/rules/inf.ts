import type { LedgerEvent, Route, SocketId } from "../../net/types.ts";
import { defineRule, type Rule } from "../rule.ts";
import { sendOrder, type SendRecord, sentBefore } from "../observations.ts";
import { closedByPoolBeforeClose, HalfCloses, LiveCount, RequestTimeoutCloses } from "./_live.ts";

/** INF-1: outstanding requests per connection never exceed maxInFlight. */
export const inf1 = defineRule({
  id: "INF-1",
  group: "INF",
  title:
    "Outstanding requests per connection never exceed maxInFlight, on one connection per route or as many as declared",
  rationale:
    "The in-flight limit bounds the memory and the reordering window a broker must handle; requests beyond it must queue in the client, not on the wire. It bounds them only if the client keeps to its connections per destination: one for Kafka's Java client, or as many as the pool declares (kafkajs keeps a second per broker for Fetch); one more, opened while another is still connecting or beside a full one, adds a window the broker receives and splits the order the caller relies on.",
  source:
    "Kafka NetworkClient (max.in.flight.requests.per.connection, default 5; one connection per node, ClusterConnectionStates); kafkajs ConnectionPool (two connections per broker, Fetch on the second)",
  needs: ["multiplexed"],
  clauses: {
    a: "outstanding requests per connection never exceed maxInFlight",
    b: "a route has at most one live connection (connecting or open), or the pool's declared connectionsPerRoute, or its drawn maxPerRoute",
  },
  start(run) {
    const max = run.setup.config.maxInFlight ?? Infinity;
    const inFlight = new Map<SocketId, number>();
    const live = new LiveCount();
    // One per route, as Kafka's NetworkClient keeps, unless the pool declares more
    // (kafkajs: one for Fetch, one for everything else) or draws a per-route limit.
    const declared = run.supports.connectionsPerRoute ?? 1;
    const perRoute = (route: Route) =>
      run.supports.capabilities.includes("maxPerRoute") ? run.limitOf(route) : declared;
    return {
      step({ ledger }) {
        for (const event of ledger) {
          live.apply(event);
          if (live.of(event.route) > perRoute(event.route)) {
            return {
              clause: "b",
              detail: `${
                live.of(event.route)
              } live connections to ${event.route} after socket #${event.socketId} (${event.type}) at t=${event.t}; a multiplexed pool keeps ${
                perRoute(event.route)
              }`,
            };
          }
          const n = inFlight.get(event.socketId) ?? 0;
          if (event.type === "RequestSent") inFlight.set(event.socketId, n + 1);
          else if (event.type === "ResponseReceived" || event.type === "RequestFailed") {
            inFlight.set(event.socketId, n - 1);
          }
          if ((inFlight.get(event.socketId) ?? 0) > max) {
            return {
              clause: "a",
              detail: `socket #${event.socketId} had ${
                n + 1
              } requests in flight at t=${event.t}; maxInFlight is ${max}`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** INF-2: responses reach callers in send order per connection. */
export const inf2 = defineRule({
  id: "INF-2",
  group: "INF",
  title: "Responses reach callers in send order per connection",
  rationale:
    'On a multiplexed connection responses are matched to requests by position; delivering them out of order hands a caller someone else\'s answer. A send that a pool retries (policies.backoff scope "operation") is a new request at each attempt: it takes its place in send order when its last attempt started, after every send made before that.',
  source: "Kafka NetworkClient (InFlightRequests, responses in order per connection)",
  needs: ["multiplexed"],
  clauses: {
    a: "responses reach callers in send order per connection",
  },
  start() {
    const last = new Map<
      SocketId,
      { seq: number; order: readonly [number, number]; sequence: number }
    >();
    return {
      step({ callers }) {
        for (const event of callers) {
          if (event.kind !== "send-resolved") continue;
          const { socketId, seq, sequence } = event.send;
          const order = sendOrder(event.send);
          const before = last.get(socketId!);
          if (
            before !== undefined &&
            (sentBefore(order, before.order) || sequence! < before.sequence)
          ) {
            return {
              clause: "a",
              detail:
                `send #${seq} got response ${sequence} of socket #${socketId} after send #${before.seq} got response ${before.sequence}`,
            };
          }
          last.set(socketId!, { seq, order, sequence: sequence! });
        }
        return undefined;
      },
    };
  },
});

/** INF-3: on disconnect every in-flight request fails exactly once, oldest first. */
export const inf3 = defineRule({
  id: "INF-3",
  group: "INF",
  title: "On disconnect every in-flight request fails exactly once, oldest first",
  // A disconnect is the network's or the server's doing (reset, peer close);
  // the client's own close() is judged by CLS-1 and CLS-2.
  rationale:
    'When a connection drops, callers must learn that their requests failed, so they can retry; a lost failure hangs a caller forever, and failing out of order breaks idempotent-producer sequencing. A pool that abandons a request at its request timeout (policies.requestTimeout onTimeout "abandon", kafkajs) has failed its caller by then and left the request on the wire: its later failure there is owed to no one (TMO-5 judges that the caller was told). A send that a pool retries takes its place in send order when its last attempt started.',
  source: "Kafka NetworkClient.processDisconnection (fails in-flight requests oldest first)",
  needs: ["multiplexed"],
  clauses: {
    a: "in-flight requests fail oldest first",
    b: "every request that failed on the wire fails its caller",
  },
  start(run) {
    // A pool that abandons a request at its timeout (kafkajs) has failed its caller by then
    // (TMO-5.c) and left it on the wire: its later failure there is told to no one.
    const timeout = run.supports.policies.requestTimeout?.onTimeout === "abandon"
      ? run.setup.config.requestTimeoutMs
      : undefined;
    const sentAt = new Map<number, number>();
    const abandoned = (event: LedgerEvent & { type: "RequestFailed" }) => {
      const t = sentAt.get(event.requestId);
      return timeout !== undefined && t !== undefined && event.t > t + timeout;
    };
    return {
      step({ ledger, callers }) {
        const failed = new Map<Route, number>();
        for (const event of ledger) {
          if (timeout !== undefined) {
            if (event.type === "RequestSent") sentAt.set(event.requestId, event.t);
            else if (event.type === "ResponseReceived") sentAt.delete(event.requestId);
          }
          if (
            event.type === "RequestFailed" && event.reason !== "client-closed" && !abandoned(event)
          ) {
            failed.set(event.route, (failed.get(event.route) ?? 0) + 1);
          }
          if (event.type === "RequestFailed") sentAt.delete(event.requestId);
        }
        if (failed.size === 0) return undefined;
        const rejected = new Map<Route, SendRecord[]>();
        for (const event of callers) {
          if (event.kind !== "send-rejected" || !failed.has(event.send.route)) continue;
          const list = rejected.get(event.send.route) ?? [];
          const previous = list.at(-1);
          if (previous !== undefined && sentBefore(sendOrder(event.send), sendOrder(previous))) {
            return {
              clause: "a",
              detail:
                `send #${event.send.seq} failed after the newer send #${previous.seq} on ${event.send.route}`,
            };
          }
          list.push(event.send);
          rejected.set(event.send.route, list);
        }
        for (const [route, count] of failed) {
          const got = rejected.get(route)?.length ?? 0;
          const pending = run.sends.filter((s) =>
            s.route === route && s.status === "pending"
          ).length;
          if (got < count && pending > 0) {
            return {
              clause: "b",
              detail:
                `${count} requests on ${route} failed on the wire but only ${got} callers were told; ${pending} sends still pending`,
            };
          }
        }
        return undefined;
      },
    };
  },
});

/** INF-4: the client does not close a multiplexed connection under the requests in flight on it. */
export const inf4 = defineRule({
  id: "INF-4",
  group: "INF",
  title:
    "A multiplexed connection with requests in flight is not closed by the client, except by close() or an interrupting clear",
  rationale:
    "Every caller with a request in flight on a multiplexed connection is using it at once: closing it fails all of them, and each must retry a request the broker may already have carried out (a Produce without idempotence is then written twice). A client closes such a connection only when it must: at close(), after a clear({ interruptInUseConnections: true }) for the connections from before it, or when a request on it times out (Kafka's request.timeout.ms, for a pool that declares it disconnects on a request timeout; TMO-5 judges when). Closes by the server or the network are theirs and are judged by INF-3; a client's answer to the server's half-close is not judged; closes with nothing in flight are TMO-4's to judge. The multiplexed counterpart of LSE-6.",
  source:
    "Kafka NetworkClient (a connection with in-flight requests is disconnected when one of them exceeds request.timeout.ms, handleTimedOutRequests, or on close); kafkajs Connection (fails its in-flight requests when its socket ends, errors or a request times out)",
  needs: ["multiplexed"],
  clauses: {
    a: "no connection with requests in flight is closed by the client before close(), but on a request timeout when it disconnects on one",
  },
  start(run) {
    const halfClosed = new HalfCloses();
    // Requests failed by the client's own close, per socket.
    const failedByClose = new Map<SocketId, number>();
    // Sockets the client closed on a request that had reached its request timeout.
    const timedOut = new RequestTimeoutCloses(run);
    return {
      step({ ledger }) {
        halfClosed.fold(ledger);
        timedOut.fold(ledger);
        for (const event of ledger) {
          const id = event.socketId;
          if (event.type === "RequestFailed" && event.reason === "client-closed") {
            failedByClose.set(id, (failedByClose.get(id) ?? 0) + 1);
            continue;
          }
          if (event.type !== "ConnectionClosed") continue;
          const inFlight = failedByClose.get(id) ?? 0;
          if (inFlight === 0 || !closedByPoolBeforeClose(run, event, halfClosed)) continue;
          if (timedOut.has(id)) continue;
          return {
            clause: "a",
            detail:
              `the pool closed socket #${id} (${event.route}) at t=${event.t} with ${inFlight} request${
                inFlight === 1 ? "" : "s"
              } in flight (reason: ${event.reason})`,
          };
        }
        return undefined;
      },
    };
  },
});

/** The INF group. */
export const INF_RULES: readonly Rule[] = [inf1, inf2, inf3, inf4];
