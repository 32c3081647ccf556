import { describe, expect, it } from 'vitest'
import { zonedTimeToEpoch } from '~/utils/dates.ts'

describe('zonedTimeToEpoch', () => {
  it('reads a wall-clock time in the given time zone, summer and winter', () => {
    expect(zonedTimeToEpoch('2030-07-01T12:00', 'Europe/Berlin')).toBe(Date.UTC(2030, 6, 1, 10, 0))
    expect(zonedTimeToEpoch('2030-01-15T12:00', 'Europe/Berlin')).toBe(Date.UTC(2030, 0, 15, 11, 0))
    expect(zonedTimeToEpoch('2030-01-15T08:30:15', 'America/Mexico_City')).toBe(Date.UTC(2030, 0, 15, 14, 30, 15))
    expect(zonedTimeToEpoch('2030-01-15T08:30', 'UTC')).toBe(Date.UTC(2030, 0, 15, 8, 30))
  })

  it('moves a time skipped by the spring change an hour on, and takes the later of a repeated one', () => {
    // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    expect(zonedTimeToEpoch('2026-03-29T02:30', 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 30))
    // 25 October 2026: 02:30 happens twice; the second (CET) is meant.
    expect(zonedTimeToEpoch('2026-10-25T02:30', 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 1, 30))
  })

  it('refuses impossible dates, malformed times and unknown zones', () => {
    expect(zonedTimeToEpoch('2030-02-30T12:00', 'UTC')).toBeNull()
    expect(zonedTimeToEpoch('2030-01-01T24:00', 'UTC')).toBeNull()
    expect(zonedTimeToEpoch('2030-01-01 12:00', 'UTC')).toBeNull()
    expect(zonedTimeToEpoch('2030-01-01T12:00', 'Mars/Olympus')).toBeNull()
  })
})
