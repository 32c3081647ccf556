/**
 * Where a campaign stands with retention (ADR 010), for its settings page: still collecting
 * (or never did), closed with anonymisation to come, due (the hourly job will get to it), or done.
 * The retention model computes it; components/retention-notice.tsx words it.
 */
export type RetentionState =
  | { state: 'open'; retentionDays: number }
  | { state: 'scheduled' | 'due'; retentionDays: number; closedAt: number; dueAt: number }
  | { state: 'done'; retentionDays: number; closedAt: number; anonymisedAt: number }
