import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CmapExpectedEvent } from "./format.ts";
import { compareEvents, mismatch, type ObservedEvent, observedEvent } from "./match.ts";

function seen(type: ObservedEvent["type"], fields: Record<string, unknown> = {}): ObservedEvent {
  return { type, t: 0, fields: { address: "r0", ...fields } };
}

describe("CMAP event matching", () => {
  test('42 and "42" match any value that exists, and only one that exists', () => {
    assert.equal(mismatch({ a: 42, b: "42" }, { a: 1, b: "x" }), undefined);
    assert.equal(mismatch({ a: 42 }, {}), "'a': expected any value, observed nothing");
    assert.equal(mismatch({ a: "42" }, { a: null }), "'a': expected any value, observed null");
  });

  test("compares only the fields given, nested objects and arrays by their given parts", () => {
    assert.equal(mismatch({ o: { x: 1 } }, { o: { x: 1, y: 2 }, z: 3 }), undefined);
    assert.equal(mismatch({ o: { x: 1 } }, { o: { x: 2 } }), "'o.x': expected 1, observed 2");
    assert.equal(mismatch([1, 42], [1, 5, 9]), undefined);
    assert.equal(mismatch({ l: [1] }, { l: 1 }), "'l': expected an array, observed 1");
    assert.equal(mismatch({ n: 1 }, { n: "1" }), `'n': expected 1, observed "1"`);
  });

  test("maps the kit's notices onto CMAP's names, ids and reasons", () => {
    assert.deepEqual(observedEvent({ type: "PoolCleared" }, 5, "r0"), {
      type: "ConnectionPoolCleared",
      t: 5,
      fields: { address: "r0" },
    });
    assert.deepEqual(
      observedEvent(
        { type: "ConnectionCheckOutFailed", route: "r0", reason: "poolCleared" },
        0,
        "r0",
      )
        .fields,
      { address: "r0", reason: "connectionError" },
    );
    const closed = observedEvent(
      { type: "ConnectionClosed", route: "r0", socketId: 3, reason: "destroyed" },
      0,
      "r0",
      { destroyed: "poolClosed" },
    );
    assert.deepEqual(closed.fields, { address: "r0", connectionId: 3, reason: "poolClosed" });
    const extra = { type: "ConnectionReady", socketId: 1, duration: 7 } as const;
    assert.deepEqual(observedEvent(extra, 0, "r0").fields, {
      address: "r0",
      connectionId: 1,
      duration: 7,
    });
  });

  const expected: CmapExpectedEvent[] = [
    { type: "ConnectionCheckedOut", connectionId: 1 },
    { type: "ConnectionCheckedIn", connectionId: 1 },
  ];

  test("passes the expected events in order, ignored types left out", () => {
    const observed = [
      seen("ConnectionCreated"),
      seen("ConnectionCheckedOut", { connectionId: 1 }),
      seen("ConnectionCheckedIn", { connectionId: 1 }),
    ];
    assert.deepEqual(compareEvents(expected, observed, ["ConnectionCreated"]), { kind: "match" });
  });

  test("names the first event that differs, with its index, the expectation and the observation", () => {
    const observed = [
      seen("ConnectionCheckedOut", { connectionId: 2 }),
      seen("ConnectionCheckedIn", { connectionId: 2 }),
    ];
    assert.deepEqual(compareEvents(expected, observed, []), {
      kind: "difference",
      index: 0,
      text:
        `event 1 of 2 expected: expected ConnectionCheckedOut {"connectionId":1}, observed ConnectionCheckedOut {"address":"r0","connectionId":2} at t=0 ms ('connectionId': expected 1, observed 2)`,
    });
  });

  test("reports a missing event", () => {
    const observed = [seen("ConnectionCheckedOut", { connectionId: 1 })];
    const outcome = compareEvents(expected, observed, []);
    assert.equal(outcome.kind, "difference");
    assert.match(
      (outcome as { text: string }).text,
      /^event 2 of 2 expected missing: expected ConnectionCheckedIn \{"connectionId":1\}, observed nothing/,
    );
  });

  test("reports an extra event after the expected ones, unless extra events are allowed", () => {
    const observed = [
      seen("ConnectionCheckedOut", { connectionId: 1 }),
      seen("ConnectionCheckedIn", { connectionId: 1 }),
      seen("ConnectionClosed", { connectionId: 1, reason: "stale" }),
    ];
    assert.deepEqual(compareEvents(expected, observed, []), {
      kind: "difference",
      index: 2,
      text:
        `extra event 3 (2 expected): observed ConnectionClosed {"address":"r0","connectionId":1,"reason":"stale"} at t=0 ms`,
    });
    assert.deepEqual(compareEvents(expected, observed, [], { allowExtraEvents: true }), {
      kind: "match",
    });
    assert.equal(compareEvents([], observed, []).kind, "difference");
  });

  test("sets aside a field no observed event carries, and names it", () => {
    const observed = [seen("ConnectionCheckedOut", { connectionId: 1 })];
    assert.deepEqual(
      compareEvents(
        [{ type: "ConnectionCheckedOut", connectionId: 1, duration: 42 }],
        observed,
        [],
      ),
      { kind: "unreported", fields: ["duration"] },
    );
    // Set aside, the field does not hide a difference elsewhere.
    assert.equal(
      compareEvents([{ type: "ConnectionCheckedOut", connectionId: 2, duration: 42 }], observed, [])
        .kind,
      "difference",
    );
  });
});
