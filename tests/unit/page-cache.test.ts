import { describe, expect, it } from 'vitest'
import { PageCache } from '~/services/page-cache.server.ts'

const page = { status: 200, headers: [] as [string, string][], parts: ['<html>', '</html>'] }

describe('PageCache', () => {
  it('serves an entry until its time to live runs out', () => {
    const cache = new PageCache(1000)
    cache.set('en:/', page, 0)
    expect(cache.get('en:/', 999)).toBeDefined()
    expect(cache.get('en:/', 1000)).toBeUndefined()
  })

  it('forgets everything on purge', () => {
    const cache = new PageCache(1000)
    cache.set('en:/', page, 0)
    cache.set('de:/', page, 0)
    cache.purge()
    expect(cache.size).toBe(0)
  })

  it('stores nothing when turned off', () => {
    const cache = new PageCache(0)
    cache.set('en:/', page, 0)
    expect(cache.get('en:/', 0)).toBeUndefined()
  })

  it('evicts the oldest entry when full', () => {
    const cache = new PageCache(1000, 2)
    cache.set('a', page, 0)
    cache.set('b', page, 0)
    cache.set('c', page, 0)
    expect(cache.get('a', 1)).toBeUndefined()
    expect(cache.get('c', 1)).toBeDefined()
  })
})
