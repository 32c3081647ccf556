import { describe, expect, it } from 'vitest'
import { createPacer } from '~/services/mail-sender.server.ts'

// The pacer is a clock and a few numbers: driven here with explicit times.
describe('the sender’s pacer', () => {
  it('spaces requests at the configured pace, and never sooner after an idle spell', () => {
    const pacer = createPacer(2)
    expect(pacer.readyAt()).toBe(0)
    pacer.spend(10_000)
    expect(pacer.readyAt()).toBe(10_500)
    pacer.spend(10_500)
    expect(pacer.readyAt()).toBe(11_000)
    // Idle for a while: the next request may go at once, then the pace resumes.
    pacer.spend(20_000)
    expect(pacer.readyAt()).toBe(20_500)
  })

  it('is unpaced at 0, even when the provider states a limit', () => {
    const pacer = createPacer(0)
    pacer.observe({ limit: 2, remaining: 0, resetMs: 1000 }, 10_000)
    pacer.spend(10_000)
    expect(pacer.readyAt()).toBe(10_000)
  })

  it('slows to the limit the provider states when that is lower than the configured pace', () => {
    const pacer = createPacer(10)
    pacer.spend(10_000)
    expect(pacer.readyAt()).toBe(10_100)
    pacer.observe({ limit: 4, remaining: 3, resetMs: 1000 }, 10_050)
    pacer.spend(10_100)
    expect(pacer.readyAt()).toBe(10_350)
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
    expect(atLimit.readyAt()).toBe(10_500)
    // Paced below it (2 of 10): a spent window means another sender on the account.
    const below = createPacer(2)
    below.spend(10_000)
    below.observe({ limit: 10, remaining: 0, resetMs: 1000 }, 10_020)
    expect(below.readyAt()).toBe(11_020)
  })
})
