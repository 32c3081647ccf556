// A deliberately trivial page: load balancers poll it, and bench:pages uses it as the framework's floor.
export default function Health() {
  return (
    <main className="wrap page">
      <p>ok</p>
    </main>
  )
}
