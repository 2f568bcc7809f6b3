import { writeFile } from "node:fs/promises";

/**
 * Write one report to its target: a file, or standard output for `-`.
 *
 * @param target The flag's value; undefined when the report was not asked for.
 * @param text The rendered report.
 * @param stdout Standard output.
 * @returns Whether the report went to standard output (the text report then stays quiet).
 */
export async function emit(
  target: string | undefined,
  text: string,
  stdout: { write(text: string): unknown },
): Promise<boolean> {
  if (target === undefined) return false;
  if (target === "-") {
    stdout.write(text);
    return true;
  }
  await writeFile(target, text);
  return false;
}
