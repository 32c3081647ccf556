/**
 * The counters: what public pages show without counting rows. Each moves in the
 * transaction that changes the rows it counts (so every function that moves one takes
 * `tx`), and each can be rebuilt from the rows (`npm run recount`).
 */

// ——— Signatures: per campaign and per country (moved here from signatures*.server.ts) ———

// ——————————————————————————————————————————————————————————————————————————————————————
// (the two sections are filled by different hands; keep this block between them)
// ——————————————————————————————————————————————————————————————————————————————————————

// ——— Donations: per fund (moved here from donations.server.ts and funds.server.ts) ———

export {}
