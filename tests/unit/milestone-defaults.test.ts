import { describe, expect, it } from 'vitest'
import { signatureGoal } from '~/utils/goal.ts'
import { DEFAULT_MILESTONE_STEPS, defaultMilestones } from '~/utils/milestones.ts'

describe('defaultMilestones', () => {
  it('suggests defaults from the rising goal: the next three powers of ten from 1,000', () => {
    // The example.
    expect(defaultMilestones({ confirmed: 37, fixedGoal: null })).toEqual([1_000, 10_000, 100_000])
    expect(defaultMilestones({ confirmed: 0, fixedGoal: null })).toEqual([1_000, 10_000, 100_000])
    expect(defaultMilestones({ confirmed: 999, fixedGoal: null })).toEqual([1_000, 10_000, 100_000])
    // At 1,000 the rising goal is 2,000: the next power of ten at or above it is 10,000.
    expect(defaultMilestones({ confirmed: 1_000, fixedGoal: null })).toEqual([10_000, 100_000, 1_000_000])
    expect(defaultMilestones({ confirmed: 12_345, fixedGoal: null })).toEqual([100_000, 1_000_000, 10_000_000])
  })

  it('never suggests a milestone the count has already passed when the goal rises', () => {
    for (const confirmed of [0, 1, 99, 100, 450, 999, 1_000, 4_999, 5_000, 9_999, 10_000, 73_210, 999_999]) {
      const suggested = defaultMilestones({ confirmed, fixedGoal: null })
      expect(suggested, String(confirmed)).toHaveLength(3)
      expect(suggested[0]!, String(confirmed)).toBeGreaterThan(confirmed)
      expect(suggested[0]!, String(confirmed)).toBeGreaterThanOrEqual(signatureGoal(confirmed, null))
      expect(suggested[1]! / suggested[0]!).toBe(10)
      expect(suggested[2]! / suggested[1]!).toBe(10)
    }
  })

  it('splits a fixed goal into a tenth, a half and the goal, whatever the count', () => {
    expect(defaultMilestones({ confirmed: 37, fixedGoal: 50_000 })).toEqual([5_000, 25_000, 50_000])
    expect(defaultMilestones({ confirmed: 40_000, fixedGoal: 50_000 })).toEqual([5_000, 25_000, 50_000])
    expect(defaultMilestones({ confirmed: 0, fixedGoal: 333 })).toEqual([33, 167, 333])
  })

  it('gives no zero or repeated thresholds for a tiny goal', () => {
    expect(defaultMilestones({ confirmed: 0, fixedGoal: 1 })).toEqual([1])
    expect(defaultMilestones({ confirmed: 0, fixedGoal: 3 })).toEqual([2, 3])
  })

  it('has one step of texts per suggested milestone: the first thanks, the others write to the targets', () => {
    expect(DEFAULT_MILESTONE_STEPS.map((s) => s.emailTarget)).toEqual([false, true, true])
  })
})
