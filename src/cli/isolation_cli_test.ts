import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "./mod.ts";
import { output } from "./_test_util.ts";

const ENDLESS_LOOP = fileURLToPath(
  new URL("../../fixtures/endless_loop_adapter.ts", import.meta.url),
);
/**
 * The fixture's loop never ends, so its detection is certain; a run is
 * declared stuck 5 s after its step stopped moving (a 2 s watchdog plus the
 * least margin), where a normal step takes microseconds.
 */
const LONG = { timeout: 120_000 };

describe("poolcheck CLI, isolated", () => {
  test(
    "a pool stuck in synchronous code fails LIV-1, and its replay line finds it again",
    LONG,
    async () => {
      const stdout = output();
      const code = await runCli(
        ["--adapter", ENDLESS_LOOP, "--quick", "--seed", "4", "--watchdog-ms", "2000", "--quiet"],
        { stdout, stderr: output() },
      );
      assert.equal(code, 1);
      assert.match(stdout.text, /^broken-endless-loop: FAILED/);
      assert.match(
        stdout.text,
        /FAIL {2}LIV-1 .*\n {4}the pool never yielded: step \d+ \(`acquire\(.*`\) ran synchronously/,
      );
      const replay = /replay: poolcheck (.*)/.exec(stdout.text)![1]!.split(" ");
      assert.deepEqual(replay.slice(0, 2), ["--adapter", ENDLESS_LOOP]);
      assert.ok(replay.includes("--path") && replay.includes("LIV-1"), replay.join(" "));
      const again = output();
      assert.equal(
        await runCli([...replay, "--watchdog-ms", "2000", "--quiet"], {
          stdout: again,
          stderr: output(),
        }),
        1,
      );
      const message = (text: string) => /the pool never yielded: .*/.exec(text)?.[0];
      assert.equal(message(again.text), message(stdout.text));
    },
  );

  test("bad --watchdog-ms values are usage errors", async () => {
    const stderr = output();
    assert.equal(
      await runCli(["--adapter", ENDLESS_LOOP, "--watchdog-ms", "0"], { stdout: output(), stderr }),
      2,
    );
    assert.match(
      stderr.text,
      /'--watchdog-ms' must be an integer of at least 1: current value is 0/,
    );
  });
});
