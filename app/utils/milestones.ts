import { signatureGoal } from './goal.ts'

/**
 * What happens at each suggested milestone, in order (texts: `admin.milestones.defaults.*`): the
 * first is a thank-you on the timeline; at the second and third the targets hear from Vigil.
 */
export const DEFAULT_MILESTONE_STEPS = [
  { happens: 'thank', emailTarget: false },
  { happens: 'deliver', emailTarget: true },
  { happens: 'answer', emailTarget: true },
] as const

/**
 * Three milestones to suggest (ADR 018). Without a fixed goal: the next three powers of ten at or
 * above the rising goal (at least 1,000): at 37 signatures 1,000 / 10,000 / 100,000. With one:
 * a tenth of it, half of it, and the goal.
 */
export function defaultMilestones({ confirmed, fixedGoal }: { confirmed: number; fixedGoal: number | null }): number[] {
  if (fixedGoal !== null && fixedGoal > 0) {
    const steps = [Math.round(fixedGoal / 10), Math.round(fixedGoal / 2), fixedGoal].filter((n) => n >= 1)
    return [...new Set(steps)]
  }
  const floor = Math.max(1000, signatureGoal(Math.max(0, confirmed), null))
  let power = 1000
  while (power < floor) power *= 10
  return [power, power * 10, power * 100]
}
