import fc from "fast-check";

interface SequenceContext<T> {
  readonly items: readonly fc.Value<T>[];
}

/**
 * Sequences of commands whose shrink tree depends on the sequence alone.
 *
 * `fc.commands` shrinks only the commands that ran, so its shrink tree
 * depends on which commands a run executed; fast-check replays a `path`
 * without running anything, so a printed `--seed S --path P` did not walk
 * back to the counterexample. This arbitrary draws like `fc.commands` (a
 * length, then one command per slot; the length is the longer of two
 * uniform draws, so runs are long more often than short), and shrinks without
 * looking at execution: prefixes first (a run that failed at step k fails on
 * every prefix of length ≥ k, so unexecuted tails go at once), then the
 * removal of inner blocks, then the commands themselves.
 */
class CommandSequence<T> extends fc.Arbitrary<T[]> {
  readonly #length: fc.Arbitrary<number>;
  readonly #item: fc.Arbitrary<T>;

  constructor(items: readonly fc.Arbitrary<T>[], maxCommands: number) {
    super();
    this.#length = fc.integer({ min: 0, max: maxCommands });
    this.#item = fc.oneof(...weighted(items));
  }

  generate(mrng: fc.Random): fc.Value<T[]> {
    // The longer of two lengths: most bugs need a few steps to set up the state they show in, so
    // long runs find them in fewer runs (over the broken pools, a sixth fewer to the first
    // failure; a quarter for those that need 20 runs or more), and shrinking takes the length
    // back down.
    const length = Math.max(
      this.#length.generate(mrng, undefined).value,
      this.#length.generate(mrng, undefined).value,
    );
    const items: fc.Value<T>[] = [];
    for (let i = 0; i < length; i++) items.push(this.#item.generate(mrng, undefined));
    return this.#valueOf(items);
  }

  canShrinkWithoutContext(_value: unknown): _value is T[] {
    return false;
  }

  shrink(_value: T[], context: unknown): fc.Stream<fc.Value<T[]>> {
    if (context === undefined) return fc.Stream.nil();
    const { items } = context as SequenceContext<T>;
    const n = items.length;
    if (n === 0) return fc.Stream.nil();
    const prefixes = this.#length.shrink(n, undefined).map((length) =>
      items.slice(0, length.value)
    );
    const blocks = fc.Stream.of(...Array.from({ length: n - 1 }, (_, keep) => keep)).flatMap(
      (keep) =>
        this.#length.shrink(n - 1 - keep, undefined).map((
          tail,
        ) => [...items.slice(0, keep), ...items.slice(n - (tail.value + 1))]),
    );
    const singles = fc.Stream.of(...Array.from({ length: n }, (_, at) => at)).flatMap((at) =>
      this.#item.shrink(items[at]!.value_, items[at]!.context).map((v) => [
        ...items.slice(0, at),
        v,
        ...items.slice(at + 1),
      ])
    );
    return prefixes.join(blocks, singles).map((shrunk) => this.#valueOf(shrunk));
  }

  #valueOf(items: readonly fc.Value<T>[]): fc.Value<T[]> {
    const context: SequenceContext<T> = { items };
    return new fc.Value(items.map((item) => item.value_), context);
  }
}

/**
 * The items as `fc.oneof` entries, each run of one arbitrary repeated in a
 * row made one entry weighted by its length. `fc.oneof` draws an integer
 * below the total weight and takes the entry it falls in, so the draws and
 * their shrinks are those of the repeated list; the entries are a fraction
 * of the items (about 100 for a reference run, weighted by repetition), which
 * the arbitrary is built from at every run and walks at every command drawn.
 */
function weighted<T>(items: readonly fc.Arbitrary<T>[]): fc.WeightedArbitrary<T>[] {
  const entries: fc.WeightedArbitrary<T>[] = [];
  for (const arbitrary of items) {
    const last = entries[entries.length - 1];
    if (last !== undefined && last.arbitrary === arbitrary) last.weight++;
    else entries.push({ arbitrary, weight: 1 });
  }
  return entries;
}

/**
 * An arbitrary of command sequences (at most `maxCommands` long) that a
 * fast-check `path` replays exactly.
 *
 * @param items One arbitrary per command kind (repeat one to weight it).
 * @param maxCommands Longest sequence.
 * @returns The arbitrary.
 */
export function commandSequence<T>(
  items: readonly fc.Arbitrary<T>[],
  maxCommands: number,
): fc.Arbitrary<T[]> {
  return new CommandSequence(items, maxCommands);
}
