// The same values as db/schema.ts's SECOND_FACTOR_POLICIES (utils do not import db/).
export type SecondFactorPolicyName = 'none' | 'owners' | 'owners_managers' | 'everyone'

/**
 * Whether the policy requires this organiser to have a second factor (ADR 019). The demo
 * organiser never is: its password is published, and a factor added by one visitor would lock
 * out every other.
 */
export function secondFactorRequired({ policy, role, managesACampaign, isDemo }: {
  policy: SecondFactorPolicyName
  role: 'owner' | 'editor'
  managesACampaign: boolean
  isDemo: boolean
}): boolean {
  if (isDemo) return false
  switch (policy) {
    case 'none':
      return false
    case 'owners':
      return role === 'owner'
    case 'owners_managers':
      return role === 'owner' || managesACampaign
    case 'everyone':
      return true
  }
}
