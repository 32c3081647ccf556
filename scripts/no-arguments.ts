/**
 * For the commands that take no arguments and change data when run (demo:remove, retention,
 * recount, db:migrate): `--help` must not run them. With `--help` or `-h` this prints what the
 * command does and exits 0; with anything else it says what it did not understand and exits 2.
 * Either way nothing has been opened yet.
 */
export function refuseArguments(command: string, does: string, argv = process.argv.slice(2)) {
  if (argv.length === 0) return
  const help = argv.every((arg) => arg === '--help' || arg === '-h')
  const text = `usage: npm run ${command}   (takes no arguments)\n${does}`
  if (help) console.log(text)
  else console.error(`${command}: did not understand ${argv.map((arg) => JSON.stringify(arg)).join(' ')}; nothing was changed\n${text}`)
  process.exit(help ? 0 : 2)
}
