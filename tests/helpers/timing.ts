/**
 * The median time of each piece of work, measured in turns: one of each per round, after a
 * round that warms them up. Tests compare a query against a baseline from the same run; in
 * turns, a busy moment on a loaded machine weighs on the work and its baseline alike, where
 * measured one after the other the load could change between them.
 */
export async function mediansInTurns<K extends string>(work: Record<K, () => Promise<unknown>>, rounds: number): Promise<Record<K, number>> {
  const names = Object.keys(work) as K[]
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>
  for (let round = -1; round < rounds; round++) {
    for (const name of names) {
      const started = performance.now()
      await work[name]()
      if (round >= 0) samples[name].push(performance.now() - started)
    }
  }
  return Object.fromEntries(names.map((name) => [name, samples[name].sort((a, b) => a - b)[Math.floor(rounds / 2)]!])) as Record<K, number>
}
