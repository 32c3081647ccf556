import { describe, expect, it } from 'vitest'
import { maskEmailForOrganisers } from '~/utils/email.ts'
import { roleAtLeast } from '~/utils/roles.ts'

describe('campaign roles', () => {
  it('each role includes the ones below it, and owners include every role', () => {
    expect(roleAtLeast('viewer', 'viewer')).toBe(true)
    expect(roleAtLeast('viewer', 'editor')).toBe(false)
    expect(roleAtLeast('editor', 'viewer')).toBe(true)
    expect(roleAtLeast('editor', 'manager')).toBe(false)
    expect(roleAtLeast('manager', 'editor')).toBe(true)
    expect(roleAtLeast('manager', 'owner')).toBe(false)
    expect(roleAtLeast('owner', 'manager')).toBe(true)
    expect(roleAtLeast('owner', 'owner')).toBe(true)
  })
})

describe('addresses as organisers who are not owners see them', () => {
  it('keeps the first letters and the top-level domain only', () => {
    expect(maskEmailForOrganisers('bob@example.org')).toBe('b•••@e•••.org')
    expect(maskEmailForOrganisers(' Ana.Quibbleton@Example.ORG ')).toBe('a•••@e•••.org')
    expect(maskEmailForOrganisers('ümit@dömäin.de')).toBe('ü•••@d•••.de')
    expect(maskEmailForOrganisers('x@localhost')).toBe('x•••@l•••')
    expect(maskEmailForOrganisers('not an address')).toBe('•••')
  })
})
