import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { referenceAdapter } from "../../conformance/reference/adapter.ts";
import { caseArbitrary } from "./case.ts";
import { AcquireCommand, FAULT_KINDS, optionalKinds } from "./commands/mod.ts";
import { setupLine } from "./setup_line.ts";

describe("swarm testing", () => {
  const cases = fc.sample(caseArbitrary(referenceAdapter, 20), { seed: 3, numRuns: 400 });

  test("each case draws its kinds: each optional kind in about half of the cases", () => {
    for (const kind of optionalKinds(referenceAdapter.supports)) {
      const share = cases.filter((c) => c.setup.kinds!.includes(kind)).length / cases.length;
      assert.ok(share > 0.4 && share < 0.6, `${kind} in ${share} of the cases`);
    }
  });

  test("some cases disturb the pool with no fault at all, and say so in their setup", () => {
    const calm = cases.filter((c) => !c.setup.kinds!.some((k) => FAULT_KINDS.includes(k)));
    assert.ok(calm.length > 0);
    assert.ok(calm.every((c) => !c.setup.faults));
    assert.ok(cases.filter((c) => c.setup.faults).length > calm.length);
  });

  test("the setup line names the kinds a case drew", () => {
    const setup = cases.find((c) => c.setup.kinds!.length === 2)!.setup;
    assert.ok(setupLine(setup).endsWith(`; kinds ${setup.kinds!.join(", ")}`));
    const none = cases.find((c) => c.setup.kinds!.length === 0)?.setup;
    if (none !== undefined) assert.match(setupLine(none), /; kinds none$/);
  });

  test("the same seed draws the same cases; without swarm no kinds are drawn", () => {
    const again = fc.sample(caseArbitrary(referenceAdapter, 20), { seed: 3, numRuns: 400 });
    const text = (c: (typeof cases)[number]) =>
      `${JSON.stringify(c.setup)} ${[...c.commands].join(";")}`;
    assert.deepEqual(again.map(text), cases.map(text));
    const classic = fc.sample(caseArbitrary(referenceAdapter, 20, { swarm: false }), {
      seed: 3,
      numRuns: 20,
    });
    assert.ok(classic.every((c) => c.setup.kinds === undefined));
  });

  test("a failure that needs no optional kind shrinks to a case that draws none", () => {
    const result = fc.check(
      fc.property(
        caseArbitrary(referenceAdapter, 30),
        (c) => ![...c.commands].some((command) => command instanceof AcquireCommand),
      ),
      { seed: 5 },
    );
    assert.equal(result.failed, true);
    const [shrunk] = result.counterexample!;
    assert.deepEqual(shrunk.setup.kinds, []);
    assert.equal([...shrunk.commands].length, 1);
  });
});
