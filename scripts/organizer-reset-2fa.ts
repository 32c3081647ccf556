/** npm run organizer:reset-2fa -- --email x@y : removes an organiser's second factors and ends their sessions (issue 18, part P3). */
// Foundation stub: part P3 replaces it with the real script (resetSecondFactors, by: 'operator').
console.error('usage: npm run organizer:reset-2fa -- --email organiser@example.org')
process.exit(2)
