import { describe, expect, it } from 'vitest'
import { createPacer } from '~/workflows/mail-sender.server.ts'

// The pacer is a clock and a few numbers: driven here with explicit times.
describe('the sender’s pacer', () => {
  /** Start requests as soon as the pacer allows, from `from`, each `late` ms after it allowed; their start times. */
  function run(pacer: ReturnType<typeof createPacer>, count: number, from = 10_000, late = (_i: number) => 0) {
    const starts: number[] = []
    let now = from
    for (let i = 0; i < count; i++) {
      now = Math.max(now, pacer.readyAt()) + late(i)
      pacer.spend(now)
      starts.push(now)
    }
    return starts
  }
  /** The most starts in any span of `ms` (half-open), as a provider counting per window would see them. */
  function most(starts: number[], ms: number) {
    let best = 0
    for (const start of starts) best = Math.max(best, starts.filter((s) => s >= start && s < start + ms).length)
    return best
  }

  it('never starts more than the limit in any second, plus a margin for jitter', () => {
    for (const perSecond of [2, 10]) {
      const starts = run(createPacer(perSecond), 200)
      expect(most(starts, 1000 + 10)).toBe(perSecond)
      // And keeps the pace: 200 requests in about 200 / perSecond seconds (1 % for the margin).
      const seconds = (starts.at(-1)! - starts[0]!) / 1000
      expect(seconds).toBeGreaterThan((200 - perSecond) / perSecond)
      expect(seconds).toBeLessThan((200 / perSecond) * 1.02)
    }
  })

  it('lets requests after a late one catch up, without ever exceeding the limit', () => {
    // Every third request starts 30 ms after it was allowed (a busy event loop).
    const starts = run(createPacer(10), 300, 10_000, (i) => (i % 3 === 0 ? 30 : 0))
    expect(most(starts, 1010)).toBeLessThanOrEqual(10)
    const seconds = (starts.at(-1)! - starts[0]!) / 1000
    // Without catching up, 100 × 30 ms would be lost: 33 s instead of 30.
    expect(seconds).toBeLessThan(30 * 1.03)
  })

  it('counts a request from when it really left, so time spent rendering it is not taken from the next', () => {
    const pacer = createPacer(2)
    pacer.spend(10_000)
    const slot = pacer.spend(10_400)
    // Rendering took 300 ms: the request left at 10,700, and the next keeps its distance from that
    // (80 % of 500 ms), not from 10,400; the one after waits a second and the slack after it.
    slot.started(10_700)
    expect(pacer.readyAt()).toBe(11_100)
    pacer.spend(11_100)
    expect(pacer.readyAt()).toBe(11_710)
    // Never earlier than planned.
    const early = createPacer(2)
    early.spend(10_000)
    early.spend(10_400).started(10_100)
    early.spend(11_010)
    expect(early.readyAt()).toBe(11_410)
  })

  it('widens its slack after a 429 (the network’s jitter is larger than it allowed for), and narrows it again slowly', () => {
    const pacer = createPacer(10)
    run(pacer, 10, 10_000)
    const before = pacer.readyAt()
    pacer.observe({ retryAfterMs: 1 }, 0)
    pacer.observe({ retryAfterMs: 1 }, 0)
    // 10 → 40 ms of slack: the 11th start waits 30 ms longer.
    expect(pacer.readyAt()).toBe(before + 30)
    for (let i = 0; i < 500; i++) pacer.observe({ limit: 10, remaining: 5, resetMs: 1000 }, 0)
    expect(pacer.readyAt()).toBe(before)
  })

  it('spaces a slow pace evenly: 0.5/s is one request per two seconds', () => {
    const starts = run(createPacer(0.5), 5)
    expect(starts.slice(1).map((s, i) => s - starts[i]!)).toEqual([2010, 2010, 2010, 2010])
  })

  it('is unpaced at 0, even when the provider states a limit', () => {
    const pacer = createPacer(0)
    pacer.observe({ limit: 2, remaining: 0, resetMs: 1000 }, 10_000)
    expect(run(pacer, 5)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000])
  })

  it('slows to the limit the provider states when that is lower than the configured pace', () => {
    const pacer = createPacer(10)
    pacer.observe({ limit: 4, remaining: 3, resetMs: 1000 }, 9_000)
    expect(most(run(pacer, 40), 1010)).toBe(4)
  })

  it('holds every request after a 429 until Retry-After has passed', () => {
    const pacer = createPacer(2)
    pacer.spend(10_000)
    pacer.observe({ retryAfterMs: 7000 }, 10_100)
    expect(pacer.readyAt()).toBe(17_100)
    const unpaced = createPacer(0)
    unpaced.observe({ retryAfterMs: 1000 }, 5_000)
    expect(unpaced.readyAt()).toBe(6_000)
  })

  it('waits for the window to reset when someone else spent it, but not when its own pace spends it', () => {
    // Paced at the limit: the window's last request leaves 0 remaining, as planned.
    const atLimit = createPacer(2)
    atLimit.spend(10_000)
    atLimit.observe({ limit: 2, remaining: 0, resetMs: 1000 }, 10_020)
    expect(atLimit.readyAt()).toBe(10_400)
    // Paced below it (2 of 10): a spent window means another sender on the account.
    const below = createPacer(2)
    below.spend(10_000)
    below.observe({ limit: 10, remaining: 0, resetMs: 1000 }, 10_020)
    expect(below.readyAt()).toBe(11_020)
  })
})
