/**
 * Who may do what on a campaign (ADR 011). Instance owners may do everything; other organisers
 * have one role per campaign, each including the ones below it. Shared by loaders (the
 * authority) and components (to hide what would be refused anyway).
 */
export const CAMPAIGN_ROLE_ORDER = ['viewer', 'editor', 'manager'] as const
export type CampaignRoleName = (typeof CAMPAIGN_ROLE_ORDER)[number]
/** What an organiser is on one campaign: an instance owner, or their membership's role. */
export type EffectiveRole = 'owner' | CampaignRoleName

export function isCampaignRole(value: unknown): value is CampaignRoleName {
  return CAMPAIGN_ROLE_ORDER.some((role) => role === value)
}

/** Whether `role` includes everything `min` may do. */
export function roleAtLeast(role: EffectiveRole, min: EffectiveRole) {
  if (role === 'owner') return true
  if (min === 'owner') return false
  return CAMPAIGN_ROLE_ORDER.indexOf(role) >= CAMPAIGN_ROLE_ORDER.indexOf(min)
}
