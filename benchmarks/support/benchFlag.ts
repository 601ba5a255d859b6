/**
 * A numeric command-line flag of a benchmark: the value after `--<name>`, or `fallback`.
 *
 * @example
 * const SECONDS = benchFlag("seconds", 3); // tsx benchmarks/append.bench.ts --seconds 1
 */
export function benchFlag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}
