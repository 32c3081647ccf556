/** 100, 200, 500, 1,000, 2,000, 5,000, … : the next step above the count, for campaigns without a set goal. */
export function signatureGoal(count: number, fixed: number | null) {
  if (fixed) return fixed
  let step = 100
  for (;;) {
    for (const factor of [1, 2, 5]) {
      if (step * factor > count) return step * factor
    }
    step *= 10
  }
}
